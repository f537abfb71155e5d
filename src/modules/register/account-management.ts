/**
 * In-band account management once authenticated: what the server has on
 * file, password changes and account removal. Removal deletes every stored
 * item of the account, tells modules through `user-deleted`, answers, then
 * closes all the account's streams with `not-authorized`.
 *
 * References: XEP-0077 §3.1 (already registered), §3.2 (cancellation),
 * §3.3 (password change).
 */
import { StanzaError } from '../../core/errors/stanza-error.js';
import { StreamError } from '../../core/errors/stream-error.js';
import { InvalidJidError, JID } from '../../core/jid/jid.js';
import { x, type Element } from '../../core/xml/element.js';
import { NS } from '../../core/xml/ns.js';
import { iqPayload, iqResult } from '../../core/xml/stanza.js';
import type { StanzaEvent } from '../../core/events/event-map.js';
import type { Session } from '../../core/session/session.js';

export function handleRegisteredGet({ stanza, origin }: StanzaEvent): true | undefined {
  if (!origin) return undefined;
  const info = x('query', { xmlns: NS.register }, x('registered'), x('username', {}, origin.username));
  origin.send(iqResult(stanza, info));
  return true;
}

export async function handleRegisteredSet(event: StanzaEvent): Promise<true | undefined> {
  const { stanza, origin } = event;
  if (!origin) return undefined;
  const query = iqPayload(stanza);
  if (query.getChild('remove')) await removeAccount(origin, stanza, query);
  else await changePassword(origin, stanza, query);
  return true;
}

async function changePassword(session: Session, iq: Element, query: Element): Promise<void> {
  const username = query.getChildText('username');
  const password = query.getChildText('password');
  // An empty password must never replace the current one (XEP-0077 §3.3).
  if (!password) throw new StanzaError('bad-request', 'a new password is required');
  if (username !== undefined && !isSessionUser(session, username)) throw new StanzaError('not-allowed', 'not your account');
  const config = session.server.config;
  if (!session.secure && !config.auth.allow_plain_without_tls) throw new StanzaError('not-authorized', 'stream not encrypted');
  const host = session.host!;
  await session.server.accounts.setPassword(`${session.username}@${host.name}`, password);
  session.log.info({ user: `${session.username}@${host.name}` }, 'password changed in-band');
  session.send(iqResult(iq));
}

async function removeAccount(session: Session, iq: Element, query: Element): Promise<void> {
  // <remove/> must be alone (XEP-0077 §3.2, bad-request).
  if (query.elements().length !== 1) throw new StanzaError('bad-request', '<remove/> must be the only child');
  const host = session.host!;
  const username = session.username!;
  await session.server.accounts.delete(`${username}@${host.name}`);
  session.log.info({ user: `${username}@${host.name}` }, 'account removed in-band');
  await host.bus.fire('user-deleted', { username, host });
  session.send(iqResult(iq));
  for (const other of host.sessions.ofUser(username)) other.close(new StreamError('not-authorized', 'account removed'));
  session.close(new StreamError('not-authorized', 'account removed'));
}

function isSessionUser(session: Session, username: string): boolean {
  try {
    return JID.create(username, session.host!.name).local === session.username;
  } catch (err) {
    if (err instanceof InvalidJidError) return false;
    throw err;
  }
}
