import { describe, expect, it } from 'vitest';
import { Element, shareChildren, x, serialize } from './element.js';
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

describe('shared children', () => {
  const message = () => x('message', { type: 'groupchat' }, x('body', {}, 'a & b'), x('stanza-id', { xmlns: 'urn:xmpp:sid:0', id: '1' }));

  it('serialise like unshared ones, once for every copy', () => {
    const original = message();
    const plain = serialize(x('message', { type: 'groupchat', to: 'a@b' }, ...original.children));
    const shared = shareChildren(original.children, true);
    const copies = ['a@b', 'c@d'].map((to) => new Element('message', { ...original.attrs, to }, shared));
    expect(serialize(copies[0]!)).toBe(plain);
    expect(serialize(copies[1]!)).toBe(plain.replace('a@b', 'c@d'));
  });

  it('cannot be changed in place, at any depth', () => {
    const shared = shareChildren(message().children);
    const body = shared[0] as Element;
    expect(() => shared.push('x')).toThrow(TypeError);
    expect(() => body.children.push('more')).toThrow(TypeError);
    expect(() => (body.attrs.xml = 'x')).toThrow(TypeError);
    expect(() => (body.children = [])).toThrow(TypeError);
    expect(() => body.append('more')).toThrow(TypeError);
  });

  it('are copied before a copy appends to them, leaving the other copies as they were', () => {
    const shared = shareChildren(message().children);
    const one = new Element('message', { to: 'a@b' }, shared);
    const other = new Element('message', { to: 'c@d' }, shared);
    const before = serialize(other);
    one.append(x('delay', { stamp: 'now' }));
    one.c('extra').t('text');
    expect(one.children).toHaveLength(4);
    expect(serialize(one)).toContain("<delay stamp='now'/><extra>text</extra></message>");
    expect(other.children).toBe(shared);
    expect(serialize(other)).toBe(before);
  });
});
