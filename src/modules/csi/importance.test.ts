import { describe, expect, it } from 'vitest';
import { parseXml } from '../../core/xml/parse-one.js';
import { importanceOf } from './importance.js';

const of = (xml: string) => importanceOf(parseXml(xml)!);

describe('what an inactive client gets at once', () => {
  it('holds presence updates and coalesces them, but not subscription traffic or errors', () => {
    expect(of("<presence from='b@x/r'><show>away</show></presence>")).toBe('presence');
    expect(of("<presence from='b@x/r' type='unavailable'/>")).toBe('presence');
    for (const type of ['subscribe', 'subscribed', 'unsubscribe', 'unsubscribed', 'error']) {
      expect(of(`<presence from='b@x' type='${type}'/>`)).toBe('urgent');
    }
  });

  it("sends the client's own room join result at once", () => {
    const join = "<presence from='room@muc/me'><x xmlns='http://jabber.org/protocol/muc#user'><status code='110'/></x></presence>";
    expect(of(join)).toBe('urgent');
    expect(of("<presence from='room@muc/other'><x xmlns='http://jabber.org/protocol/muc#user'/></presence>")).toBe('presence');
  });

  it('sends messages with a body, subject, encryption, invitation or call at once', () => {
    expect(of("<message type='chat'><body>hi</body></message>")).toBe('urgent');
    expect(of("<message type='groupchat'><subject>topic</subject></message>")).toBe('urgent');
    expect(of("<message><encrypted xmlns='eu.siacs.conversations.axolotl'/></message>")).toBe('urgent');
    expect(of("<message><x xmlns='jabber:x:conference' jid='r@muc'/></message>")).toBe('urgent');
    expect(of("<message><x xmlns='http://jabber.org/protocol/muc#user'><invite from='a@x'/></x></message>")).toBe('urgent');
    expect(of("<message><propose xmlns='urn:xmpp:jingle-message:0' id='c'/></message>")).toBe('urgent');
    expect(of("<message type='error'><error type='cancel'/></message>")).toBe('urgent');
  });

  it('looks inside carbons and archive results', () => {
    const carbon = (inner: string) =>
      `<message><received xmlns='urn:xmpp:carbons:2'><forwarded xmlns='urn:xmpp:forward:0'><message type='chat'>${inner}</message></forwarded></received></message>`;
    expect(of(carbon('<body>hi</body>'))).toBe('urgent');
    expect(of(carbon("<composing xmlns='http://jabber.org/protocol/chatstates'/>"))).toBe('deferrable');
    const result = "<message><result xmlns='urn:xmpp:mam:2' id='1'><forwarded xmlns='urn:xmpp:forward:0'><message><body>old</body></message></forwarded></result></message>";
    expect(of(result)).toBe('urgent');
  });

  it('lets chat states, receipts and PEP notifications wait', () => {
    expect(of("<message type='chat'><composing xmlns='http://jabber.org/protocol/chatstates'/></message>")).toBe('deferrable');
    expect(of("<message><received xmlns='urn:xmpp:receipts' id='m1'/></message>")).toBe('deferrable');
    expect(of("<message type='headline'><event xmlns='http://jabber.org/protocol/pubsub#event'><items node='n'/></event></message>")).toBe('deferrable');
  });

  it('sends IQs at once', () => {
    expect(of("<iq type='get' id='1'><ping xmlns='urn:xmpp:ping'/></iq>")).toBe('urgent');
  });
});
