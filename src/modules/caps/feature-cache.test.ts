import { describe, expect, it } from 'vitest';
import { x, type Element } from '../../core/xml/element.js';
import { NS } from '../../core/xml/ns.js';
import { CapsFeatureCache } from './feature-cache.js';
import { verificationString } from './verification.js';

const info = (...features: string[]) =>
  x('query', { xmlns: NS.discoInfo }, x('identity', { category: 'client', type: 'pc' }), ...features.map((f) => x('feature', { var: f })));

function client(query: Element) {
  const asked: Element[] = [];
  const answer = (request: Element) => {
    asked.push(request);
    const node = request.getChild('query', NS.discoInfo)!.attrs.node;
    return Promise.resolve(x('iq', { type: 'result', id: request.attrs.id }, x('query', { xmlns: NS.discoInfo, node }, ...query.children)));
  };
  return { asked, answer };
}

describe('caps feature cache (XEP-0115 §5.4)', () => {
  const query = info(NS.discoInfo, 'urn:xmpp:avatar:metadata+notify');
  const caps = { node: 'https://client.example', ver: verificationString(query), hash: 'sha-1' };

  it('asks the client once at node#ver and shares the verified answer', async () => {
    const { asked, answer } = client(query);
    const cache = new CapsFeatureCache(answer);
    const [a, b] = await Promise.all([cache.features('romeo@localhost/a', caps), cache.features('romeo@localhost/b', caps)]);
    expect(a?.has('urn:xmpp:avatar:metadata+notify')).toBe(true);
    expect(b).toBe(a);
    expect(asked).toHaveLength(1);
    expect(asked[0].attrs.to).toBe('romeo@localhost/a');
    expect(asked[0].getChild('query', NS.discoInfo)!.attrs.node).toBe(`https://client.example#${caps.ver}`);
    expect((await cache.features('juliet@localhost/c', caps))?.size).toBe(2);
    expect(asked).toHaveLength(1);
    expect(cache.peek(caps)).toBe(a);
  });

  it('refuses an answer that does not hash to the ver, and does not ask again soon', async () => {
    const { asked, answer } = client(info('urn:forged+notify'));
    const cache = new CapsFeatureCache(answer);
    expect(await cache.features('mallory@localhost/x', caps)).toBeUndefined();
    expect(await cache.features('mallory@localhost/x', caps)).toBeUndefined();
    expect(asked).toHaveLength(1);
  });

  it('treats an error, a timeout or an unknown hash as unknown', async () => {
    const failing = new CapsFeatureCache(() => Promise.resolve(x('iq', { type: 'error' })));
    expect(await failing.features('a@localhost/x', caps)).toBeUndefined();
    const timingOut = new CapsFeatureCache(() => Promise.reject(new Error('timeout')));
    expect(await timingOut.features('a@localhost/x', caps)).toBeUndefined();
    const { answer } = client(query);
    expect(await new CapsFeatureCache(answer).features('a@localhost/x', { ...caps, hash: 'md5' })).toBeUndefined();
  });

  it('asks again once the retry delay is over', async () => {
    let now = 0;
    let fail = true;
    const { answer } = client(query);
    const cache = new CapsFeatureCache((q) => (fail ? Promise.reject(new Error('x')) : answer(q)), { now: () => now, retryAfterMs: 100 });
    expect(await cache.features('a@localhost/x', caps)).toBeUndefined();
    fail = false;
    expect(await cache.features('a@localhost/x', caps)).toBeUndefined();
    now = 200;
    expect((await cache.features('a@localhost/x', caps))?.size).toBe(2);
  });
});
