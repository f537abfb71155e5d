/**
 * The XML element model every stanza is held in: a name, attributes and
 * children (elements or text). Deliberately small and mutable, like Prosody's
 * util.stanza and ltx: stanzas are built, inspected, stamped and serialised.
 *
 * Namespaces follow XMPP practice: `xmlns` is an ordinary attribute, and an
 * element without one inherits its parent's (child lookups account for that).
 */
import { escapeAttr, escapeText } from './escape.js';

export type Attrs = Record<string, string | undefined>;
export type XmlNode = Element | string;

export class Element {
  name: string;
  attrs: Attrs;
  children: XmlNode[];

  constructor(name: string, attrs: Attrs = {}, children: XmlNode[] = []) {
    this.name = name;
    this.attrs = attrs;
    this.children = children;
  }

  get xmlns(): string | undefined {
    return this.attrs.xmlns;
  }

  attr(name: string): string | undefined {
    return this.attrs[name];
  }

  /** Element children only. */
  elements(): Element[] {
    const out: Element[] = [];
    for (const child of this.children) if (typeof child !== 'string') out.push(child);
    return out;
  }

  /** First child with this name and (effective) namespace. */
  getChild(name: string, xmlns?: string): Element | undefined {
    for (const child of this.children) {
      if (typeof child !== 'string' && child.name === name && this.childNsMatches(child, xmlns)) return child;
    }
    return undefined;
  }

  getChildren(name: string, xmlns?: string): Element[] {
    const out: Element[] = [];
    for (const child of this.children) {
      if (typeof child !== 'string' && child.name === name && this.childNsMatches(child, xmlns)) out.push(child);
    }
    return out;
  }

  /** First child element in a namespace, whatever its name. */
  getChildByNs(xmlns: string): Element | undefined {
    for (const child of this.children) {
      if (typeof child !== 'string' && (child.attrs.xmlns ?? this.attrs.xmlns) === xmlns) return child;
    }
    return undefined;
  }

  getChildText(name: string, xmlns?: string): string | undefined {
    return this.getChild(name, xmlns)?.text();
  }

  /** Concatenated direct text content. */
  text(): string {
    let out = '';
    for (const child of this.children) if (typeof child === 'string') out += child;
    return out;
  }

  /** Appends a child element and returns it (builder style). */
  c(name: string, attrs: Attrs = {}): Element {
    const child = new Element(name, attrs);
    this.children.push(child);
    return child;
  }

  /** Appends text and returns this element. */
  t(text: string): this {
    if (text !== '') this.children.push(text);
    return this;
  }

  append(...nodes: (XmlNode | undefined | null | false)[]): this {
    for (const node of nodes) if (node !== undefined && node !== null && node !== false) this.children.push(node);
    return this;
  }

  remove(name: string, xmlns?: string): this {
    this.children = this.children.filter(
      (child) => typeof child === 'string' || child.name !== name || !this.childNsMatches(child, xmlns),
    );
    return this;
  }

  clone(): Element {
    return new Element(
      this.name,
      { ...this.attrs },
      this.children.map((child) => (typeof child === 'string' ? child : child.clone())),
    );
  }

  toString(): string {
    return serialize(this);
  }

  private childNsMatches(child: Element, xmlns: string | undefined): boolean {
    return xmlns === undefined || (child.attrs.xmlns ?? this.attrs.xmlns) === xmlns;
  }
}

/** Builds an element: `x('iq', { type: 'result' }, x('query', { xmlns }))`. */
export function x(name: string, attrs: Attrs = {}, ...children: (XmlNode | undefined | null | false)[]): Element {
  return new Element(name, attrs).append(...children);
}

export function serialize(el: Element): string {
  let out = '<' + el.name;
  for (const key in el.attrs) {
    const value = el.attrs[key];
    if (value !== undefined) out += ' ' + key + "='" + escapeAttr(value) + "'";
  }
  if (el.children.length === 0) return out + '/>';
  out += '>';
  for (const child of el.children) out += typeof child === 'string' ? escapeText(child) : serialize(child);
  return out + '</' + el.name + '>';
}
