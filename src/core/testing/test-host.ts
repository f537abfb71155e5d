/**
 * Hosts and sessions without sockets, for unit tests of the router and of
 * modules: a stub server with real Host, Router and EventBus, and fake
 * bound sessions that record what they are sent.
 */
import { Host } from '../host.js';
import { Router } from '../router/route.js';
import { createLogger } from '../log.js';
import { parseJid } from '../jid/jid.js';
import type { Element } from '../xml/element.js';
import type { Server } from '../server.js';
import type { Session } from '../session/session.js';

export interface FakeSession extends Session {
  readonly sent: Element[];
}

export interface TestHosts {
  server: Server;
  router: Router;
  host(name: string): Host;
  /** A bound session of `fullJid`, registered on its host. */
  session(fullJid: string): FakeSession;
}

export function createTestHosts(names: string[] = ['localhost']): TestHosts {
  const hosts = new Map<string, Host>();
  const server = {
    hosts,
    log: createLogger('silent'),
    get defaultHost() {
      return hosts.values().next().value!;
    },
  } as unknown as Server;
  const router = new Router(server);
  Object.assign(server, { router });
  for (const name of names) hosts.set(name, new Host(name, server));
  return {
    server,
    router,
    host: (name) => hosts.get(name)!,
    session(fullJid) {
      const jid = parseJid(fullJid);
      const host = hosts.get(jid.domain)!;
      const sent: Element[] = [];
      const session = { jid, host, username: jid.local, bound: true, priority: 0, state: {}, sent, send: (el: Element) => sent.push(el) };
      host.sessions.add(jid.local!, jid.resource!, session as unknown as Session);
      return session as unknown as FakeSession;
    },
  };
}
