/**
 * The small part of Data Forms pubsub needs: reading a submitted form into
 * field values (rejecting malformed ones) and building the forms the
 * service returns.
 *
 * References: XEP-0004 §3.1 (form types), §3.2 (fields), §3.3 (field
 * types), §3.6 (validation: a form the entity cannot process is refused);
 * XEP-0068 §2 (FORM_TYPE).
 */
import { x, type Element } from '../../core/xml/element.js';
import { NS } from '../../core/xml/ns.js';
import { pubsubError } from './errors.js';

export interface SubmittedForm {
  type: 'submit' | 'cancel' | 'form' | 'result';
  formType?: string;
  /** Values by field var, FORM_TYPE excluded. */
  fields: Map<string, string[]>;
}

export interface FormField {
  var: string;
  type?: string;
  label?: string;
  values: string[];
  options?: string[];
}

const FORM_TYPES = new Set(['submit', 'cancel', 'form', 'result']);

/** Parses `<x xmlns='jabber:x:data'/>`; throws bad-request when it is not a well-formed form. */
export function parseForm(el: Element | undefined): SubmittedForm {
  if (!el || el.name !== 'x' || el.attrs.xmlns !== NS.dataForms) throw pubsubError('bad-request', 'expected a data form');
  const type = el.attrs.type ?? '';
  if (!FORM_TYPES.has(type)) throw pubsubError('bad-request', `invalid form type '${type}'`);
  const fields = new Map<string, string[]>();
  let formType: string | undefined;
  for (const field of el.getChildren('field')) {
    const name = field.attrs.var;
    if (!name) throw pubsubError('bad-request', 'form field without var');
    if (fields.has(name) || (name === 'FORM_TYPE' && formType !== undefined)) {
      throw pubsubError('bad-request', `field ${name} given twice`);
    }
    const values = field.getChildren('value').map((v) => v.text());
    if (name === 'FORM_TYPE') formType = values[0] ?? '';
    else fields.set(name, values);
  }
  return { type: type as SubmittedForm['type'], formType, fields };
}

/** Throws unless the form is of the expected FORM_TYPE (a form without one is accepted, XEP-0068 §2). */
export function expectFormType(form: SubmittedForm, formType: string): void {
  if (form.formType !== undefined && form.formType !== formType) {
    throw pubsubError('bad-request', `expected FORM_TYPE ${formType}`);
  }
}

/** Builds a form of `type` with a hidden FORM_TYPE first. */
export function buildForm(type: 'form' | 'result' | 'submit', formType: string, fields: FormField[]): Element {
  const form = x('x', { xmlns: NS.dataForms, type });
  form.append(x('field', { var: 'FORM_TYPE', type: 'hidden' }, x('value', {}, formType)));
  for (const field of fields) {
    const el = x('field', { var: field.var, type: field.type, label: field.label });
    for (const option of field.options ?? []) el.append(x('option', {}, x('value', {}, option)));
    for (const value of field.values) el.append(x('value', {}, value));
    form.append(el);
  }
  return form;
}

/** XEP-0004 §3.3 boolean: "1"/"true" or "0"/"false"; anything else is undefined. */
export function parseBoolean(value: string | undefined): boolean | undefined {
  if (value === '1' || value === 'true') return true;
  if (value === '0' || value === 'false') return false;
  return undefined;
}
