/**
 * Archive queries from a TestClient: builds the XEP-0313 query (filter
 * form, RSM set, flip-page), sends it, and returns the result messages that
 * arrived for it (in arrival order) with the closing `<fin/>`.
 *
 * References: XEP-0313 §4 (query, results, fin); XEP-0059 §2 (RSM).
 */
import { randomBytes } from 'node:crypto';
import { xml, type TestClient, type XmlElement } from './client.js';

export const MAM_NS = 'urn:xmpp:mam:2';
export const RSM_NS = 'http://jabber.org/protocol/rsm';
export const SID_NS = 'urn:xmpp:sid:0';

export interface MamQueryOptions {
  /** Query another archive (default: the account's own, no `to`). */
  to?: string;
  with?: string;
  start?: string;
  end?: string;
  afterId?: string;
  beforeId?: string;
  ids?: string[];
  max?: number;
  after?: string;
  /** `''` asks for the last page. */
  before?: string;
  flip?: boolean;
  /** Raw extra form fields, for bad input. */
  fields?: XmlElement[];
}

export interface ArchivedMessage {
  /** The archive id (`<result id>`). */
  id: string;
  stamp: string;
  /** The forwarded original message. */
  message: XmlElement;
  body?: string;
}

export interface MamAnswer {
  items: ArchivedMessage[];
  fin: XmlElement;
  complete: boolean;
  first?: string;
  last?: string;
  count?: number;
}

const field = (name: string, ...values: string[]) => xml('field', { var: name }, ...values.map((v) => xml('value', {}, v)));

function queryElement(options: MamQueryOptions, queryid: string): XmlElement {
  const fields: XmlElement[] = [];
  if (options.with !== undefined) fields.push(field('with', options.with));
  if (options.start !== undefined) fields.push(field('start', options.start));
  if (options.end !== undefined) fields.push(field('end', options.end));
  if (options.afterId !== undefined) fields.push(field('after-id', options.afterId));
  if (options.beforeId !== undefined) fields.push(field('before-id', options.beforeId));
  if (options.ids !== undefined) fields.push(field('ids', ...options.ids));
  fields.push(...(options.fields ?? []));
  const rsm: XmlElement[] = [];
  if (options.max !== undefined) rsm.push(xml('max', {}, String(options.max)));
  if (options.after !== undefined) rsm.push(xml('after', {}, options.after));
  if (options.before !== undefined) rsm.push(xml('before', {}, options.before));
  return xml(
    'query',
    { xmlns: MAM_NS, queryid },
    fields.length > 0 ? xml('x', { xmlns: 'jabber:x:data', type: 'submit' }, field('FORM_TYPE', MAM_NS), ...fields) : undefined,
    rsm.length > 0 ? xml('set', { xmlns: RSM_NS }, ...rsm) : undefined,
    options.flip ? xml('flip-page') : undefined,
  );
}

/** Runs one query; rejects with the StanzaError of an error answer. */
export async function queryArchive(client: TestClient, options: MamQueryOptions = {}): Promise<MamAnswer> {
  const queryid = randomBytes(6).toString('hex');
  const answer = await client.iq(xml('iq', { type: 'set', to: options.to }, queryElement(options, queryid)));
  // Results precede the IQ result on the stream, so they are all in by now.
  const isResult = (el: XmlElement) => el.name === 'message' && el.getChild('result', MAM_NS)?.attrs.queryid === queryid;
  const results = client.received.filter(isResult);
  client.received.splice(0, client.received.length, ...client.received.filter((el) => !isResult(el)));
  const fin = answer.getChild('fin', MAM_NS)!;
  const set = fin.getChild('set', RSM_NS);
  const count = set?.getChildText('count');
  return {
    items: results.map(toArchived),
    fin,
    complete: fin.attrs.complete === 'true',
    first: set?.getChildText('first') ?? undefined,
    last: set?.getChildText('last') ?? undefined,
    count: count === undefined || count === null ? undefined : Number(count),
  };
}

function toArchived(el: XmlElement): ArchivedMessage {
  const result = el.getChild('result', MAM_NS)!;
  const forwarded = result.getChild('forwarded', 'urn:xmpp:forward:0')!;
  const message = forwarded.getChild('message')!;
  return {
    id: result.attrs.id as string,
    stamp: forwarded.getChild('delay', 'urn:xmpp:delay')!.attrs.stamp as string,
    message,
    body: message.getChildText('body') ?? undefined,
  };
}

/** The stanza-id the archive `by` put on a received message. */
export function stanzaIdOf(message: XmlElement, by: string): string | undefined {
  return message.getChildren('stanza-id', SID_NS).find((el) => el.attrs.by === by)?.attrs.id as string | undefined;
}
