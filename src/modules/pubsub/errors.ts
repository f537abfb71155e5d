/**
 * The pubsub error registry: short codes the pubsub logic throws, each
 * mapped once to its XMPP stanza error and pubsub#errors application
 * condition, so the conditions XEP-0060 prescribes live in one table.
 *
 * References: XEP-0060 §6.5.9 (item retrieval errors), §7.1.3 (publish
 * errors), §7.1.5 (precondition-not-met), §7.2.3 (retract errors), §8.1
 * (create errors), §8.2.3 and §8.2.5.2 (configure errors), §16.6 (the
 * pubsub#errors conditions).
 */
import { StanzaError, type StanzaErrorCondition } from '../../core/errors/stanza-error.js';
import { x } from '../../core/xml/element.js';
import { PUBSUB } from './namespaces.js';

interface ErrorSpec {
  condition: StanzaErrorCondition;
  /** The pubsub#errors element, when XEP-0060 names one. */
  app?: string;
}

const REGISTRY = {
  'item-not-found': { condition: 'item-not-found' },
  forbidden: { condition: 'forbidden' },
  'node-exists': { condition: 'conflict' },
  'bad-request': { condition: 'bad-request' },
  'not-acceptable': { condition: 'not-acceptable' },
  'payload-too-big': { condition: 'not-acceptable', app: 'payload-too-big' },
  'invalid-payload': { condition: 'bad-request', app: 'invalid-payload' },
  'item-required': { condition: 'bad-request', app: 'item-required' },
  'item-forbidden': { condition: 'bad-request', app: 'item-forbidden' },
  'payload-required': { condition: 'bad-request', app: 'payload-required' },
  'nodeid-required': { condition: 'bad-request', app: 'nodeid-required' },
  'instant-node-refused': { condition: 'not-acceptable', app: 'nodeid-required' },
  'precondition-not-met': { condition: 'conflict', app: 'precondition-not-met' },
  'presence-subscription-required': { condition: 'not-authorized', app: 'presence-subscription-required' },
  'not-in-roster-group': { condition: 'not-authorized', app: 'not-in-roster-group' },
  'closed-node': { condition: 'not-allowed', app: 'closed-node' },
  'unsupported-access-model': { condition: 'not-acceptable', app: 'unsupported-access-model' },
  unsupported: { condition: 'feature-not-implemented', app: 'unsupported' },
} satisfies Record<string, ErrorSpec>;

export type PubsubErrorCode = keyof typeof REGISTRY;

/** A stanza error that remembers the pubsub code it came from (tests and callers branch on it). */
export class PubsubError extends StanzaError {
  constructor(
    readonly code: PubsubErrorCode,
    text?: string,
    /** For `unsupported`: the XEP-0060 feature name that is missing. */
    readonly feature?: string,
  ) {
    const spec: ErrorSpec = REGISTRY[code];
    const app = spec.app ? x(spec.app, { xmlns: PUBSUB.errors, feature }) : undefined;
    super(spec.condition, text, { appCondition: app });
  }
}

export function pubsubError(code: PubsubErrorCode, text?: string, feature?: string): PubsubError {
  return new PubsubError(code, text, feature);
}
