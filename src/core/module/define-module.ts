/**
 * A module's manifest: its name, dependencies, disco features, the stores it
 * needs and the events it hooks, all in one object so a reader sees a
 * feature's surface at a glance (ejabberd's start/2, Prosody's module API).
 *
 *   export default defineModule({
 *     name: 'ping',
 *     features: [NS.ping],
 *     hooks: { 'iq-get/host/urn:xmpp:ping:ping': ({ stanza, host }) => ... },
 *   });
 */
import type { EventMap, EventName } from '../events/event-map.js';
import type { StoreKind, StoreOfKind } from '../storage/stores.js';
import type { Host } from '../host.js';
import type { Server } from '../server.js';
import type { Logger } from '../log.js';
import type { PerchConfig } from '../config/config.js';

/** Typed exports of modules, keyed by module name; modules add themselves by declaration merging. */
// eslint-disable-next-line @typescript-eslint/no-empty-interface
export interface ModuleExports {}

export type StoreSpec = Record<string, StoreKind>;
export type StoresOf<S extends StoreSpec> = { [K in keyof S]: StoreOfKind[S[K]] };

export interface ModuleContext<S extends StoreSpec = StoreSpec> {
  readonly name: string;
  readonly host: Host;
  readonly server: Server;
  readonly config: PerchConfig;
  readonly log: Logger;
  readonly stores: StoresOf<S>;
  /** Exports of a declared dependency. */
  dep<N extends keyof ModuleExports>(name: N): ModuleExports[N];
  /** Hooks an event from code (for hooks that depend on setup state). */
  hook<K extends EventName>(name: K, handler: (payload: EventMap[K]) => unknown, priority?: number): void;
}

export type HookHandler<P, M> = (payload: P, mod: M) => unknown;
export type HookSpec<P, M> = HookHandler<P, M> | { handler: HookHandler<P, M>; priority: number };

/** The instance handlers receive: the context plus what setup returned. */
export type ModuleInstance<S extends StoreSpec, E> = ModuleContext<S> & { readonly api: E };

export type HookTable<S extends StoreSpec, E> = {
  [K in EventName]?: HookSpec<EventMap[K], ModuleInstance<S, E>>;
};

export interface ModuleDefinition<S extends StoreSpec = StoreSpec, E = unknown> {
  name: string;
  depends?: string[];
  /** Disco#info features the host advertises while the module is loaded. */
  features?: string[];
  stores?: S;
  setup?(ctx: ModuleContext<S>): E | Promise<E>;
  hooks?: HookTable<S, E>;
}

export function defineModule<S extends StoreSpec = {}, E = undefined>(def: ModuleDefinition<S, E>): ModuleDefinition<S, E> {
  return def;
}
