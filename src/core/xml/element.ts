/**
 * The XML element model every stanza is held in: a name, attributes and
 * children (elements or text). Deliberately small and mutable, like Prosody's
 * util.stanza and ltx: stanzas are built, inspected, stamped and serialised.
 *
 * Namespaces follow XMPP practice: `xmlns` is an ordinary attribute, and an
 * element without one inherits its parent's (child lookups account for that).
 *
 * Copies of one stanza to many recipients differ only in their own
 * attributes: `shareChildren` freezes the children they share (so a
 * mutation throws rather than changing every copy), and for a room's copies
 * to every occupant `serialize` renders them once, not once per copy.
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
    this.ownChildren().push(child);
    return child;
  }

  /** Appends text and returns this element. */
  t(text: string): this {
    if (text !== '') this.ownChildren().push(text);
    return this;
  }

  append(...nodes: (XmlNode | undefined | null | false)[]): this {
    const children = this.ownChildren();
    for (const node of nodes) if (node !== undefined && node !== null && node !== false) children.push(node);
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

  /** The children array, copied first when it is shared with other copies (see shareChildren). */
  private ownChildren(): XmlNode[] {
    if (Object.isFrozen(this.children)) this.children = [...this.children];
    return this.children;
  }

  private childNsMatches(child: Element, xmlns: string | undefined): boolean {
    return xmlns === undefined || (child.attrs.xmlns ?? this.attrs.xmlns) === xmlns;
  }
}

/** Builds an element: `x('iq', { type: 'result' }, x('query', { xmlns }))`. */
export function x(name: string, attrs: Attrs = {}, ...children: (XmlNode | undefined | null | false)[]): Element {
  return new Element(name, attrs).append(...children);
}

/** On a shared children array copied to many recipients: a holder for its markup, rendered at first use. */
const MARKUP = Symbol('markup');
type Shared = XmlNode[] & { [MARKUP]?: { text?: string } };

/**
 * Marks a children array as shared between copies and returns it: the
 * array and everything under it are frozen, so code that would mutate them
 * in place (which would change every copy) throws instead. A copy that
 * needs other children gets a new array (`el.children = [...]`, or
 * append(), which copies), as it must anyway.
 *
 * With `manyCopies` (a room's message to every occupant) serialize()
 * renders them once and keeps the markup with the array; for a handful of
 * copies the kept string would cost more memory than the renders it saves.
 */
export function shareChildren(children: XmlNode[], manyCopies = false): XmlNode[] {
  if (Object.isFrozen(children)) return children;
  for (const child of children) {
    if (typeof child === 'string' || Object.isFrozen(child)) continue;
    Object.freeze(child.attrs);
    shareChildren(child.children, manyCopies);
    Object.freeze(child);
  }
  // A property of the array itself, not a WeakMap entry: looking it up costs less than rendering a few children.
  if (manyCopies && children.length > 0) (children as Shared)[MARKUP] = {};
  return Object.freeze(children) as XmlNode[];
}

export function serialize(el: Element): string {
  let out = '<' + el.name;
  for (const key in el.attrs) {
    const value = el.attrs[key];
    if (value !== undefined) out += ' ' + key + "='" + escapeAttr(value) + "'";
  }
  const children: Shared = el.children;
  if (children.length === 0) return out + '/>';
  const shared = children[MARKUP];
  const inner = shared === undefined ? markupOf(children) : (shared.text ??= markupOf(children));
  return out + '>' + inner + '</' + el.name + '>';
}

function markupOf(children: readonly XmlNode[]): string {
  let out = '';
  for (const child of children) out += typeof child === 'string' ? escapeText(child) : serialize(child);
  return out;
}
