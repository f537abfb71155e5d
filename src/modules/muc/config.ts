/**
 * The room configuration model, with no I/O: its defaults, the
 * `muc#roomconfig` form showing the current values, parsing a submitted
 * form with field-type validation (all or nothing), the status codes a
 * change announces, the disco features it implies, and the entry checks it
 * imposes (password, maximum occupants).
 *
 * References: XEP-0045 §10.1.3 (the configuration form), §10.2 (subsequent
 * configuration), §10.2.1 (notification of changes: 104, 170–174), §15.5
 * (disco features), §15.5.3 (muc#roomconfig FORM_TYPE), §7.2.6 (password),
 * §7.2.10 (max users); XEP-0004 §3.3 (field types); XEP-0068 (FORM_TYPE).
 */
import { StanzaError } from '../../core/errors/stanza-error.js';
import { x, type Element } from '../../core/xml/element.js';
import { NS } from '../../core/xml/ns.js';

export type WhoisPolicy = 'moderators' | 'anyone';
export type PmPolicy = 'anyone' | 'participants' | 'moderators' | 'none';

export interface RoomConfig {
  name?: string;
  description: string;
  public: boolean;
  persistent: boolean;
  membersOnly: boolean;
  moderated: boolean;
  passwordProtected: boolean;
  password: string;
  /** Who sees occupants' real JIDs: semi-anonymous (moderators) or non-anonymous (anyone). */
  whois: WhoisPolicy;
  /** Undefined: no limit. */
  maxUsers?: number;
  historyLength: number;
  /** muc#roomconfig_changesubject: may participants change the subject? */
  changeSubject: boolean;
  allowPm: PmPolicy;
  allowInvites: boolean;
  /** The room archive (logging, in §10.2.1's terms). */
  archive: boolean;
}

export const DEFAULT_ROOM_CONFIG: RoomConfig = {
  description: '',
  public: true,
  persistent: false,
  membersOnly: false,
  moderated: false,
  passwordProtected: false,
  password: '',
  whois: 'moderators',
  changeSubject: false,
  historyLength: 20,
  allowPm: 'anyone',
  allowInvites: false,
  archive: true,
};

export const ROOMCONFIG_FORM_TYPE = 'http://jabber.org/protocol/muc#roomconfig';
const MAX_HISTORY = 1000;
const MAX_USERS_OPTIONS = ['10', '20', '30', '50', '100', 'none'];

type FieldType = 'boolean' | 'text-single' | 'text-private' | 'list-single';

interface FieldSpec {
  var: string;
  type: FieldType;
  label: string;
  options?: string[];
  /** Accepts any value matching this besides the options (list-single). */
  pattern?: RegExp;
  read(config: RoomConfig): string;
  write(config: RoomConfig, value: string): void;
}

const flag = (v: boolean) => (v ? '1' : '0');
const booleanField = (name: string, label: string, key: BooleanKey): FieldSpec => ({
  var: `muc#roomconfig_${name}`,
  type: 'boolean',
  label,
  read: (c) => flag(c[key]),
  write: (c, v) => (c[key] = v === '1' || v === 'true'),
});
type BooleanKey = { [K in keyof RoomConfig]-?: RoomConfig[K] extends boolean ? K : never }[keyof RoomConfig];

const historyField = (name: string): FieldSpec => ({
  var: name,
  type: 'text-single',
  label: 'Maximum number of history messages',
  pattern: /^\d{1,6}$/,
  read: (c) => String(c.historyLength),
  write: (c, v) => (c.historyLength = Math.min(Number(v), MAX_HISTORY)),
});

const FIELDS: FieldSpec[] = [
  { var: 'muc#roomconfig_roomname', type: 'text-single', label: 'Room name', read: (c) => c.name ?? '', write: (c, v) => (c.name = v || undefined) },
  { var: 'muc#roomconfig_roomdesc', type: 'text-single', label: 'Description', read: (c) => c.description, write: (c, v) => (c.description = v) },
  booleanField('persistentroom', 'Make room persistent', 'persistent'),
  booleanField('publicroom', 'Make room publicly searchable', 'public'),
  booleanField('membersonly', 'Make room members-only', 'membersOnly'),
  booleanField('moderatedroom', 'Make room moderated', 'moderated'),
  booleanField('passwordprotectedroom', 'Password required to enter', 'passwordProtected'),
  { var: 'muc#roomconfig_roomsecret', type: 'text-private', label: 'Password', read: (c) => c.password, write: (c, v) => (c.password = v) },
  {
    var: 'muc#roomconfig_whois',
    type: 'list-single',
    label: 'Who may discover real JIDs',
    options: ['moderators', 'anyone'],
    read: (c) => c.whois,
    write: (c, v) => (c.whois = v as WhoisPolicy),
  },
  {
    var: 'muc#roomconfig_maxusers',
    type: 'list-single',
    label: 'Maximum number of occupants',
    options: MAX_USERS_OPTIONS,
    pattern: /^[1-9]\d{0,5}$/,
    read: (c) => (c.maxUsers === undefined ? 'none' : String(c.maxUsers)),
    write: (c, v) => (c.maxUsers = v === 'none' ? undefined : Number(v)),
  },
  historyField('muc#roomconfig_historylength'),
  booleanField('changesubject', 'Allow occupants to change the subject', 'changeSubject'),
  {
    var: 'muc#roomconfig_allowpm',
    type: 'list-single',
    label: 'Who may send private messages',
    options: ['anyone', 'participants', 'moderators', 'none'],
    read: (c) => c.allowPm,
    write: (c, v) => (c.allowPm = v as PmPolicy),
  },
  booleanField('allowinvites', 'Allow occupants to invite others', 'allowInvites'),
  booleanField('enablearchiving', 'Archive the discussion', 'archive'),
];

