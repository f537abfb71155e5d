/**
 * Tests for the federation service's queueing: at most `s2s.max_queue`
 * stanzas wait for one remote domain while its link is being set up, the
 * next ones are offered to `s2s-stanza-undeliverable` and bounce with
 * resource-constraint; other domains have queues of their own; stanzas a
 * link hands back get one more link, then bounce.
 *
 * References: RFC 6120 §8.3.3.18 (resource-constraint), §8.3.3.15.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { parseConfig } from '../../core/config/config.js';
import { createLogger } from '../../core/log.js';
import { EventBus } from '../../core/events/event-bus.js';
import { parseJid } from '../../core/jid/jid.js';
import { StanzaError } from '../../core/errors/stanza-error.js';
import { x, type Element } from '../../core/xml/element.js';
import type { Host } from '../../core/host.js';
import type { Server } from '../../core/server.js';
import type { StanzaEvent } from '../../core/events/event-map.js';
import type { OutgoingLink } from './outgoing-link.js';
import { S2sService } from './service.js';
import './events.js';

function setup(maxQueue: number) {
  const bounces: { id?: string; condition: string }[] = [];
  const offered: string[] = [];
  const bus = new EventBus();
  bus.on('s2s-stanza-undeliverable', (event) => void offered.push(`${event.stanza.attrs.id} ${event.error.condition}`));
  const host = { name: 'a.test', bus } as unknown as Host;
  const server = {
    config: parseConfig({ s2s: { max_queue: maxQueue } }, '/tmp'),
    log: createLogger('silent'),
    hosts: new Map([['a.test', host]]),
    router: { bounce: (stanza: Element, error: StanzaError) => void bounces.push({ id: stanza.attrs.id, condition: error.condition }) },
  } as unknown as Server;
  const service = new S2sService(server);
  // The peer never answers: every stanza stays queued while "connecting".
  service.targets = () => new Promise(() => {});
  const send = (id: string, to = 'friar@b.test') => {
    const stanza = x('message', { from: 'romeo@a.test/r', to, id }, x('body', {}, id));
    const event = { stanza, from: parseJid(stanza.attrs.from!), to: parseJid(to), host } as StanzaEvent;
    return service.route(event);
  };
  return { service, send, bounces, offered };
}

describe('S2sService queueing', () => {
  let stop: (() => void) | undefined;
  afterEach(() => stop?.());

  it('queues up to s2s.max_queue stanzas per remote domain, then bounces with resource-constraint', async () => {
    const { service, send, bounces, offered } = setup(3);
    stop = () => service.shutdown();
    for (const id of ['m1', 'm2', 'm3']) expect(send(id)).toBe(true);
    expect(service.links.get('b.test')?.[0].queued).toBe(3);
    expect(send('m4')).toBe(true);
    expect(send('c1', 'friar@c.test')).toBe(true); // another domain, another queue
    await new Promise((r) => setImmediate(r));
    expect(offered).toEqual(['m4 resource-constraint']);
    expect(bounces).toEqual([{ id: 'm4', condition: 'resource-constraint' }]);
    expect(service.links.get('c.test')?.[0].queued).toBe(1);
  });

  it('gives stanzas handed back by a link one more link, then bounces them', async () => {
    const { service, bounces } = setup(10);
    stop = () => service.shutdown();
    const stanza = x('message', { from: 'romeo@a.test/r', to: 'friar@b.test', id: 'again' });
    const deadLink = { remoteDomain: 'b.test' } as OutgoingLink;
    const error = new StanzaError('remote-server-not-found', 'connection closed');
    service.requeue(deadLink, 'a.test', [stanza], error);
    expect(service.links.get('b.test')?.[0].queued).toBe(1);
    service.requeue(deadLink, 'a.test', [stanza], error);
    await new Promise((r) => setImmediate(r));
    expect(bounces).toEqual([{ id: 'again', condition: 'remote-server-not-found' }]);
  });
});
