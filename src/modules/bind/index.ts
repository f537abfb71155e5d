/**
 * Resource binding and the legacy session IQ. The client may ask for a
 * resource; without one the server makes a random one. Binding a resource
 * already in use replaces the older session (it gets a `conflict` stream
 * error).
 *
 * References: RFC 6120 §7 (resource binding); RFC 3921 §3 and
 * draft-cridland-xmpp-session-01 (the session IQ, kept for old clients).
 */
import { randomBytes } from 'node:crypto';
import { defineModule } from '../../core/module/define-module.js';
import { x } from '../../core/xml/element.js';
import { NS } from '../../core/xml/ns.js';
import { iqResult } from '../../core/xml/stanza.js';
import { StanzaError, errorReply } from '../../core/errors/stanza-error.js';
import { tryParseJid } from '../../core/jid/jid.js';
import type { StanzaEvent } from '../../core/events/event-map.js';

function sessionIq({ stanza, origin }: StanzaEvent): boolean {
  origin?.send(iqResult(stanza));
  return true;
}

export default defineModule({
  name: 'bind',
  hooks: {
    'stream-features': ({ session, features }) => {
      if (!session.authenticated || session.bound) return;
      features.append(
        x('bind', { xmlns: NS.bind }),
        x('session', { xmlns: NS.session }, x('optional')),
      );
    },
    'unbound-iq/urn:ietf:params:xml:ns:xmpp-bind:bind': async ({ session, element: iq }) => {
      const host = session.host!;
      const reply = (el: ReturnType<typeof x>) => session.send(el);
      if (iq.attrs.type !== 'set') {
        reply(errorReply(iq, new StanzaError('bad-request', 'bind is an iq set')));
        return true;
      }
      const requested = iq.getChild('bind', NS.bind)?.getChildText('resource')?.trim();
      const resource = requested || randomBytes(6).toString('base64url');
      const jid = tryParseJid(`${session.username}@${host.name}/${resource}`);
      if (!jid?.resource) {
        reply(errorReply(iq, new StanzaError('bad-request', 'invalid resource')));
        return true;
      }
      await host.bind(session, jid);
      reply(x('iq', { type: 'result', id: iq.attrs.id }, x('bind', { xmlns: NS.bind }, x('jid', {}, jid.toString()))));
      return true;
    },
    'iq-set/self/urn:ietf:params:xml:ns:xmpp-session:session': sessionIq,
    'iq-set/host/urn:ietf:params:xml:ns:xmpp-session:session': sessionIq,
  },
});
