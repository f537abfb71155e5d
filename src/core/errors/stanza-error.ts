/**
 * Stanza errors (RFC 6120 §8.3): thrown by handlers, turned into error
 * replies by the router in one place.
 *
 * References: RFC 6120 §8.3.2 (syntax), §8.3.3 (conditions and their types).
 */
import { Element, x } from '../xml/element.js';
import { NS } from '../xml/ns.js';

export type StanzaErrorType = 'auth' | 'cancel' | 'continue' | 'modify' | 'wait';

export type StanzaErrorCondition =
  | 'bad-request'
  | 'conflict'
  | 'feature-not-implemented'
  | 'forbidden'
  | 'gone'
  | 'internal-server-error'
  | 'item-not-found'
  | 'jid-malformed'
  | 'not-acceptable'
  | 'not-allowed'
  | 'not-authorized'
  | 'policy-violation'
  | 'recipient-unavailable'
  | 'redirect'
  | 'registration-required'
  | 'remote-server-not-found'
  | 'remote-server-timeout'
  | 'resource-constraint'
  | 'service-unavailable'
  | 'subscription-required'
  | 'undefined-condition'
  | 'unexpected-request';

/** The type RFC 6120 §8.3.3 pairs with each condition. */
const DEFAULT_TYPE: Record<StanzaErrorCondition, StanzaErrorType> = {
  'bad-request': 'modify',
  conflict: 'cancel',
  'feature-not-implemented': 'cancel',
  forbidden: 'auth',
  gone: 'cancel',
  'internal-server-error': 'cancel',
  'item-not-found': 'cancel',
  'jid-malformed': 'modify',
  'not-acceptable': 'modify',
  'not-allowed': 'cancel',
  'not-authorized': 'auth',
  'policy-violation': 'modify',
  'recipient-unavailable': 'wait',
  redirect: 'modify',
  'registration-required': 'auth',
  'remote-server-not-found': 'cancel',
  'remote-server-timeout': 'wait',
  'resource-constraint': 'wait',
  'service-unavailable': 'cancel',
  'subscription-required': 'auth',
  'undefined-condition': 'cancel',
  'unexpected-request': 'wait',
};

export class StanzaError extends Error {
  readonly type: StanzaErrorType;

  constructor(
    readonly condition: StanzaErrorCondition,
    readonly text?: string,
    options: { type?: StanzaErrorType; appCondition?: Element } = {},
  ) {
    super(text ? `${condition}: ${text}` : condition);
    this.type = options.type ?? DEFAULT_TYPE[condition];
    this.appCondition = options.appCondition;
  }

  readonly appCondition?: Element;

  toElement(by?: string): Element {
    return x(
      'error',
      { type: this.type, by },
      x(this.condition, { xmlns: NS.stanzaErrors }),
      this.text ? x('text', { xmlns: NS.stanzaErrors, 'xml:lang': 'en' }, this.text) : undefined,
      this.appCondition,
    );
  }
}

/**
 * The error reply to a stanza: addresses swapped, original payload kept
 * (RFC 6120 §8.3.1 allows it; clients use it to tell which request failed).
 */
export function errorReply(stanza: Element, error: StanzaError, by?: string): Element {
  const reply = new Element(stanza.name, {
    ...stanza.attrs,
    type: 'error',
    to: stanza.attrs.from,
    from: stanza.attrs.to,
  });
  if (stanza.name !== 'iq') reply.children = stanza.children.filter((c) => typeof c !== 'string');
  else reply.children = stanza.elements().slice(0, 1);
  reply.children.push(error.toElement(by));
  return reply;
}

/** Error and result stanzas must never be answered with an error (loops). */
export function mayReplyWithError(stanza: Element): boolean {
  const type = stanza.attrs.type;
  return type !== 'error' && !(stanza.name === 'iq' && type === 'result');
}
