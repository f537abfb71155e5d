/**
 * The module registry: every module the server can load, and the default
 * list loaded on each host. The config's `modules` adds optional ones.
 */
import type { ModuleDefinition } from '../core/module/define-module.js';
import { ModuleLoadError } from '../core/module/loader.js';
import tls from './tls/index.js';
import sasl from './sasl/index.js';
import bind from './bind/index.js';
import iq from './iq/index.js';
import message from './message/index.js';
import offline from './offline/index.js';
import roster from './roster/index.js';
import presence from './presence/index.js';
import disco from './disco/index.js';
import caps from './caps/index.js';
import ping from './ping/index.js';
import version from './version/index.js';
import time from './time/index.js';
import vcard from './vcard/index.js';
import privateStorage from './private/index.js';
import blocking from './blocking/index.js';
import register from './register/index.js';
import mam from './mam/index.js';
import streamManagement from './stream-management/index.js';
import csi from './csi/index.js';
import carbons from './carbons/index.js';
import pep from './pep/index.js';
import bookmarks from './bookmarks/index.js';
import accountRooms from './account-rooms/index.js';
import s2s from './s2s/index.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- manifests differ in stores and exports
type AnyModule = ModuleDefinition<any, any>;

export const registry: Record<string, AnyModule> = {
  tls,
  sasl,
  bind,
  iq,
  message,
  offline,
  roster,
  presence,
  disco,
  caps,
  ping,
  version,
  time,
  vcard,
  private: privateStorage,
  blocking,
  register,
  mam,
  'stream-management': streamManagement,
  csi,
  carbons,
  pep,
  bookmarks,
  'account-rooms': accountRooms,
  s2s,
};

export const defaultModules = Object.keys(registry);

export function resolveModules(names: string[]): AnyModule[] {
  const unique = [...new Set(names)];
  return unique.map((name) => {
    const def = registry[name];
    if (!def) throw new ModuleLoadError('PERCH_ERR_MODULE_UNKNOWN', `no module named ${name}`);
    return def;
  });
}
