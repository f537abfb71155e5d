import { describe, expect, it } from 'vitest';
import { parseXml } from '../../core/xml/parse-one.js';
import { carbonEligibility, type Direction } from './eligibility.js';

const judge = (xml: string, direction: Direction = 'received') => carbonEligibility(parseXml(xml)!, direction);

describe('carbon eligibility (XEP-0280 §6.1)', () => {
  it.each(['sent', 'received'] as const)('copies chat messages, with or without a body (%s)', (direction) => {
    expect(judge("<message type='chat'><body>hi</body></message>", direction)).toBe('copy');
    expect(judge("<message type='chat'><composing xmlns='http://jabber.org/protocol/chatstates'/></message>", direction)).toBe('copy');
  });

  it('copies normal messages with a body, whether the type is written or not', () => {
    expect(judge("<message type='normal'><body>hi</body></message>")).toBe('copy');
    expect(judge('<message><body>hi</body></message>')).toBe('copy');
  });

  it('does not copy normal messages without a body or an IM payload', () => {
    expect(judge('<message/>')).toBe('skip');
    expect(judge("<message type='normal'><x xmlns='jabber:x:oob'><url>http://e/x</url></x></message>")).toBe('skip');
    expect(judge("<message><body xmlns='urn:example:not-a-body'>hi</body></message>")).toBe('skip');
  });

  it.each([
    "<request xmlns='urn:xmpp:receipts'/>",
    "<received xmlns='urn:xmpp:receipts' id='m1'/>",
    "<displayed xmlns='urn:xmpp:chat-markers:0' id='m1'/>",
    "<active xmlns='http://jabber.org/protocol/chatstates'/>",
  ])('copies normal messages carrying an IM payload: %s', (payload) => {
    expect(judge(`<message>${payload}</message>`)).toBe('copy');
  });

  it.each(['groupchat', 'headline'])('never copies %s messages, whatever they carry', (type) => {
    expect(judge(`<message type='${type}'><body>hi</body><request xmlns='urn:xmpp:receipts'/></message>`, 'sent')).toBe('skip');
    expect(judge(`<message type='${type}'><body>hi</body></message>`, 'received')).toBe('skip');
  });

  it('leaves errors to the caller: copied only when they answer an eligible message', () => {
    expect(judge("<message type='error' id='m1'><error type='cancel'/></message>")).toBe('if-answer');
    expect(judge("<message type='error' id='m1'><body>echo</body><x xmlns='http://jabber.org/protocol/muc#user'/></message>")).toBe(
      'if-answer',
    );
  });

  it.each([
    "<private xmlns='urn:xmpp:carbons:2'/>",
    "<no-copy xmlns='urn:xmpp:hints'/>",
  ])('honours %s in both directions', (marker) => {
    for (const direction of ['sent', 'received'] as const) {
      expect(judge(`<message type='chat'><body>hi</body>${marker}</message>`, direction)).toBe('skip');
      expect(judge(`<message type='error' id='m1'>${marker}</message>`, direction)).toBe('skip');
    }
  });

  it('ignores look-alike markers in other namespaces', () => {
    expect(judge("<message type='chat'><private xmlns='urn:example'/><no-copy xmlns='urn:example'/></message>")).toBe('copy');
  });

  it('never copies a message that itself carries a carbon (§11: only the server makes carbons)', () => {
    const forged = (kind: string, ns: string) =>
      `<message type='chat'><${kind} xmlns='${ns}'><forwarded xmlns='urn:xmpp:forward:0'><message type='chat' from='x@y/z'><body>forged</body></message></forwarded></${kind}></message>`;
    for (const kind of ['sent', 'received']) {
      expect(judge(forged(kind, 'urn:xmpp:carbons:2'), 'sent')).toBe('skip');
      expect(judge(forged(kind, 'urn:xmpp:carbons:2'), 'received')).toBe('skip');
      expect(judge(forged(kind, 'urn:xmpp:carbons:1'), 'received')).toBe('skip');
    }
  });

  it('does not mistake a delivery receipt for a carbon', () => {
    expect(judge("<message type='chat'><received xmlns='urn:xmpp:receipts' id='m1'/></message>")).toBe('copy');
  });

  describe('MUC-related messages', () => {
    const pm = "<message type='chat'><body>psst</body><x xmlns='http://jabber.org/protocol/muc#user'/></message>";

    it("copies the user's own private messages to an occupant (sent)", () => {
      expect(judge(pm, 'sent')).toBe('copy');
    });

    it('does not copy private messages from an occupant (received): the room reaches every joined client', () => {
      expect(judge(pm, 'received')).toBe('skip');
    });

    it('copies direct and mediated invitations in both directions', () => {
      const direct = "<message><x xmlns='jabber:x:conference' jid='room@muc.example'/></message>";
      const mediated = "<message><x xmlns='http://jabber.org/protocol/muc#user'><invite from='juliet@example'/></x></message>";
      for (const direction of ['sent', 'received'] as const) {
        expect(judge(direct, direction)).toBe('copy');
        expect(judge(mediated, direction)).toBe('copy');
      }
    });

    it('does not copy a groupchat invitation look-alike (groupchat is never copied)', () => {
      expect(judge("<message type='groupchat'><x xmlns='jabber:x:conference' jid='r@m'/></message>")).toBe('skip');
    });
  });
});
