import { describe, expect, it } from 'vitest';
import { x } from '../../core/xml/element.js';
import { buildForm, parseForm, parseBoolean } from './data-form.js';
import { PubsubError } from './errors.js';

const field = (name: string | undefined, ...values: string[]) => x('field', { var: name }, ...values.map((v) => x('value', {}, v)));
const form = (...fields: ReturnType<typeof x>[]) => x('x', { xmlns: 'jabber:x:data', type: 'submit' }, ...fields);

describe('data forms (XEP-0004)', () => {
  it('reads FORM_TYPE and field values', () => {
    const parsed = parseForm(form(field('FORM_TYPE', 'urn:t'), field('a', '1'), field('b', 'x', 'y')));
    expect(parsed.formType).toBe('urn:t');
    expect(parsed.fields.get('a')).toEqual(['1']);
    expect(parsed.fields.get('b')).toEqual(['x', 'y']);
  });

  it('refuses malformed forms with bad-request', () => {
    for (const bad of [
      undefined,
      x('x', { xmlns: 'urn:not-forms', type: 'submit' }),
      x('x', { xmlns: 'jabber:x:data', type: 'weird' }),
      form(field(undefined, '1')),
      form(field('a', '1'), field('a', '2')),
    ]) {
      expect(() => parseForm(bad)).toThrowError(PubsubError);
    }
  });

  it('builds a form that parses back', () => {
    const built = buildForm('form', 'urn:t', [{ var: 'a', type: 'boolean', values: ['true'] }]);
    expect(parseForm(built).fields.get('a')).toEqual(['true']);
    expect(parseBoolean('1')).toBe(true);
    expect(parseBoolean('no')).toBeUndefined();
  });
});
