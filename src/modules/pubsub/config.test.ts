import { describe, expect, it } from 'vitest';
import { applyConfigFields, capacity, checkPreconditions, configForm, configFromOptions, defaultNodeConfig, DEFAULT_LIMITS } from './config.js';
import { PubsubError } from './errors.js';
import { parseForm } from './data-form.js';

const fields = (entries: Record<string, string | string[]>) =>
  new Map(Object.entries(entries).map(([k, v]) => [k, Array.isArray(v) ? v : [v]]));
const codeOf = (fn: () => unknown) => {
  try {
    fn();
  } catch (err) {
    return (err as PubsubError).code;
  }
  return undefined;
};

describe('node configuration', () => {
  it('defaults to the PEP smart defaults (XEP-0163 §8)', () => {
    const config = defaultNodeConfig();
    expect(config.access_model).toBe('presence');
    expect(config.send_last_published_item).toBe('on_sub_and_presence');
    expect(config.deliver_notifications).toBe(true);
    expect(config.persist_items).toBe(true);
  });

  it('applies submitted fields, booleans in both spellings, and max_items max', () => {
    const config = applyConfigFields(
      defaultNodeConfig(),
      fields({ 'pubsub#access_model': 'whitelist', 'pubsub#persist_items': '1', 'pubsub#notify_retract': 'false', 'pubsub#max_items': 'max' }),
      DEFAULT_LIMITS,
    );
    expect(config).toMatchObject({ access_model: 'whitelist', persist_items: true, notify_retract: false, max_items: 'max' });
    expect(capacity(config, DEFAULT_LIMITS)).toBe(DEFAULT_LIMITS.maxItems);
  });

  it('refuses unknown fields, bad values and unsupported access models', () => {
    const base = defaultNodeConfig();
    expect(codeOf(() => applyConfigFields(base, fields({ 'pubsub#colour': 'red' }), DEFAULT_LIMITS))).toBe('not-acceptable');
    expect(codeOf(() => applyConfigFields(base, fields({ 'pubsub#persist_items': 'yes' }), DEFAULT_LIMITS))).toBe('not-acceptable');
    expect(codeOf(() => applyConfigFields(base, fields({ 'pubsub#max_items': '0' }), DEFAULT_LIMITS))).toBe('not-acceptable');
    expect(codeOf(() => applyConfigFields(base, fields({ 'pubsub#max_items': '100000' }), DEFAULT_LIMITS))).toBe('not-acceptable');
    expect(codeOf(() => applyConfigFields(base, fields({ 'pubsub#access_model': 'authorize' }), DEFAULT_LIMITS))).toBe(
      'unsupported-access-model',
    );
  });

  it('checks publish-options as preconditions (XEP-0060 §7.1.5)', () => {
    const config = defaultNodeConfig({ access_model: 'whitelist' });
    expect(() => checkPreconditions(config, fields({ 'pubsub#access_model': 'whitelist', 'pubsub#persist_items': 'true' }), DEFAULT_LIMITS)).not.toThrow();
    const error = (() => {
      try {
        checkPreconditions(config, fields({ 'pubsub#access_model': 'open' }), DEFAULT_LIMITS);
      } catch (err) {
        return err as PubsubError;
      }
    })();
    expect(error?.code).toBe('precondition-not-met');
    expect(error?.condition).toBe('conflict');
    expect(error?.toElement().toString()).toContain("<precondition-not-met xmlns='http://jabber.org/protocol/pubsub#errors'/>");
    expect(codeOf(() => checkPreconditions(config, fields({ 'pubsub#whatever': '1' }), DEFAULT_LIMITS))).toBe('precondition-not-met');
  });

  it('creates a node from publish-options, and refuses options it cannot apply', () => {
    const config = configFromOptions(defaultNodeConfig(), fields({ 'pubsub#access_model': 'whitelist', 'pubsub#max_items': 'max' }), DEFAULT_LIMITS);
    expect(config).toMatchObject({ access_model: 'whitelist', max_items: 'max' });
    expect(codeOf(() => configFromOptions(defaultNodeConfig(), fields({ 'pubsub#max_items': 'many' }), DEFAULT_LIMITS))).toBe('precondition-not-met');
  });

  it('keeps one item when items are not persisted', () => {
    expect(capacity(defaultNodeConfig({ persist_items: false, max_items: 10 }), DEFAULT_LIMITS)).toBe(1);
  });

  it('renders a form that reads back to the same configuration', () => {
    const config = defaultNodeConfig({ access_model: 'open', max_items: 5, roster_groups_allowed: ['Friends'] });
    const form = parseForm(configForm(config));
    expect(form.formType).toBe('http://jabber.org/protocol/pubsub#node_config');
    expect(applyConfigFields(defaultNodeConfig(), form.fields, DEFAULT_LIMITS)).toEqual(config);
  });
});
