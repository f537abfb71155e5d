/**
 * The XEP-0115 verification string: a SHA-1 over the sorted identities,
 * features and extension forms of a disco#info answer, so that a peer can
 * cache capabilities by hash instead of asking every entity.
 *
 * References: XEP-0115 §5.1 (generation method), §5.2 and §5.3 (examples),
 * §5.4 (processing forms).
 */
import { createHash } from 'node:crypto';
import type { Element } from '../../core/xml/element.js';
import { NS } from '../../core/xml/ns.js';

/** The string the hash is taken over (XEP-0115 §5.1 steps 1–8). */
export function verificationInput(query: Element): string {
  const identities = query
    .getChildren('identity')
    .map((i) => `${i.attrs.category ?? ''}/${i.attrs.type ?? ''}/${i.attrs['xml:lang'] ?? ''}/${i.attrs.name ?? ''}`)
    .sort(compareOctets);
  const features = query
    .getChildren('feature')
    .map((f) => f.attrs.var ?? '')
    .sort(compareOctets);
  const forms = query
    .getChildren('x', NS.dataForms)
    .map(formInput)
    .filter((f): f is { type: string; text: string } => f !== undefined)
    .sort((a, b) => compareOctets(a.type, b.type));
  return [...identities, ...features].map((s) => s + '<').join('') + forms.map((f) => f.text).join('');
}

/** Base64 of the SHA-1 of the verification string. */
export function verificationString(query: Element): string {
  return createHash('sha1').update(verificationInput(query), 'utf8').digest('base64');
}

/** A form contributes its FORM_TYPE, then each field's var and sorted values (§5.4 step 3.c). */
function formInput(form: Element): { type: string; text: string } | undefined {
  const fields = form.getChildren('field');
  const formType = fields.find((f) => f.attrs.var === 'FORM_TYPE');
  // Forms without a FORM_TYPE are ignored (§5.4 step 3.f).
  if (!formType) return undefined;
  const type = formType.getChildText('value') ?? '';
  let text = type + '<';
  const others = fields.filter((f) => f !== formType).sort((a, b) => compareOctets(a.attrs.var ?? '', b.attrs.var ?? ''));
  for (const field of others) {
    text += (field.attrs.var ?? '') + '<';
    const values = field.getChildren('value').map((v) => v.text()).sort(compareOctets);
    for (const value of values) text += value + '<';
  }
  return { type, text };
}

/** "i;octet" collation (RFC 4790 §9.3): compare UTF-8 bytes, not UTF-16 units. */
function compareOctets(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}
