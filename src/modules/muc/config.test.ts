/**
 * The room configuration model: form values, all-or-nothing validation and
 * the status codes a change announces.
 *
 * References: XEP-0045 §10.2, §10.2.1; XEP-0004 §3.3.
 */
import { describe, expect, it } from 'vitest';
import { x } from '../../core/xml/element.js';
import { NS } from '../../core/xml/ns.js';
import { DEFAULT_ROOM_CONFIG, ROOMCONFIG_FORM_TYPE, applyConfigForm, changeStatusCodes, checkEntry, configForm } from './config.js';

const submitted = (fields: Record<string, string>) =>
  x(
    'x',
    { xmlns: NS.dataForms, type: 'submit' },
    x('field', { var: 'FORM_TYPE' }, x('value', {}, ROOMCONFIG_FORM_TYPE)),
    ...Object.entries(fields).map(([name, value]) => x('field', { var: name }, x('value', {}, value))),
  );

describe('room configuration', () => {
  it('shows current values in the form', () => {
    const form = configForm({ ...DEFAULT_ROOM_CONFIG, maxUsers: 30 }, 'room');
    const field = form.getChildren('field').find((f) => f.attrs.var === 'muc#roomconfig_maxusers')!;
    expect(field.getChildText('value')).toBe('30');
  });

  it('applies valid values and accepts the muc#maxhistoryfetch alias', () => {
    const next = applyConfigForm(DEFAULT_ROOM_CONFIG, submitted({ 'muc#roomconfig_publicroom': 'false', 'muc#maxhistoryfetch': '5', 'muc#roomconfig_maxusers': '42' }));
    expect(next).toMatchObject({ public: false, historyLength: 5, maxUsers: 42 });
    expect(DEFAULT_ROOM_CONFIG.public).toBe(true);
  });

  it('rejects a bad value without applying the good ones', () => {
    const current = { ...DEFAULT_ROOM_CONFIG };
    expect(() => applyConfigForm(current, submitted({ 'muc#roomconfig_roomname': 'x', 'muc#roomconfig_moderatedroom': 'yes' }))).toThrow(/not-acceptable/);
    expect(current.name).toBeUndefined();
  });

  it('announces 104 plus the privacy and logging codes', () => {
    const after = { ...DEFAULT_ROOM_CONFIG, whois: 'anyone' as const, archive: false };
    expect(changeStatusCodes(DEFAULT_ROOM_CONFIG, after)).toEqual([104, 171, 172]);
    expect(changeStatusCodes(DEFAULT_ROOM_CONFIG, { ...DEFAULT_ROOM_CONFIG })).toEqual([]);
  });

  it('checks the password and the occupant limit on entry', () => {
    const config = { ...DEFAULT_ROOM_CONFIG, passwordProtected: true, password: 's', maxUsers: 1 };
    const muc = (password: string) => x('x', { xmlns: 'http://jabber.org/protocol/muc' }, x('password', {}, password));
    expect(() => checkEntry(config, { mucElement: muc('no'), occupants: 0, privileged: false })).toThrow(/not-authorized/);
    expect(() => checkEntry(config, { mucElement: muc('s'), occupants: 1, privileged: false })).toThrow(/service-unavailable/);
    expect(() => checkEntry(config, { mucElement: muc('s'), occupants: 1, privileged: true })).not.toThrow();
  });
});
