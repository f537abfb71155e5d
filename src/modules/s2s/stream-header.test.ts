/**
 * Tests for server-to-server stream header checks and element recognition.
 *
 * References: RFC 6120 §4.7, §4.8, §4.9.3; XEP-0220 §2.4.1.
 */
import { describe, expect, it } from 'vitest';
import { x } from '../../core/xml/element.js';
import { NS } from '../../core/xml/ns.js';
import {
  HeaderPrefixes,
  NS_DIALBACK,
  checkIncomingHeader,
  checkResponseHeader,
  classify,
  declaresDialback,
  domainOf,
  streamHeader,
} from './stream-header.js';

const isLocal = (domain: string) => domain === 'verona.example' || domain === 'rooms.verona.example';
const header = (extra: Record<string, string> = {}) => ({
  xmlns: NS.server,
  'xmlns:stream': NS.streams,
  'xmlns:db': NS_DIALBACK,
  to: 'verona.example',
  from: 'mantua.example',
  version: '1.0',
  ...extra,
});

describe('checkIncomingHeader', () => {
  it('accepts a well-formed header to a local host or component', () => {
    expect(checkIncomingHeader('stream:stream', header(), isLocal)).toEqual({ to: 'verona.example', from: 'mantua.example', error: undefined });
    expect(checkIncomingHeader('stream:stream', header({ to: 'Rooms.Verona.example' }), isLocal).to).toBe('rooms.verona.example');
  });

  it('needs jabber:server and the streams namespace (invalid-namespace)', () => {
    expect(checkIncomingHeader('stream:stream', header({ xmlns: NS.client }), isLocal).error?.condition).toBe('invalid-namespace');
    expect(checkIncomingHeader('stream:stream', header({ 'xmlns:stream': 'urn:other' }), isLocal).error?.condition).toBe('invalid-namespace');
    expect(checkIncomingHeader('stream:features', header(), isLocal).error?.condition).toBe('invalid-namespace');
  });

  it('needs a to served here that does not change on restart (host-unknown)', () => {
    expect(checkIncomingHeader('stream:stream', header({ to: 'elsewhere.example' }), isLocal).error?.condition).toBe('host-unknown');
    const { to: _omit, ...noTo } = header();
    expect(checkIncomingHeader('stream:stream', noTo, isLocal).error?.condition).toBe('host-unknown');
    const restarted = checkIncomingHeader('stream:stream', header({ to: 'rooms.verona.example' }), isLocal, 'verona.example');
    expect(restarted.error?.condition).toBe('host-unknown');
  });

  it('refuses a from that is not a domain (invalid-from) and tolerates none', () => {
    expect(checkIncomingHeader('stream:stream', header({ from: 'user@mantua.example' }), isLocal).error?.condition).toBe('invalid-from');
    const { from: _omit, ...noFrom } = header();
    expect(checkIncomingHeader('stream:stream', noFrom, isLocal)).toEqual({ to: 'verona.example', from: undefined, error: undefined });
  });

  it('needs version 1.x (unsupported-version)', () => {
    expect(checkIncomingHeader('stream:stream', header({ version: '0.9' }), isLocal).error?.condition).toBe('unsupported-version');
    const { version: _omit, ...noVersion } = header();
    expect(checkIncomingHeader('stream:stream', noVersion, isLocal).error?.condition).toBe('unsupported-version');
  });
});

describe('checkResponseHeader', () => {
  it('needs the namespaces, an id and version 1.x', () => {
    expect(checkResponseHeader('stream:stream', header({ id: 'abc' }))).toBeUndefined();
    expect(checkResponseHeader('stream:stream', header())?.condition).toBe('invalid-xml');
    expect(checkResponseHeader('stream:stream', header({ id: 'a', xmlns: NS.client }))?.condition).toBe('invalid-namespace');
  });
});

describe('prefixes and classification', () => {
  it('recognises dialback elements under any declared prefix', () => {
    const prefixes = new HeaderPrefixes(header({ 'xmlns:dbx': NS_DIALBACK }));
    expect(classify(x('db:result'), prefixes)).toEqual({ kind: 'dialback', name: 'result' });
    expect(classify(x('dbx:verify'), prefixes)).toEqual({ kind: 'dialback', name: 'verify' });
    expect(classify(x('result', { xmlns: NS_DIALBACK }), prefixes)).toEqual({ kind: 'dialback', name: 'result' });
    expect(classify(x('stream:features'), prefixes)).toEqual({ kind: 'stream', name: 'features' });
    expect(classify(x('message'), prefixes)).toEqual({ kind: 'stanza' });
    expect(classify(x('message', { xmlns: NS.client }), prefixes)).toMatchObject({ kind: 'other' });
    expect(classify(x('starttls', { xmlns: NS.tls }), prefixes)).toEqual({ kind: 'other', ns: NS.tls, name: 'starttls' });
  });

  it('tells whether a header advertises dialback', () => {
    expect(declaresDialback(header())).toBe(true);
    const { 'xmlns:db': _omit, ...without } = header();
    expect(declaresDialback(without)).toBe(false);
  });

  it('escapes attribute values in our header', () => {
    expect(streamHeader({ to: "a'b", id: 'x' })).toContain("to='a&apos;b' id='x'>");
  });

  it('accepts only bare domains as domains', () => {
    expect(domainOf('Verona.Example')).toBe('verona.example');
    expect(domainOf('a@verona.example')).toBeUndefined();
    expect(domainOf('verona.example/r')).toBeUndefined();
    expect(domainOf(undefined)).toBeUndefined();
  });
});
