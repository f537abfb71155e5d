/**
 * Stream errors (RFC 6120 §4.9): thrown or raised to close a stream with a
 * condition the peer can act on.
 */
import { x, type Element } from '../xml/element.js';
import { NS } from '../xml/ns.js';

export type StreamErrorCondition =
  | 'bad-format'
  | 'bad-namespace-prefix'
  | 'conflict'
  | 'connection-timeout'
  | 'host-gone'
  | 'host-unknown'
  | 'improper-addressing'
  | 'internal-server-error'
  | 'invalid-from'
  | 'invalid-namespace'
  | 'invalid-xml'
  | 'not-authorized'
  | 'not-well-formed'
  | 'policy-violation'
  | 'remote-connection-failed'
  | 'reset'
  | 'resource-constraint'
  | 'restricted-xml'
  | 'see-other-host'
  | 'system-shutdown'
  | 'undefined-condition'
  | 'unsupported-encoding'
  | 'unsupported-feature'
  | 'unsupported-stanza-type'
  | 'unsupported-version';

export class StreamError extends Error {
  constructor(
    readonly condition: StreamErrorCondition,
    readonly text?: string,
  ) {
    super(text ? `${condition}: ${text}` : condition);
  }

  toElement(): Element {
    return x(
      'stream:error',
      {},
      x(this.condition, { xmlns: NS.streamErrors }),
      this.text ? x('text', { xmlns: NS.streamErrors, 'xml:lang': 'en' }, this.text) : undefined,
    );
  }
}
