import { describe, expect, it } from 'vitest';
import { StreamParser, type XmlErrorCondition } from './parser.js';
import type { Element } from './element.js';

const HEADER =
  "<?xml version='1.0'?><stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' to='localhost' version='1.0'>";

function feed(chunks: string[], opts: { max?: number; framing?: 'stream' | 'fragments' } = {}) {
  const out = { starts: [] as string[], stanzas: [] as Element[], ended: false, error: undefined as XmlErrorCondition | undefined };
  const parser = new StreamParser(
    {
      onStreamStart: (name) => out.starts.push(name),
      onStanza: (el) => out.stanzas.push(el),
      onStreamEnd: () => (out.ended = true),
      onError: (condition) => (out.error ??= condition),
    },
    { maxStanzaSize: opts.max ?? 65536, framing: opts.framing ?? 'stream' },
  );
  for (const chunk of chunks) parser.write(chunk);
  return out;
}

describe('StreamParser', () => {
  it('emits the stream start, stanzas and the end', () => {
    const out = feed([HEADER, "<message to='a@b'><body>hi &amp; bye</body></message>", ' ', '</stream:stream>']);
    expect(out.starts).toEqual(['stream:stream']);
    expect(out.stanzas).toHaveLength(1);
    expect(out.stanzas[0].getChildText('body')).toBe('hi & bye');
    expect(out.ended).toBe(true);
    expect(out.error).toBeUndefined();
  });

  it('reassembles stanzas split across chunks, including multi-byte text', () => {
    const text = "<message><body>h\u00e9llo \ud83d\ude00</body></message>";
    const chunks = [HEADER, ...text.split('')];
    const out = feed(chunks);
    expect(out.stanzas[0].getChildText('body')).toBe('h\u00e9llo \ud83d\ude00');
  });

  it('keeps namespaces as attributes and resolves child lookups by inherited namespace', () => {
    const out = feed([HEADER, "<iq type='get' id='1'><query xmlns='jabber:iq:roster'><item jid='x@y'/></query></iq>"]);
    const query = out.stanzas[0].getChild('query', 'jabber:iq:roster')!;
    expect(query.getChild('item', 'jabber:iq:roster')?.attrs.jid).toBe('x@y');
  });

  it.each([
    ['a DTD', "<!DOCTYPE x [<!ENTITY a 'b'>]>", 'restricted-xml'],
    ['a comment', '<!-- c -->', 'restricted-xml'],
    ['a processing instruction', '<?pi data?>', 'restricted-xml'],
    ['an undefined entity', '<message><body>&nope;</body></message>', 'not-well-formed'],
    ['mismatched tags', '<message><body></message>', 'not-well-formed'],
  ])('rejects %s', (_what, bad, condition) => {
    const chunks = bad.startsWith('<!DOCTYPE') ? [bad, HEADER.replace("<?xml version='1.0'?>", '')] : [HEADER, bad];
    expect(feed(chunks).error).toBe(condition);
  });

  it('never expands entities beyond the predefined ones', () => {
    const out = feed([HEADER, '<message><body>&lt;&#65;&#x42;</body></message>']);
    expect(out.stanzas[0].getChildText('body')).toBe('<AB');
  });

  it('rejects a stanza over the size limit, built from elements or text', () => {
    expect(feed([HEADER, `<message><body>${'x'.repeat(3000)}</body></message>`], { max: 2048 }).error).toBe('policy-violation');
    const many = '<a/>'.repeat(1000);
    expect(feed([HEADER, `<message>${many}</message>`], { max: 2048 }).error).toBe('policy-violation');
  });

  it('rejects an element that never ends before buffering unboundedly', () => {
    const out = feed([HEADER, "<message><body a='", ...Array(10).fill('y'.repeat(1000))], { max: 4096 });
    expect(out.error).toBe('policy-violation');
  });

  it('accepts stanzas right under the limit, one after another', () => {
    const stanza = `<message><body>${'x'.repeat(1500)}</body></message>`;
    const out = feed([HEADER, stanza.repeat(10)], { max: 2048 });
    expect(out.error).toBeUndefined();
    expect(out.stanzas).toHaveLength(10);
  });

  it('parses WebSocket fragments as top-level elements', () => {
    const out = feed(["<open xmlns='urn:ietf:params:xml:ns:xmpp-framing' to='localhost' version='1.0'/>", '<presence/>'], {
      framing: 'fragments',
    });
    expect(out.stanzas.map((s) => s.name)).toEqual(['open', 'presence']);
  });

  it('stops emitting after the first error', () => {
    const out = feed([HEADER, '<!-- c --><message/>']);
    expect(out.error).toBe('restricted-xml');
    expect(out.stanzas).toHaveLength(0);
  });
});
