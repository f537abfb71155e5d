import { describe, expect, it } from 'vitest';
import { parseXml } from '../../core/xml/parse-one.js';
import { isStorable } from './unacked.js';

const storable = (xml: string) => isStorable(parseXml(xml)!);

describe('unacknowledged messages worth keeping offline', () => {
  it('keeps chat and normal messages with content', () => {
    expect(storable("<message type='chat'><body>hi</body></message>")).toBe(true);
    expect(storable('<message><body>hi</body></message>')).toBe(true);
    expect(storable("<message type='chat'><received xmlns='urn:xmpp:receipts' id='m1'/></message>")).toBe(true);
  });

  it('drops copies, groupchat, headlines, errors and bare chat states', () => {
    expect(storable("<message type='groupchat'><body>hi</body></message>")).toBe(false);
    expect(storable("<message type='headline'><body>news</body></message>")).toBe(false);
    expect(storable("<message type='error'><body>hi</body></message>")).toBe(false);
    expect(storable("<message type='chat'><composing xmlns='http://jabber.org/protocol/chatstates'/></message>")).toBe(false);
    expect(storable("<message><sent xmlns='urn:xmpp:carbons:2'><forwarded xmlns='urn:xmpp:forward:0'/></sent></message>")).toBe(false);
    expect(storable("<message><result xmlns='urn:xmpp:mam:2' id='1'/></message>")).toBe(false);
  });
});
