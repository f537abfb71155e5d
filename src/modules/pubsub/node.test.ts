import { describe, expect, it } from 'vitest';
import { x } from '../../core/xml/element.js';
import { Node } from './node.js';
import { defaultNodeConfig } from './config.js';
import { PubsubError } from './errors.js';

const item = (id: string, published = 0) => ({ id, payload: x('p', { xmlns: 'urn:test' }, id), published });

describe('Node', () => {
  it('keeps items oldest first and evicts the oldest beyond capacity (XEP-0060 §7.1.2)', () => {
    const node = new Node('n', defaultNodeConfig());
    node.publish(item('a'), 2);
    node.publish(item('b'), 2);
    const result = node.publish(item('c'), 2);
    expect(result.evicted.map((i) => i.id)).toEqual(['a']);
    expect(node.items.map((i) => i.id)).toEqual(['b', 'c']);
    expect(node.last()?.id).toBe('c');
  });

  it('overwrites an item with the same id and makes it the newest', () => {
    const node = new Node('n', defaultNodeConfig(), [item('a'), item('b')]);
    const result = node.publish(item('a', 5), 10);
    expect(result.replaced?.id).toBe('a');
    expect(result.evicted).toEqual([]);
    expect(node.items.map((i) => i.id)).toEqual(['b', 'a']);
  });

  it('retracts by id and refuses an unknown id with item-not-found', () => {
    const node = new Node('n', defaultNodeConfig(), [item('a')]);
    expect(node.retract('a').id).toBe('a');
    expect(node.items).toHaveLength(0);
    expect(() => node.retract('a')).toThrowError(PubsubError);
    try {
      node.retract('zz');
    } catch (err) {
      expect((err as PubsubError).condition).toBe('item-not-found');
    }
  });

  it('selects the N most recent items and items by id', () => {
    const node = new Node('n', defaultNodeConfig(), [item('a'), item('b'), item('c')]);
    expect(node.select({ max: 2 }).map((i) => i.id)).toEqual(['b', 'c']);
    expect(node.select({ ids: ['c', 'a', 'zz'] }).map((i) => i.id)).toEqual(['a', 'c']);
    expect(node.select().map((i) => i.id)).toEqual(['a', 'b', 'c']);
  });

  it('purges everything and trims on a smaller capacity', () => {
    const node = new Node('n', defaultNodeConfig(), [item('a'), item('b'), item('c')]);
    expect(node.reconfigure(defaultNodeConfig({ max_items: 1 }), 1).map((i) => i.id)).toEqual(['a', 'b']);
    expect(node.purge().map((i) => i.id)).toEqual(['c']);
    expect(node.items).toHaveLength(0);
  });
});
