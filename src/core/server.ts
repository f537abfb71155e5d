/**
 * The server: hosts, router, storage, accounts and listeners, started from a
 * validated config and stopped gracefully (every stream gets
 * `system-shutdown`, RFC 6120 §4.9.3.22).
 */
import type { SecureContext } from 'node:tls';
import { createSecureContext } from 'node:tls';
import { Host } from './host.js';
import { Router } from './router/route.js';
import { loadModules } from './module/loader.js';
import { StreamError } from './errors/stream-error.js';
import { Accounts } from './accounts.js';
import { loadCertificate } from './tls/certificate.js';
import { openStorage } from '../storage/open.js';
import { ControlRegistry } from './control/registry.js';
import { controlSocketPath, openControlSocket, type ControlSocket } from './control/socket.js';
import { defaultModules, resolveModules } from '../modules/index.js';
import { componentHosts } from '../modules/components.js';
import { startListeners, type Listeners } from '../modules/listeners.js';
import type { PerchConfig } from './config/config.js';
import type { Logger } from './log.js';
import type { StorageDriver } from './storage/stores.js';
import type { Session } from './session/session.js';

export interface RunningServer {
  readonly server: Server;
  /** Bound ports (useful when the config asked for port 0). */
  readonly ports: { c2s?: number; c2s_tls?: number; http?: number; s2s?: number; s2s_tls?: number };
  stop(reason?: string): Promise<void>;
}

export class Server {
  readonly hosts = new Map<string, Host>();
  readonly router = new Router(this);
  readonly accounts: Accounts;
  /** Operator commands modules offer on the control socket (`perch rooms ...`). */
  readonly control = new ControlRegistry();
  /** Every open client connection, authenticated or not. */
  private readonly connections = new Set<Session>();

  constructor(
    readonly config: PerchConfig,
    readonly log: Logger,
    readonly storage: StorageDriver,
    readonly tlsContext: SecureContext,
    readonly certificate: { cert: string; key: string },
  ) {
    this.accounts = new Accounts(storage);
    for (const name of config.hosts) this.hosts.set(name, new Host(name, this));
  }

  /** Adds a component host (a service such as MUC) that only routes stanzas to its modules. */
  addComponentHost(name: string): Host {
    const host = new Host(name, this, false);
    this.hosts.set(name, host);
    return host;
  }

  get defaultHost(): Host {
    return this.hosts.values().next().value!;
  }

  track(session: Session): void {
    this.connections.add(session);
  }

  untrack(session: Session): void {
    this.connections.delete(session);
  }

  get connectionCount(): number {
    return this.connections.size;
  }

  closeAll(error: StreamError): void {
    for (const session of this.connections) session.close(error);
  }
}

export async function startServer(config: PerchConfig, log: Logger): Promise<RunningServer> {
  const certificate = await loadCertificate(config, log);
  const tlsContext = createSecureContext({ cert: certificate.cert, key: certificate.key });
  const storage = openStorage(config);
  const server = new Server(config, log, storage, tlsContext, certificate);
  let listeners: Listeners | undefined;
  let control: ControlSocket | undefined;
  try {
    const modules = resolveModules([...defaultModules, ...(config.modules ?? [])]);
    for (const host of [...server.hosts.values()]) await loadModules(host, storage, modules);
    // Components load after user hosts so they can register with them (disco items).
    for (const component of componentHosts(config)) {
      if (server.hosts.has(component.domain)) throw new Error(`PERCH_ERR_COMPONENT_DOMAIN: ${component.domain} is also a user host`);
      await loadModules(server.addComponentHost(component.domain), storage, component.modules);
    }
    listeners = await startListeners(server);
    for (const host of server.hosts.values()) await host.bus.fire('server-started', { host });
    control = await openControlSocket(controlSocketPath(config.data_dir), server.control, log);
  } catch (err) {
    await storage.close();
    throw err;
  }
  log.info({ hosts: config.hosts, ports: listeners.ports }, 'perch started');
  let stopping: Promise<void> | undefined;
  const stop = (reason = 'server shutting down') =>
    (stopping ??= (async () => {
      log.info({ reason }, 'perch stopping');
      await listeners!.stopAccepting();
      await control!.close();
      // Components (MUC) first: they save their state before user hosts end
      // sessions and those sessions' unavailable presences reach them.
      const hosts = [...server.hosts.values()].sort((a, b) => Number(a.acceptsClients) - Number(b.acceptsClients));
      for (const host of hosts) await host.bus.fire('host-stopping', { host });
      server.closeAll(new StreamError('system-shutdown', reason));
      await listeners!.closed(2000);
      await storage.close();
      log.info('perch stopped');
    })());
  return { server, ports: listeners.ports, stop };
}