/** Accepted on submit only: the older name of the history length field. */
const ALIASES: FieldSpec[] = [historyField('muc#maxhistoryfetch')];

/** The `muc#roomconfig` form (type `form`) with the room's current values. */
export function configForm(config: RoomConfig, roomName: string): Element {
  const form = x('x', { xmlns: NS.dataForms, type: 'form' }, x('title', {}, `Configuration of ${roomName}`));
  form.append(x('field', { var: 'FORM_TYPE', type: 'hidden' }, x('value', {}, ROOMCONFIG_FORM_TYPE)));
  for (const spec of FIELDS) {
    const field = x('field', { var: spec.var, type: spec.type, label: spec.label });
    for (const option of spec.options ?? []) field.append(x('option', { label: option }, x('value', {}, option)));
    field.append(x('value', {}, spec.read(config)));
    form.append(field);
  }
  return form;
}

function validValue(spec: FieldSpec, values: string[]): string {
  if (values.length > 1) throw new StanzaError('not-acceptable', `${spec.var} takes one value`);
  const value = values[0] ?? '';
  const ok =
    spec.type === 'boolean'
      ? ['0', '1', 'true', 'false'].includes(value)
      : spec.type === 'list-single'
        ? (spec.options ?? []).includes(value) || spec.pattern?.test(value) === true
        : spec.pattern === undefined || spec.pattern.test(value);
  if (!ok) throw new StanzaError('not-acceptable', `invalid value for ${spec.var}`);
  return value;
}

/** The submitted fields by var; bad-request when the form itself is malformed. */
function submittedFields(form: Element): Map<string, string[]> {
  const fields = new Map<string, string[]>();
  for (const field of form.getChildren('field')) {
    const name = field.attrs.var;
    if (!name || fields.has(name)) throw new StanzaError('bad-request', 'form fields need a unique var');
    fields.set(name, field.getChildren('value').map((v) => v.text()));
  }
  const formType = fields.get('FORM_TYPE');
  if (formType && formType[0] !== ROOMCONFIG_FORM_TYPE) throw new StanzaError('bad-request', 'not a muc#roomconfig form');
  fields.delete('FORM_TYPE');
  return fields;
}

/**
 * Applies a submitted form to a copy of `current`: every field is checked
 * before anything is returned, so a bad form changes nothing. Unknown
 * fields are ignored (XEP-0004 leaves them to the receiver).
 */
export function applyConfigForm(current: RoomConfig, form: Element): RoomConfig {
  const next: RoomConfig = { ...current };
  const specs = new Map([...FIELDS, ...ALIASES].map((spec) => [spec.var, spec]));
  for (const [name, values] of submittedFields(form)) {
    const spec = specs.get(name);
    if (spec) spec.write(next, validValue(spec, values));
  }
  if (next.passwordProtected && next.password === '') throw new StanzaError('not-acceptable', 'a password-protected room needs a password');
  if (!next.passwordProtected) next.password = '';
  return next;
}

/** Status codes announcing a change from `before` to `after` (§10.2.1); empty when nothing changed. */
export function changeStatusCodes(before: RoomConfig, after: RoomConfig): number[] {
  const codes: number[] = [];
  const changed = (Object.keys(after) as (keyof RoomConfig)[]).some((key) => before[key] !== after[key]);
  if (!changed) return codes;
  codes.push(104);
  if (before.archive !== after.archive) codes.push(after.archive ? 170 : 171);
  if (before.whois !== after.whois) codes.push(after.whois === 'anyone' ? 172 : 173);
  return codes;
}

/** The disco#info features describing a configuration (§15.5). */
export function configFeatures(config: RoomConfig): string[] {
  return [
    config.public ? 'muc_public' : 'muc_hidden',
    config.persistent ? 'muc_persistent' : 'muc_temporary',
    config.membersOnly ? 'muc_membersonly' : 'muc_open',
    config.moderated ? 'muc_moderated' : 'muc_unmoderated',
    config.passwordProtected ? 'muc_passwordprotected' : 'muc_unsecured',
    config.whois === 'anyone' ? 'muc_nonanonymous' : 'muc_semianonymous',
  ];
}

/**
 * Refuses entry for what the configuration alone decides: a missing or
 * wrong password (not-authorized, §7.2.6) and a full room
 * (service-unavailable, §7.2.10, owners and admins still let in).
 * `mucElement` is the joining presence's `<x xmlns=muc>`.
 */
export function checkEntry(config: RoomConfig, entry: { mucElement?: Element; occupants: number; privileged: boolean }): void {
  if (config.passwordProtected && entry.mucElement?.getChildText('password') !== config.password) {
    throw new StanzaError('not-authorized', 'a password is required to enter this room');
  }
  if (config.maxUsers !== undefined && entry.occupants >= config.maxUsers && !entry.privileged) {
    throw new StanzaError('service-unavailable', 'the room is full');
  }
}
