/**
 * In-band account creation before authentication: the registration form
 * and the submission that creates the account. Runs on `unauthenticated-iq`
 * events, so replies go straight to the connection (there is no JID yet).
 *
 * References: XEP-0077 §3.1 (entity registers with a host), §3.1.1
 * (registration with a server: one account per stream), §10 (security).
 */
import { StanzaError, errorReply } from '../../core/errors/stanza-error.js';
import { AccountError } from '../../core/accounts.js';
import { InvalidJidError, JID } from '../../core/jid/jid.js';
import { x, type Element } from '../../core/xml/element.js';
import { NS } from '../../core/xml/ns.js';
import type { Session } from '../../core/session/session.js';

/** Longer passwords are refused: SCRAM derivation cost grows with them. */
const MAX_PASSWORD_BYTES = 1024;

declare module '../../core/session/session.js' {
  interface SessionState {
    /** The account this unauthenticated stream registered (one per stream). */
    registeredAccount?: string;
  }
}

export function registrationForm(): Element {
  return x(
    'query',
    { xmlns: NS.register },
    x('instructions', {}, 'Choose a username and password for your new account.'),
    x('username'),
    x('password'),
  );
}

/** Registration may run only when enabled and, unless the config allows it, over TLS. */
export function registrationOpen(session: Session): boolean {
  const config = session.server.config;
  return config.registration.enabled && (session.secure || config.auth.allow_plain_without_tls);
}

/** Handles an `<iq/>` in jabber:iq:register from an unauthenticated stream. */
export async function handleUnauthenticatedRegister(session: Session, iq: Element): Promise<void> {
  const answer = (payload?: Element) => session.send(x('iq', { type: 'result', id: iq.attrs.id }, payload));
  try {
    if (!session.server.config.registration.enabled) throw new StanzaError('service-unavailable');
    if (!registrationOpen(session)) throw new StanzaError('policy-violation', 'registration requires an encrypted stream');
    if (iq.attrs.type === 'get') return answer(registrationForm());
    if (iq.attrs.type !== 'set') throw new StanzaError('bad-request');
    await createAccount(session, iq.getChild('query', NS.register)!);
    answer();
  } catch (err) {
    if (!(err instanceof StanzaError)) throw err;
    session.send(errorReply(iq, err));
  }
}

async function createAccount(session: Session, query: Element): Promise<void> {
  if (query.getChild('remove')) throw new StanzaError('unexpected-request', 'not registered yet');
  if (session.state.registeredAccount) throw new StanzaError('not-acceptable', 'one account per stream');
  const username = query.getChildText('username')?.trim();
  const password = query.getChildText('password');
  // XEP-0077 §3.1: missing or empty fields are not-acceptable.
  if (!username || !password) throw new StanzaError('not-acceptable', 'username and password are required');
  if (Buffer.byteLength(password) > MAX_PASSWORD_BYTES) throw new StanzaError('not-acceptable', 'password too long');
  const host = session.host!;
  const jid = accountJid(username, host.name);
  try {
    await session.server.accounts.create(jid.toString(), password);
  } catch (err) {
    if (err instanceof AccountError && err.code === 'exists') throw new StanzaError('conflict', 'username taken');
    if (err instanceof AccountError && err.code === 'invalid') throw new StanzaError('jid-malformed', 'invalid username');
    throw err;
  }
  session.state.registeredAccount = jid.toString();
  session.log.info({ user: jid.toString() }, 'account registered in-band');
  await host.bus.fire('user-created', { username: jid.local!, host });
}

/** The account's bare JID; a username that is not a valid localpart is jid-malformed. */
function accountJid(username: string, domain: string): JID {
  try {
    return JID.create(username, domain);
  } catch (err) {
    if (err instanceof InvalidJidError) throw new StanzaError('jid-malformed', `invalid username: ${err.message}`);
    throw err;
  }
}
