/**
 * Node configuration as plain data: the defaults, reading a submitted
 * node_config or publish-options form, checking publish-options as
 * preconditions, and rendering the configuration form. One field table
 * drives all four, so a field is declared once.
 *
 * References: XEP-0060 §8.2 (configure a node), §7.1.5 (publishing
 * options as preconditions), §16.4.4 (pubsub#node_config fields);
 * XEP-0163 §8 (PEP defaults); XEP-0223 §3 (private nodes).
 */
import { pubsubError, type PubsubErrorCode } from './errors.js';
import { buildForm, parseBoolean, type FormField } from './data-form.js';
import { PUBSUB } from './namespaces.js';
import type { Element } from '../../core/xml/element.js';

export const ACCESS_MODELS = ['open', 'presence', 'roster', 'whitelist'] as const;
export type AccessModel = (typeof ACCESS_MODELS)[number];
export type SendLastPublished = 'never' | 'on_sub' | 'on_sub_and_presence';

export interface NodeConfig {
  title: string;
  access_model: AccessModel;
  roster_groups_allowed: string[];
  publish_model: 'publishers';
  persist_items: boolean;
  /** Items kept; `max` is the service's own limit (XEP-0060 `config-node-max`). */
  max_items: number | 'max';
  send_last_published_item: SendLastPublished;
  deliver_notifications: boolean;
  deliver_payloads: boolean;
  notify_config: boolean;
  notify_delete: boolean;
  notify_retract: boolean;
  notification_type: 'headline' | 'normal';
  /** The payload namespace the node accepts; empty for any. */
  type: string;
}

export interface ServiceLimits {
  /** What `max` means, and the largest number of items a node may keep. */
  maxItems: number;
  /** Largest item payload, in bytes of serialised XML. */
  maxPayloadBytes: number;
}

export const DEFAULT_LIMITS: ServiceLimits = { maxItems: 1000, maxPayloadBytes: 64 * 1024 };

/** PEP's smart defaults (XEP-0163 §8): presence access, payloads and the last item delivered. */
export function defaultNodeConfig(overrides: Partial<NodeConfig> = {}): NodeConfig {
  return {
    title: '',
    access_model: 'presence',
    roster_groups_allowed: [],
    publish_model: 'publishers',
    persist_items: true,
    max_items: 1,
    send_last_published_item: 'on_sub_and_presence',
    deliver_notifications: true,
    deliver_payloads: true,
    notify_config: false,
    notify_delete: true,
    notify_retract: true,
    notification_type: 'headline',
    type: '',
    ...overrides,
  };
}

type Kind = { kind: 'boolean' } | { kind: 'text' } | { kind: 'multi' } | { kind: 'max' } | { kind: 'list'; options: readonly string[] };
interface FieldDef {
  key: keyof NodeConfig;
  label: string;
  spec: Kind;
}

const boolean: Kind = { kind: 'boolean' };
const FIELDS: FieldDef[] = [
  { key: 'title', label: 'A friendly name for the node', spec: { kind: 'text' } },
  { key: 'access_model', label: 'Who may subscribe and retrieve items', spec: { kind: 'list', options: ACCESS_MODELS } },
  { key: 'roster_groups_allowed', label: 'Roster groups allowed to subscribe', spec: { kind: 'multi' } },
  { key: 'publish_model', label: 'Who may publish', spec: { kind: 'list', options: ['publishers'] } },
  { key: 'persist_items', label: 'Persist items to storage', spec: boolean },
  { key: 'max_items', label: 'Max # of items to persist', spec: { kind: 'max' } },
  { key: 'send_last_published_item', label: 'When to send the last published item', spec: { kind: 'list', options: ['never', 'on_sub', 'on_sub_and_presence'] } },
  { key: 'deliver_notifications', label: 'Whether to deliver event notifications', spec: boolean },
  { key: 'deliver_payloads', label: 'Whether to deliver payloads with event notifications', spec: boolean },
  { key: 'notify_config', label: 'Notify subscribers when the node configuration changes', spec: boolean },
  { key: 'notify_delete', label: 'Notify subscribers when the node is deleted', spec: boolean },
  { key: 'notify_retract', label: 'Notify subscribers when items are removed from the node', spec: boolean },
  { key: 'notification_type', label: 'Specify the delivery style for event notifications', spec: { kind: 'list', options: ['headline', 'normal'] } },
  { key: 'type', label: 'Payload namespace the node accepts', spec: { kind: 'text' } },
];
const BY_VAR = new Map(FIELDS.map((f) => [`pubsub#${f.key}`, f]));
const INVALID = Symbol('invalid');

