/**
 * A TestClient that advertises entity capabilities like a real client: it
 * answers the server's disco#info query at `node#ver` with its features
 * (such as `<node>+notify` for PEP) and sends presence with the matching
 * `<c/>`. The verification string is computed with the server's own
 * XEP-0115 code, which its unit tests check against the XEP's examples.
 *
 * References: XEP-0115 §4 (caps in presence), §5 (ver), §6.2 (disco#info at
 * node#ver); XEP-0163 §2 (+notify).
 */
import { x } from '../../../src/core/xml/element.js';
import { verificationString } from '../../../src/modules/caps/verification.js';
import { connect, xml, type ConnectOptions, type TestClient, type XmlElement } from './client.js';
import type { TestServer } from './start-server.js';

export const CAPS_NS = 'http://jabber.org/protocol/caps';
export const DISCO_INFO = 'http://jabber.org/protocol/disco#info';
export const TEST_CLIENT_NODE = 'https://perch.test/client';

export interface CapsClient extends TestClient {
  ver: string;
  /** The disco#info queries the server sent this client. */
  capsQueries: XmlElement[];
}

/** Logs in, answers disco#info for `features`, then sends presence with caps (priority when given). */
export async function connectWithCaps(
  server: TestServer,
  options: Omit<ConnectOptions, 'presence'> & { features: string[]; priority?: number },
): Promise<CapsClient> {
  const client = (await connect(server, { ...options, presence: false })) as CapsClient;
  const features = [DISCO_INFO, CAPS_NS, ...options.features];
  const identity = { category: 'client', type: 'pc', name: 'perch-e2e' };
  client.ver = verificationString(x('query', { xmlns: DISCO_INFO }, x('identity', identity), ...features.map((f) => x('feature', { var: f }))));
  client.capsQueries = [];
  client.xmpp.iqCallee.get(DISCO_INFO, 'query', (ctx) => {
    const { stanza, element } = ctx as { stanza: XmlElement; element: XmlElement };
    client.capsQueries.push(stanza);
    return xml('query', { xmlns: DISCO_INFO, node: element.attrs.node }, xml('identity', identity), ...features.map((f) => xml('feature', { var: f })));
  });
  const priority = options.priority === undefined ? undefined : xml('priority', {}, String(options.priority));
  await client.send(xml('presence', {}, xml('c', { xmlns: CAPS_NS, hash: 'sha-1', node: TEST_CLIENT_NODE, ver: client.ver }), priority));
  return client;
}
