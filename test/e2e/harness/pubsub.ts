/**
 * Small builders shared by the PEP and bookmarks end-to-end tests: data
 * forms, publish-options, and catching an expected error reply.
 *
 * References: XEP-0004 §3 (submitted forms); XEP-0060 §7.1.5
 * (publish-options); RFC 6120 §8.3 (error replies).
 */
import { xml, type XmlElement } from './client.js';

export const PUBSUB = 'http://jabber.org/protocol/pubsub';
export const PUBSUB_OWNER = 'http://jabber.org/protocol/pubsub#owner';
export const PUBSUB_EVENT = 'http://jabber.org/protocol/pubsub#event';
export const NODE_CONFIG = 'http://jabber.org/protocol/pubsub#node_config';
export const PUBLISH_OPTIONS = 'http://jabber.org/protocol/pubsub#publish-options';

/** A submitted data form of `formType` with single-valued fields. */
export function form(formType: string, fields: Record<string, string>): XmlElement {
  return xml(
    'x',
    { xmlns: 'jabber:x:data', type: 'submit' },
    xml('field', { var: 'FORM_TYPE', type: 'hidden' }, xml('value', {}, formType)),
    ...Object.entries(fields).map(([k, v]) => xml('field', { var: k }, xml('value', {}, v))),
  );
}

export function publishOptions(fields: Record<string, string>): XmlElement {
  return xml('publish-options', {}, form(PUBLISH_OPTIONS, fields));
}

/** The error an IQ was answered with (condition and pubsub#errors element); fails if it succeeded. */
export async function rejection(promise: Promise<unknown>): Promise<{ condition: string; application?: XmlElement }> {
  try {
    await promise;
  } catch (err) {
    return err as { condition: string; application?: XmlElement };
  }
  throw new Error('expected an error reply');
}
