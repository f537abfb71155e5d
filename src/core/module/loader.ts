/**
 * Loads modules onto a host in dependency order: opens their stores, runs
 * setup, registers hooks and features. A missing dependency or a cycle is a
 * start-up error with a PERCH_ERR code.
 */
import type { Host } from '../host.js';
import type { StorageDriver, StoreKind } from '../storage/stores.js';
import type { ModuleContext, ModuleDefinition, ModuleExports, StoreSpec } from './define-module.js';

export class ModuleLoadError extends Error {
  constructor(
    readonly code: 'PERCH_ERR_MODULE_MISSING_DEPENDENCY' | 'PERCH_ERR_MODULE_CYCLE' | 'PERCH_ERR_MODULE_UNKNOWN',
    message: string,
  ) {
    super(`${code}: ${message}`);
  }
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- manifests differ in stores and exports
export type AnyModule = ModuleDefinition<any, any>;

export async function loadModules(host: Host, storage: StorageDriver, modules: AnyModule[]): Promise<void> {
  for (const def of orderByDependencies(modules)) await loadModule(host, storage, def);
}

function orderByDependencies(modules: AnyModule[]): AnyModule[] {
  const byName = new Map(modules.map((m) => [m.name, m]));
  const ordered: AnyModule[] = [];
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (def: AnyModule, path: string[]): void => {
    if (state.get(def.name) === 'done') return;
    if (state.get(def.name) === 'visiting') {
      throw new ModuleLoadError('PERCH_ERR_MODULE_CYCLE', [...path, def.name].join(' -> '));
    }
    state.set(def.name, 'visiting');
    for (const depName of def.depends ?? []) {
      const dep = byName.get(depName);
      if (!dep) throw new ModuleLoadError('PERCH_ERR_MODULE_MISSING_DEPENDENCY', `${def.name} needs ${depName}`);
      visit(dep, [...path, def.name]);
    }
    state.set(def.name, 'done');
    ordered.push(def);
  };
  for (const def of modules) visit(def, []);
  return ordered;
}

async function loadModule(host: Host, storage: StorageDriver, def: AnyModule): Promise<void> {
  const stores: Record<string, unknown> = {};
  for (const [store, kind] of Object.entries(def.stores ?? {})) {
    stores[store] = storage[kind as StoreKind](host.name, store);
  }
  const ctx: ModuleContext = {
    name: def.name,
    host,
    server: host.server,
    config: host.config,
    log: host.log.child({ module: def.name, host: host.name }),
    stores: stores as ModuleContext['stores'],
    dep: <N extends keyof ModuleExports>(name: N) => host.modules.get(name as string) as ModuleExports[N],
    hook: (name, handler, priority) => void host.bus.on(name, handler, priority),
  };
  const api = def.setup ? await def.setup(ctx) : undefined;
  host.modules.set(def.name, api);
  const instance = Object.assign(Object.create(null), ctx, { api });
  for (const [event, spec] of Object.entries(def.hooks ?? {})) {
    if (!spec) continue;
    const { handler, priority } = typeof spec === 'function' ? { handler: spec, priority: 0 } : spec;
    host.bus.on(event as never, (payload: unknown) => handler(payload as never, instance), priority);
  }
  for (const feature of def.features ?? []) host.features.add(feature);
}
