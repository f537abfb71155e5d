/**
 * XMPP Ping (XEP-0199): the server answers pings addressed to itself and to
 * the sender's own account, so clients can check the connection.
 *
 * References: XEP-0199 §3 (client-to-server ping), §5 (service discovery).
 */
import { defineModule } from '../../core/module/define-module.js';
import { NS } from '../../core/xml/ns.js';
import { answerIq } from '../../core/router/reply.js';
import type { StanzaEvent } from '../../core/events/event-map.js';

const pong = (event: StanzaEvent) => answerIq(event);

export default defineModule({
  name: 'ping',
  features: [NS.ping],
  hooks: {
    'iq-get/host/urn:xmpp:ping:ping': pong,
    'iq-get/self/urn:xmpp:ping:ping': pong,
  },
});
