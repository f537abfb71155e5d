/**
 * Tests for the from/to checks on stanzas from a remote server.
 *
 * References: RFC 6120 §4.9.3.6, §4.9.3.9, §4.9.3.14, §8.1.1.1, §8.1.2.1.
 */
import { describe, expect, it } from 'vitest';
import { StreamError } from '../../core/errors/stream-error.js';
import { x } from '../../core/xml/element.js';
import { checkStanzaAddresses } from './addressing.js';

const authenticated = new Set(['mantua.example']);
const isLocal = (domain: string) => domain === 'verona.example' || domain === 'rooms.verona.example';

function condition(attrs: Record<string, string>): string | undefined {
  const result = checkStanzaAddresses(x('message', attrs), authenticated, isLocal);
  return result instanceof StreamError ? result.condition : undefined;
}

describe('checkStanzaAddresses', () => {
  it('accepts an authenticated from to a local host or component', () => {
    const result = checkStanzaAddresses(
      x('message', { from: 'juliet@Mantua.example/balcony', to: 'romeo@verona.example' }),
      authenticated,
      isLocal,
    );
    expect(result).not.toBeInstanceOf(StreamError);
    expect(result).toMatchObject({ from: { domain: 'mantua.example', local: 'juliet' } });
    expect(condition({ from: 'mantua.example', to: 'room@rooms.verona.example/nick' })).toBeUndefined();
  });

  it('needs both addresses (improper-addressing)', () => {
    expect(condition({ to: 'romeo@verona.example' })).toBe('improper-addressing');
    expect(condition({ from: 'juliet@mantua.example' })).toBe('improper-addressing');
    expect(condition({ from: 'juliet@mantua.example', to: '' })).toBe('improper-addressing');
  });

  it('refuses a from outside the authenticated domains (invalid-from)', () => {
    expect(condition({ from: 'tybalt@capulet.example', to: 'romeo@verona.example' })).toBe('invalid-from');
    expect(condition({ from: 'romeo@verona.example', to: 'romeo@verona.example' })).toBe('invalid-from');
    expect(condition({ from: 'bad@@mantua.example', to: 'romeo@verona.example' })).toBe('invalid-from');
  });

  it('refuses a to this server does not serve (host-unknown) or a malformed one', () => {
    expect(condition({ from: 'juliet@mantua.example', to: 'someone@elsewhere.example' })).toBe('host-unknown');
    expect(condition({ from: 'juliet@mantua.example', to: 'a@b@verona.example' })).toBe('improper-addressing');
  });
});
