/** Minimal types for @xmpp/client (it ships none), covering what the tests use. */
declare module '@xmpp/client' {
  export interface XmlElement {
    name: string;
    attrs: Record<string, string>;
    children: (XmlElement | string)[];
    getChild(name: string, xmlns?: string): XmlElement | undefined;
    getChildren(name: string, xmlns?: string): XmlElement[];
    getChildText(name: string, xmlns?: string): string | null;
    getChildElements(): XmlElement[];
    getNS(): string;
    is(name: string, xmlns?: string): boolean;
    text(): string;
    toString(): string;
    c(name: string, attrs?: Record<string, string>): XmlElement;
    t(text: string): XmlElement;
    up(): XmlElement;
  }
  export interface Jid {
    local: string;
    domain: string;
    resource: string;
    bare(): Jid;
    toString(): string;
  }
  export interface Client {
    jid?: Jid;
    status: string;
    reconnect: { stop(): void };
    iqCaller: { request(el: XmlElement, timeout?: number): Promise<XmlElement> };
    iqCallee: { get(ns: string, name: string, fn: (ctx: unknown) => unknown): void; set(ns: string, name: string, fn: (ctx: unknown) => unknown): void };
    on(event: string, listener: (...args: any[]) => void): void;
    once(event: string, listener: (...args: any[]) => void): void;
    removeListener(event: string, listener: (...args: any[]) => void): void;
    start(): Promise<Jid>;
    stop(): Promise<void>;
    send(el: XmlElement): Promise<void>;
    write(data: string): Promise<void>;
  }
  export function client(options: Record<string, unknown>): Client;
  export function xml(name: string, attrs?: Record<string, string | undefined> | null, ...children: (XmlElement | string | undefined)[]): XmlElement;
  export function jid(s: string): Jid;
}
