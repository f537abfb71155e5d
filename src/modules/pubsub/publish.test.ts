import { describe, expect, it } from 'vitest';
import { x } from '../../core/xml/element.js';
import { DEFAULT_LIMITS, defaultNodeConfig } from './config.js';
import { PubsubError } from './errors.js';
import { readPublishedItem } from './item-xml.js';
import { Node } from './node.js';
import { publishToNode } from './publish.js';

const codeOf = (fn: () => unknown) => {
  try {
    fn();
  } catch (err) {
    return (err as PubsubError).code;
  }
  return undefined;
};
const publish = (...items: ReturnType<typeof x>[]) => x('publish', { node: 'n' }, ...items);

describe('reading the published item', () => {
  it('takes the id and the single payload, or generates an id', () => {
    expect(readPublishedItem(publish(x('item', { id: 'i1' }, x('p', { xmlns: 'urn:t' }))), DEFAULT_LIMITS).id).toBe('i1');
    expect(readPublishedItem(publish(x('item', {}, x('p', { xmlns: 'urn:t' }))), DEFAULT_LIMITS).id).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('refuses missing items, missing or extra payloads and oversized payloads (XEP-0060 §7.1.3)', () => {
    expect(codeOf(() => readPublishedItem(publish(), DEFAULT_LIMITS))).toBe('item-required');
    expect(codeOf(() => readPublishedItem(publish(x('item'), x('item')), DEFAULT_LIMITS))).toBe('bad-request');
    expect(codeOf(() => readPublishedItem(publish(x('item')), DEFAULT_LIMITS))).toBe('payload-required');
    expect(codeOf(() => readPublishedItem(publish(x('item', {}, x('a'), x('b'))), DEFAULT_LIMITS))).toBe('invalid-payload');
    const big = x('item', {}, x('p', { xmlns: 'urn:t' }, 'A'.repeat(DEFAULT_LIMITS.maxPayloadBytes)));
    const error = (() => {
      try {
        readPublishedItem(publish(big), DEFAULT_LIMITS);
      } catch (err) {
        return err as PubsubError;
      }
    })();
    expect(error?.code).toBe('payload-too-big');
    expect(error?.condition).toBe('not-acceptable');
  });
});

describe('publishing', () => {
  const request = (options?: Record<string, string>) => ({
    node: 'n',
    item: { id: 'i', payload: x('p', { xmlns: 'urn:t' }) },
    options: options && new Map(Object.entries(options).map(([k, v]) => [k, [v]])),
    publisher: 'juliet@capulet.lit',
    now: 1,
  });

  it('auto-creates the node with the publish-options as its configuration', () => {
    const outcome = publishToNode(undefined, request({ 'pubsub#access_model': 'whitelist' }), defaultNodeConfig(), DEFAULT_LIMITS);
    expect(outcome.created).toBe(true);
    expect(outcome.node.config.access_model).toBe('whitelist');
    expect(outcome.item.publisher).toBe('juliet@capulet.lit');
  });

  it('publishes to an existing node whose configuration meets the options, and refuses otherwise', () => {
    const node = new Node('n', defaultNodeConfig({ access_model: 'whitelist' }));
    expect(publishToNode(node, request({ 'pubsub#access_model': 'whitelist' }), defaultNodeConfig(), DEFAULT_LIMITS).created).toBe(false);
    expect(codeOf(() => publishToNode(node, request({ 'pubsub#access_model': 'open' }), defaultNodeConfig(), DEFAULT_LIMITS))).toBe(
      'precondition-not-met',
    );
    expect(node.items).toHaveLength(1);
  });

  it('refuses a payload in another namespace than the node type', () => {
    const node = new Node('n', defaultNodeConfig({ type: 'urn:other' }));
    expect(codeOf(() => publishToNode(node, request(), defaultNodeConfig(), DEFAULT_LIMITS))).toBe('invalid-payload');
  });
});
