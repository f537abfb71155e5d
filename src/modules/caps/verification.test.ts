import { describe, expect, it } from 'vitest';
import { x } from '../../core/xml/element.js';
import { NS } from '../../core/xml/ns.js';
import { verificationInput, verificationString } from './verification.js';

const feature = (v: string) => x('feature', { var: v });
const field = (v: string, ...values: string[]) => x('field', { var: v }, ...values.map((value) => x('value', {}, value)));

describe('XEP-0115 verification string', () => {
  it('reproduces the simple example of §5.2', () => {
    const query = x(
      'query',
      { xmlns: NS.discoInfo },
      x('identity', { category: 'client', name: 'Exodus 0.9.1', type: 'pc' }),
      feature('http://jabber.org/protocol/caps'),
      feature('http://jabber.org/protocol/disco#info'),
      feature('http://jabber.org/protocol/disco#items'),
      feature('http://jabber.org/protocol/muc'),
    );
    expect(verificationInput(query)).toBe(
      'client/pc//Exodus 0.9.1<http://jabber.org/protocol/caps<http://jabber.org/protocol/disco#info<' +
        'http://jabber.org/protocol/disco#items<http://jabber.org/protocol/muc<',
    );
    expect(verificationString(query)).toBe('QgayPKawpkPSDYmwT/WM94uAlu0=');
  });

  it('reproduces the complex example of §5.3 (languages and an extension form)', () => {
    const query = x(
      'query',
      { xmlns: NS.discoInfo },
      x('identity', { 'xml:lang': 'en', category: 'client', name: 'Psi 0.11', type: 'pc' }),
      x('identity', { 'xml:lang': 'el', category: 'client', name: 'Ψ 0.11', type: 'pc' }),
      feature('http://jabber.org/protocol/caps'),
      feature('http://jabber.org/protocol/disco#info'),
      feature('http://jabber.org/protocol/disco#items'),
      feature('http://jabber.org/protocol/muc'),
      x(
        'x',
        { xmlns: NS.dataForms, type: 'result' },
        x('field', { var: 'FORM_TYPE', type: 'hidden' }, x('value', {}, 'urn:xmpp:dataforms:softwareinfo')),
        field('ip_version', 'ipv6', 'ipv4'),
        field('os', 'Mac'),
        field('os_version', '10.5.1'),
        field('software', 'Psi'),
        field('software_version', '0.11'),
      ),
    );
    expect(verificationString(query)).toBe('q07IKJEyjvHSyhy//CH0CxmKi8w=');
  });
});