function parseValue(def: FieldDef, values: string[], limits: ServiceLimits): unknown {
  const spec = def.spec;
  if (spec.kind === 'multi') return [...values];
  if (values.length > 1) return INVALID;
  const value = values[0] ?? '';
  switch (spec.kind) {
    case 'boolean':
      return parseBoolean(value) ?? INVALID;
    case 'text':
      return value;
    case 'list':
      return spec.options.includes(value) ? value : INVALID;
    case 'max': {
      if (value === 'max') return 'max';
      if (!/^\d+$/.test(value)) return INVALID;
      const n = Number(value);
      return n >= 1 && n <= limits.maxItems ? n : INVALID;
    }
  }
}

function formatValue(def: FieldDef, value: unknown): string[] {
  if (def.spec.kind === 'multi') return value as string[];
  if (def.spec.kind === 'boolean') return [value ? 'true' : 'false'];
  return value === '' ? [] : [String(value)];
}

/**
 * Applies submitted fields to a configuration. An unknown field or a value
 * out of range is refused (XEP-0060 §8.2.5.2: not-acceptable); an access
 * model we do not offer gets unsupported-access-model (§8.1.3).
 */
export function applyConfigFields(base: NodeConfig, fields: Map<string, string[]>, limits: ServiceLimits): NodeConfig {
  const next: Record<string, unknown> = { ...base };
  for (const [name, values] of fields) {
    const def = BY_VAR.get(name);
    if (!def) throw pubsubError('not-acceptable', `unknown configuration field ${name}`);
    const value = parseValue(def, values, limits);
    if (value === INVALID) {
      const code: PubsubErrorCode = def.key === 'access_model' ? 'unsupported-access-model' : 'not-acceptable';
      throw pubsubError(code, `invalid value for ${name}`);
    }
    next[def.key] = value;
  }
  return next as unknown as NodeConfig;
}

/**
 * XEP-0060 §7.1.5: each publish-option is a precondition on an existing
 * node; a field we cannot check, or a value that differs, fails the publish.
 */
export function checkPreconditions(config: NodeConfig, fields: Map<string, string[]>, limits: ServiceLimits): void {
  for (const [name, values] of fields) {
    const def = BY_VAR.get(name);
    const wanted = def && parseValue(def, values, limits);
    if (!def || wanted === INVALID) throw pubsubError('precondition-not-met', `cannot satisfy ${name}`);
    const actual = config[def.key];
    const same = Array.isArray(actual) ? JSON.stringify([...actual].sort()) === JSON.stringify([...(wanted as string[])].sort()) : actual === wanted;
    if (!same) throw pubsubError('precondition-not-met', `${name} is not ${values.join(' ')}`);
  }
}

/** A new node's configuration from publish-options (§7.1.5: defaults except the preconditions). */
export function configFromOptions(defaults: NodeConfig, fields: Map<string, string[]>, limits: ServiceLimits): NodeConfig {
  try {
    return applyConfigFields(defaults, fields, limits);
  } catch {
    throw pubsubError('precondition-not-met', 'publish-options cannot be applied to a new node');
  }
}

/** How many items a node keeps: one when items are not persisted (the last one is cached). */
export function capacity(config: NodeConfig, limits: ServiceLimits): number {
  if (!config.persist_items) return 1;
  return config.max_items === 'max' ? limits.maxItems : Math.min(config.max_items, limits.maxItems);
}

/** The node_config form with the current values (§8.2.1) or as a result (§8.2.5.3 notification). */
export function configForm(config: NodeConfig, type: 'form' | 'result' = 'form'): Element {
  const fields: FormField[] = FIELDS.map((def) => ({
    var: `pubsub#${def.key}`,
    type: type === 'form' ? fieldType(def.spec) : undefined,
    label: type === 'form' ? def.label : undefined,
    options: type === 'form' && def.spec.kind === 'list' ? [...def.spec.options] : undefined,
    values: formatValue(def, config[def.key]),
  }));
  return buildForm(type, PUBSUB.nodeConfig, fields);
}

function fieldType(spec: Kind): string {
  if (spec.kind === 'boolean') return 'boolean';
  if (spec.kind === 'list') return 'list-single';
  if (spec.kind === 'multi') return 'list-multi';
  return 'text-single';
}
