/**
 * The archive query: its XEP-0004 filter form (`with`, `start`, `end`,
 * `before-id`, `after-id`, `ids`, `include-groupchat`), RSM paging and
 * `<flip-page/>`, parsed into a typed request, and the form advertised to
 * clients that ask for the supported fields. Malformed input is refused
 * before anything is sent: `bad-request` for bad values,
 * `feature-not-implemented` for fields we do not know, as XEP-0313 asks.
 *
 * References: XEP-0313 §4.1 (filters), §4.1.4 (include-groupchat), §4.1.5
 * (retrieving form fields), §4.3.4 (flipped pages); XEP-0004 §3.2 (submit
 * forms), §3.3 (field types, boolean values); XEP-0068 §3 (FORM_TYPE);
 * XEP-0122 §4 (open validation for `ids`).
 */
import { StanzaError } from '../../core/errors/stanza-error.js';
import { x, type Element } from '../../core/xml/element.js';
import { NS } from '../../core/xml/ns.js';
import { tryParseJid, type JID } from '../../core/jid/jid.js';
import { parseDateTime } from './datetime.js';
import { MAM } from './ns.js';
import { parseRsm, type RsmRequest } from './rsm.js';

export interface MamQuery {
  queryId?: string;
  with?: JID;
  start?: number;
  end?: number;
  /** The #extended id bounds (exclusive); unlike RSM's, they do not page backwards. */
  afterId?: string;
  beforeId?: string;
  ids?: string[];
  /**
   * `include-groupchat`: false leaves room messages out. Absent, the default
   * is ours to choose (XEP-0313 Business Rules, User Archives): room
   * messages are kept, as the archive holds them for the user to read.
   */
  includeGroupchat?: boolean;
  rsm: RsmRequest;
  /** Send the page newest first (XEP-0313 §4.3.4). */
  flip: boolean;
}

type Filters = Omit<MamQuery, 'queryId' | 'rsm' | 'flip'>;

const SINGLE_FIELDS = ['FORM_TYPE', 'with', 'start', 'end', 'before-id', 'after-id', 'include-groupchat'] as const;
type SingleField = (typeof SINGLE_FIELDS)[number];

export function parseQuery(query: Element): MamQuery {
  if (query.attrs.node !== undefined) throw new StanzaError('feature-not-implemented', 'this archive has no nodes');
  const form = query.getChild('x', NS.dataForms);
  return {
    queryId: query.attrs.queryid,
    ...(form ? parseForm(form) : {}),
    rsm: parseRsm(query.getChild('set', MAM.rsm)),
    flip: query.getChild('flip-page') !== undefined,
  };
}

function parseForm(form: Element): Filters {
  if ((form.attrs.type ?? 'submit') !== 'submit') throw new StanzaError('bad-request', "the filter form must be of type 'submit'");
  const values = fieldValues(form);
  const single = (name: SingleField): string | undefined => {
    const list = values.get(name);
    if (list === undefined || list.length === 0) return undefined;
    if (list.length > 1) throw new StanzaError('bad-request', `field ${name} takes one value`);
    return list[0]!.trim();
  };
  const formType = single('FORM_TYPE');
  if (formType !== undefined && formType !== MAM.ns) throw new StanzaError('bad-request', `FORM_TYPE must be ${MAM.ns}`);
  const filters: Filters = {};
  const withText = single('with');
  if (withText !== undefined) filters.with = jidValue(withText);
  const start = single('start');
  if (start !== undefined) filters.start = dateValue('start', start);
  const end = single('end');
  if (end !== undefined) filters.end = dateValue('end', end);
  const afterId = single('after-id');
  if (afterId !== undefined) filters.afterId = idValue('after-id', afterId);
  const beforeId = single('before-id');
  if (beforeId !== undefined) filters.beforeId = idValue('before-id', beforeId);
  const ids = values.get('ids');
  if (ids !== undefined) filters.ids = ids.map((id) => idValue('ids', id.trim()));
  const includeGroupchat = single('include-groupchat');
  if (includeGroupchat !== undefined) filters.includeGroupchat = booleanValue('include-groupchat', includeGroupchat);
  return filters;
}

/** Field values by var; unknown or repeated fields are refused. */
function fieldValues(form: Element): Map<string, string[]> {
  const values = new Map<string, string[]>();
  for (const field of form.getChildren('field')) {
    const name = field.attrs.var;
    if (!name) throw new StanzaError('bad-request', 'a form field without var');
    if (name !== 'ids' && !(SINGLE_FIELDS as readonly string[]).includes(name)) {
      throw new StanzaError('feature-not-implemented', `unknown field ${name}`);
    }
    if (values.has(name)) throw new StanzaError('bad-request', `field ${name} given twice`);
    values.set(name, field.getChildren('value').map((v) => v.text()));
  }
  return values;
}

function jidValue(text: string): JID {
  const jid = tryParseJid(text);
  if (!jid) throw new StanzaError('bad-request', `with: not a JID: ${text}`);
  return jid;
}

function dateValue(name: string, text: string): number {
  const ms = parseDateTime(text);
  if (ms === undefined) throw new StanzaError('bad-request', `${name}: not an XEP-0082 DateTime: ${text}`);
  return ms;
}

/** XEP-0004 §3.3: a boolean is one of 0, 1, false, true. */
function booleanValue(name: string, text: string): boolean {
  if (text === 'true' || text === '1') return true;
  if (text === 'false' || text === '0') return false;
  throw new StanzaError('bad-request', `${name}: not a boolean: ${text}`);
}

function idValue(name: string, id: string): string {
  if (id === '') throw new StanzaError('bad-request', `${name}: empty id`);
  return id;
}

/** The form answered to `<iq type='get'><query xmlns='urn:xmpp:mam:2'/></iq>`. */
export function queryFormElement(): Element {
  const field = (name: string, type: string, ...children: Element[]) => x('field', { var: name, type }, ...children);
  return x(
    'query',
    { xmlns: MAM.ns },
    x(
      'x',
      { xmlns: NS.dataForms, type: 'form' },
      field('FORM_TYPE', 'hidden', x('value', {}, MAM.ns)),
      field('with', 'jid-single'),
      field('start', 'text-single'),
      field('end', 'text-single'),
      field('before-id', 'text-single'),
      field('after-id', 'text-single'),
      // The list of possible ids is the archive itself: open, never listed.
      field('ids', 'list-multi', x('validate', { xmlns: MAM.xdataValidate, datatype: 'xs:string' }, x('open'))),
      field('include-groupchat', 'boolean'),
    ),
  );
}
