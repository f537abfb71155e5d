import { describe, expect, it } from 'vitest';
import { x, serialize } from './element.js';
import { parseXml } from './parse-one.js';

describe('Element', () => {
  it('serialises with escaping and round-trips through the parser', () => {
    const el = x('message', { to: "a'b@c", type: 'chat' }, x('body', {}, '<hi> & "bye"'));
    const text = serialize(el);
    expect(text).toBe(`<message to='a&apos;b@c' type='chat'><body>&lt;hi&gt; &amp; "bye"</body></message>`);
    expect(parseXml(text)?.getChildText('body')).toBe('<hi> & "bye"');
  });

  it('omits undefined attributes', () => {
    expect(serialize(x('iq', { id: '1', to: undefined }))).toBe("<iq id='1'/>");
  });

  it('finds children by name and namespace, and removes them', () => {
    const el = x('message', {}, x('x', { xmlns: 'a' }), x('x', { xmlns: 'b' }));
    expect(el.getChild('x', 'b')?.attrs.xmlns).toBe('b');
    expect(el.getChildren('x')).toHaveLength(2);
    el.remove('x', 'a');
    expect(el.getChildren('x').map((c) => c.attrs.xmlns)).toEqual(['b']);
  });

  it('clones deeply', () => {
    const el = x('a', {}, x('b', { k: 'v' }));
    const copy = el.clone();
    copy.getChild('b')!.attrs.k = 'changed';
    expect(el.getChild('b')!.attrs.k).toBe('v');
  });
});
