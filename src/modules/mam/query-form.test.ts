import { describe, expect, it } from 'vitest';
import { x, type Element } from '../../core/xml/element.js';
import { NS } from '../../core/xml/ns.js';
import { StanzaError } from '../../core/errors/stanza-error.js';
import { MAM } from './ns.js';
import { parseQuery, queryFormElement } from './query-form.js';
import { parseRsm } from './rsm.js';

const field = (name: string, ...values: string[]) => x('field', { var: name }, ...values.map((v) => x('value', {}, v)));
const form = (...fields: Element[]) => x('x', { xmlns: NS.dataForms, type: 'submit' }, field('FORM_TYPE', MAM.ns), ...fields);
const query = (...children: Element[]) => x('query', { xmlns: MAM.ns, queryid: 'q1' }, ...children);
const rsm = (...children: Element[]) => x('set', { xmlns: MAM.rsm }, ...children);

function conditionOf(action: () => unknown): string | undefined {
  try {
    action();
  } catch (err) {
    if (err instanceof StanzaError) return err.condition;
    throw err;
  }
  return undefined;
}

describe('parseQuery', () => {
  it('reads an empty query as "everything, default page"', () => {
    expect(parseQuery(x('query', { xmlns: MAM.ns }))).toEqual({ queryId: undefined, rsm: {}, flip: false });
  });

  it('reads every filter field, RSM and flip-page', () => {
    const parsed = parseQuery(
      query(
        form(
          field('with', 'Juliet@Capulet.lit'),
          field('start', '2010-06-07T00:00:00Z'),
          field('end', '2010-07-07T13:23:54+02:00'),
          field('after-id', 'a1'),
          field('before-id', 'b2'),
          field('ids', 'i1', 'i2'),
        ),
        rsm(x('max', {}, '10'), x('after', {}, 'r1')),
        x('flip-page'),
      ),
    );
    expect(parsed.queryId).toBe('q1');
    expect(parsed.with?.toString()).toBe('juliet@capulet.lit');
    expect(parsed.start).toBe(Date.UTC(2010, 5, 7));
    expect(parsed.end).toBe(Date.UTC(2010, 6, 7, 11, 23, 54));
    expect(parsed).toMatchObject({ afterId: 'a1', beforeId: 'b2', ids: ['i1', 'i2'], rsm: { max: 10, after: 'r1' }, flip: true });
  });

  it('keeps a full JID in with, and accepts a form without FORM_TYPE or type', () => {
    const parsed = parseQuery(query(x('x', { xmlns: NS.dataForms }, field('with', 'romeo@montague.lit/orchard'))));
    expect(parsed.with?.toString()).toBe('romeo@montague.lit/orchard');
  });

  it('reads include-groupchat as an XEP-0004 boolean, absent when not given', () => {
    const includeGroupchat = (...values: string[]) => parseQuery(query(form(field('include-groupchat', ...values)))).includeGroupchat;
    expect(includeGroupchat('false')).toBe(false);
    expect(includeGroupchat('0')).toBe(false);
    expect(includeGroupchat('true')).toBe(true);
    expect(includeGroupchat(' 1 ')).toBe(true);
    expect(includeGroupchat()).toBeUndefined();
    expect(parseQuery(query(form(field('with', 'juliet@capulet.lit')))).includeGroupchat).toBeUndefined();
    expect(parseQuery(query(form())).includeGroupchat).toBeUndefined();
  });

  it('reads an empty <before/> as the last page', () => {
    expect(parseQuery(query(rsm(x('max', {}, '5'), x('before')))).rsm).toEqual({ max: 5, before: '' });
    expect(parseQuery(query(rsm(x('before', {}, 'id9')))).rsm).toEqual({ before: 'id9' });
  });

  it('refuses malformed forms with bad-request', () => {
    const bad: [string, Element][] = [
      ['bad date', query(form(field('start', 'yesterday')))],
      ['bad jid', query(form(field('with', 'a@b@c')))],
      ['two values', query(form(field('with', 'a@b', 'c@d')))],
      ['repeated field', query(form(field('end', '2010-06-07T00:00:00Z'), field('end', '2010-06-07T00:00:00Z')))],
      ['wrong FORM_TYPE', query(x('x', { xmlns: NS.dataForms, type: 'submit' }, field('FORM_TYPE', 'urn:xmpp:mam:1')))],
      ['form type', query(x('x', { xmlns: NS.dataForms, type: 'form' }))],
      ['field without var', query(form(x('field', {}, x('value', {}, 'x'))))],
      ['empty id', query(form(field('after-id', ' ')))],
      ['negative max', query(rsm(x('max', {}, '-1')))],
      ['max not a number', query(rsm(x('max', {}, 'ten')))],
      ['empty after', query(rsm(x('after')))],
      ['include-groupchat not a boolean', query(form(field('include-groupchat', 'yes')))],
      ['include-groupchat capitalised', query(form(field('include-groupchat', 'False')))],
      ['include-groupchat twice', query(form(field('include-groupchat', 'true', 'false')))],
    ];
    for (const [what, el] of bad) expect(conditionOf(() => parseQuery(el)), what).toBe('bad-request');
  });

  it('refuses unknown fields, RSM index and nodes with feature-not-implemented', () => {
    expect(conditionOf(() => parseQuery(query(form(field('{urn:example}free-text-search', 'balcony')))))).toBe('feature-not-implemented');
    expect(conditionOf(() => parseRsm(rsm(x('index', {}, '3'))))).toBe('feature-not-implemented');
    expect(conditionOf(() => parseQuery(x('query', { xmlns: MAM.ns, node: 'urn:xmpp:microblog:0' })))).toBe('feature-not-implemented');
  });
});

describe('queryFormElement', () => {
  it('advertises every field with its type, include-groupchat boolean, ids open and never listed, none required', () => {
    const formEl = queryFormElement().getChild('x', NS.dataForms)!;
    expect(formEl.attrs.type).toBe('form');
    const fields = formEl.getChildren('field').map((f) => [f.attrs.var, f.attrs.type]);
    expect(fields).toEqual([
      ['FORM_TYPE', 'hidden'],
      ['with', 'jid-single'],
      ['start', 'text-single'],
      ['end', 'text-single'],
      ['before-id', 'text-single'],
      ['after-id', 'text-single'],
      ['ids', 'list-multi'],
      ['include-groupchat', 'boolean'],
    ]);
    const ids = formEl.getChildren('field').find((f) => f.attrs.var === 'ids')!;
    expect(ids.getChild('validate', MAM.xdataValidate)?.getChild('open')).toBeDefined();
    expect(ids.getChildren('option')).toEqual([]);
    expect(formEl.toString()).not.toContain('required');
  });
});
