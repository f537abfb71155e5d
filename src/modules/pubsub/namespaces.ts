/**
 * Namespaces and form types of publish-subscribe, kept beside the pubsub
 * core rather than in the server-wide table because only pubsub users need
 * them.
 *
 * References: XEP-0060 §16.2 (protocol namespaces), §16.4 (form types).
 */
export const PUBSUB = {
  main: 'http://jabber.org/protocol/pubsub',
  owner: 'http://jabber.org/protocol/pubsub#owner',
  event: 'http://jabber.org/protocol/pubsub#event',
  errors: 'http://jabber.org/protocol/pubsub#errors',
  nodeConfig: 'http://jabber.org/protocol/pubsub#node_config',
  publishOptions: 'http://jabber.org/protocol/pubsub#publish-options',
} as const;

/** `http://jabber.org/protocol/pubsub#<name>` (XEP-0060 §16.2 feature names). */
export function pubsubFeature(name: string): string {
  return `${PUBSUB.main}#${name}`;
}
