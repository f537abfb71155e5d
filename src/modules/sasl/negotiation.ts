/**
 * One SASL exchange on a session: `<auth/>`, challenges and `<response/>`s,
 * `<abort/>`, then `<success/>` (and a stream restart) or `<failure/>`.
 * Too many failures close the stream with `policy-violation`.
 *
 * References: RFC 6120 §6.4 (SASL negotiation), §6.5 (failure conditions).
 */
import { x, type Element } from '../../core/xml/element.js';
import { NS } from '../../core/xml/ns.js';
import { StreamError } from '../../core/errors/stream-error.js';
import type { Session } from '../../core/session/session.js';
import type { ChannelBindingType } from '../../core/session/connection.js';
import { ScramServer, type SaslFailure } from './scram.js';
import { parsePlain } from './plain.js';
import { knownMechanism, offeredMechanisms } from './mechanisms.js';

/** RFC 6120 §6.4.5 asks for a configurable retry limit of 2 to 5. */
const MAX_FAILURES = 3;

declare module '../../core/session/session.js' {
  interface SessionState {
    sasl?: { scram?: ScramServer; failures: number };
  }
}

export async function handleAuth(session: Session, auth: Element): Promise<void> {
  if (session.authenticated) throw new StreamError('policy-violation', 'already authenticated');
  const state = (session.state.sasl ??= { failures: 0 });
  state.scram = undefined;
  const name = auth.attrs.mechanism ?? '';
  const offered = offeredMechanisms(session).find((m) => m.name === name);
  if (!offered) return fail(session, knownMechanism(name)?.kind === 'plain' ? 'encryption-required' : 'invalid-mechanism');
  const initial = decode(auth.text());
  if (initial === undefined) return fail(session, 'incorrect-encoding');
  if (offered.kind === 'plain') return handlePlain(session, initial);
  const canBind = session.connection.channelBindingTypes().length > 0;
  state.scram = new ScramServer({
    hash: offered.hash!,
    plus: offered.plus === true,
    serverSupportsPlus: canBind,
    channelBinding: (type) => session.connection.channelBinding(type as ChannelBindingType),
    domain: session.host!.name,
    lookup: (username) => session.server.accounts.credentials(username, session.host!.name, offered.hash!),
  });
  const first = await state.scram.clientFirst(initial);
  if ('failure' in first) return fail(session, first.failure);
  session.send(x('challenge', { xmlns: NS.sasl }, first.challenge.toString('base64')));
}

export function handleResponse(session: Session, response: Element): void {
  const scram = session.state.sasl?.scram;
  if (!scram) return fail(session, 'malformed-request');
  session.state.sasl!.scram = undefined;
  const data = decode(response.text());
  if (data === undefined) return fail(session, 'incorrect-encoding');
  const final = scram.clientFinal(data);
  if ('failure' in final) return fail(session, final.failure);
  succeed(session, final.username, final.success);
}

export function handleAbort(session: Session): void {
  if (session.state.sasl) session.state.sasl.scram = undefined;
  fail(session, 'aborted');
}

async function handlePlain(session: Session, message: Buffer): Promise<void> {
  const creds = parsePlain(message);
  if (!creds) return fail(session, 'malformed-request');
  const domain = session.host!.name;
  if (creds.authzid && creds.authzid !== creds.username && creds.authzid !== `${creds.username}@${domain}`) {
    return fail(session, 'invalid-authzid');
  }
  if (!(await session.server.accounts.checkPassword(creds.username, domain, creds.password))) {
    return fail(session, 'not-authorized');
  }
  succeed(session, creds.username);
}

function succeed(session: Session, username: string, additional?: Buffer): void {
  session.authenticated = true;
  session.username = username;
  session.state.sasl = undefined;
  session.restartStream();
  session.send(x('success', { xmlns: NS.sasl }, additional ? additional.toString('base64') : undefined));
  session.log.info({ session: session.id, user: `${username}@${session.host!.name}` }, 'authenticated');
}

function fail(session: Session, condition: SaslFailure): void {
  const state = (session.state.sasl ??= { failures: 0 });
  session.send(x('failure', { xmlns: NS.sasl }, x(condition)));
  if (condition === 'aborted') return;
  state.failures++;
  if (state.failures >= MAX_FAILURES) {
    session.close(new StreamError('policy-violation', 'too many failed authentication attempts'));
  }
}

/** SASL payloads are base64; `=` stands for an empty response (RFC 6120 §6.4.2). */
function decode(text: string): Buffer | undefined {
  const trimmed = text.trim();
  if (trimmed === '' || trimmed === '=') return Buffer.alloc(0);
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(trimmed) || trimmed.length % 4 !== 0) return undefined;
  return Buffer.from(trimmed, 'base64');
}
