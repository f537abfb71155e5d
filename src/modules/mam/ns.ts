/**
 * Namespaces of message archiving, kept beside the module that owns them.
 *
 * References: XEP-0313 §8 (urn:xmpp:mam:2), §7 (#extended, #groupchat-field,
 * #groupchat-available); XEP-0359 §5; XEP-0059 §7; XEP-0297 §7; XEP-0334 §5.
 */
export const MAM = {
  ns: 'urn:xmpp:mam:2',
  extended: 'urn:xmpp:mam:2#extended',
  /** The query form understands `include-groupchat`. */
  groupchatField: 'urn:xmpp:mam:2#groupchat-field',
  /** The user's archive holds room messages (advertised by whoever writes them there). */
  groupchatAvailable: 'urn:xmpp:mam:2#groupchat-available',
  stanzaIds: 'urn:xmpp:sid:0',
  rsm: 'http://jabber.org/protocol/rsm',
  forward: 'urn:xmpp:forward:0',
  hints: 'urn:xmpp:hints',
  xdataValidate: 'http://jabber.org/protocol/xdata-validate',
} as const;
