/**
 * Liveness of memberships in rooms on other servers. The server checks the
 * account is still an occupant with a XEP-0410 self-ping (from the
 * account's occupant JID to its own occupant JID) when the s2s link to the
 * room's server drops, and when the room has been silent for
 * `liveness_check` seconds. A result (or an error only a joined occupant
 * gets) verifies the membership: what the room said meanwhile is fetched
 * from its archive and what sessions sent meanwhile goes out. An answer
 * saying the account is no longer an occupant starts a quiet rejoin (with
 * gap fill). "Cannot tell" (the room's server unreachable, no answer) is
 * tried again with backoff, and at once when a link to that server comes
 * up. Room traffic of a membership that s2s cannot deliver never bounces
 * to the account (sessions would read an error as being out of the room):
 * messages wait for the check, presence is derived again after it; IQs and
 * joins do bounce, since someone waits for their answer.
 *
 * References: account-rooms spec, "Durability", "Traffic from a session to
 * the room" (self-ping), "Traffic from the room" (remote restart);
 * XEP-0410 §3.2 (what each answer means); RFC 6120 §8.3.3.15–16
 * (remote-server-not-found / -timeout: no statement about the room).
 */
import '../s2s/events.js';
import { x } from '../../core/xml/element.js';
import type { S2sUndeliverableEvent } from '../s2s/events.js';
import { MUC_NS } from '../muc/ns.js';
import type { AccountRooms } from './service.js';
import type { Membership } from './membership.js';
import { scheduleRejoin } from './leave.js';
import { catchUp, markGapStart } from './gap-fill.js';
import { updateRoomPresence } from './presence.js';

const PING_NS = 'urn:xmpp:ping';
const PING_TIMEOUT_MS = 15_000;
const FIRST_RETRY_MS = 1000;
const MAX_RETRY_MS = 60_000;
/** How often silent rooms are looked for, at most. */
const SILENCE_SCAN_MS = 60_000;

/** XEP-0410 §3.2: errors a joined occupant gets (the ping reached a client that does not answer pings). */
const JOINED_ERRORS = new Set(['service-unavailable', 'feature-not-implemented']);
/** No statement about the room: its server could not be reached. */
const UNREACHABLE = new Set(['remote-server-not-found', 'remote-server-timeout']);

type Verdict = 'joined' | 'gone' | 'unknown';

interface Check {
  attempts: number;
  timer?: NodeJS.Timeout;
  running: boolean;
}

const checks = new WeakMap<Membership, Check>();
/** Memberships whose presence update s2s could not deliver: the room may show an older one. */
const presenceLost = new WeakSet<Membership>();

export function isRemoteRoom(service: AccountRooms, room: string): boolean {
  return !service.host.server.hosts.has(domainOf(room));
}

const domainOf = (room: string) => room.slice(room.indexOf('@') + 1);

/**
 * `s2s-link-down`: every membership of a room on that domain is checked
 * (stanzas in flight may be lost, the server may be restarting). A link
 * this server closed for idleness carried nothing for a while: no check.
 * A quiet rejoin under way starts over: its join (or the disco#info before
 * it) may have gone down with the link, and nothing else would answer it
 * (seen with ejabberd, which sends 332 just before closing its streams).
 */
export function linkDown(service: AccountRooms, remoteDomain: string, reason?: string): void {
  if (reason === 'idle') return;
  for (const membership of membershipsOn(service, remoteDomain)) {
    markGapStart(membership);
    if (membership.silentRejoin && membership.state === 'joining') scheduleRejoin(service, membership);
    else checkSoon(service, membership);
  }
}

/** `s2s-link-up`: checks waiting for that server are tried now. */
export function linkUp(service: AccountRooms, remoteDomain: string): void {
  for (const membership of membershipsOn(service, remoteDomain)) {
    const check = checks.get(membership);
    if (!check || check.running) continue;
    clearTimeout(check.timer);
    runLater(service, membership, check, 0);
  }
}

function membershipsOn(service: AccountRooms, domain: string): Membership[] {
  const wanted = domain.toLowerCase();
  return service.users().flatMap((username) => service.of(username).filter((m) => domainOf(m.room) === wanted));
}

/** Starts a check of the membership unless one is under way. */
export function checkSoon(service: AccountRooms, membership: Membership): void {
  if (checks.has(membership) || service.stopping) return;
  const check: Check = { attempts: 0, running: false };
  checks.set(membership, check);
  runLater(service, membership, check, 0);
}

function runLater(service: AccountRooms, membership: Membership, check: Check, delay: number): void {
  check.timer = setTimeout(() => void runCheck(service, membership, check), delay).unref();
}

async function runCheck(service: AccountRooms, membership: Membership, check: Check): Promise<void> {
  // A quiet rejoin under way (or a leave) settles the membership itself.
  const current = service.get(membership.username, membership.room) === membership;
  if (!current || service.stopping || membership.state !== 'joined' || membership.silentRejoin) return void checks.delete(membership);
  check.running = true;
  const verdict = await selfPing(service, membership);
  check.running = false;
  if (verdict === 'unknown') {
    const delay = Math.min(MAX_RETRY_MS, FIRST_RETRY_MS * 2 ** check.attempts++);
    return runLater(service, membership, check, delay);
  }
  checks.delete(membership);
  // A removal (332) or a leave came while the ping was out: that path settles the membership.
  if (membership.state !== 'joined' || membership.silentRejoin) return;
  if (verdict === 'gone') {
    // The rejoin shows the room the presence it should see.
    presenceLost.delete(membership);
    return scheduleRejoin(service, membership);
  }
  membership.lastVerified = Date.now();
  await recovered(service, membership).catch((err) => service.log.warn({ err, room: membership.room }, 'catching up with the room failed'));
}

/** XEP-0410 §3.2: the account pings its own occupant JID; the answer says whether it is still joined. */
async function selfPing(service: AccountRooms, membership: Membership): Promise<Verdict> {
  const ping = x('iq', { type: 'get', to: membership.occupantJid, from: service.occupantFrom(membership) }, x('ping', { xmlns: PING_NS }));
  try {
    const answer = await service.deps.iq.request(ping, PING_TIMEOUT_MS);
    if (answer.attrs.type === 'result') return 'joined';
    const condition = answer.getChild('error')?.elements()[0]?.name ?? '';
    if (JOINED_ERRORS.has(condition)) return 'joined';
    return UNREACHABLE.has(condition) ? 'unknown' : 'gone';
  } catch {
    return 'unknown';
  }
}

/** Still an occupant: the room's missed messages, then what sessions sent meanwhile, then the presence it should show. */
async function recovered(service: AccountRooms, membership: Membership): Promise<void> {
  await catchUp(service, membership);
  const waiting = membership.retryAfterRejoin;
  membership.retryAfterRejoin = [];
  for (const stanza of waiting) await service.sendToRoom(membership, stanza);
  if (presenceLost.delete(membership)) {
    // Unknown what the room shows now: the aggregate goes out as news.
    membership.shownPresence = undefined;
    await updateRoomPresence(service, membership);
  }
}

/**
 * `s2s-stanza-undeliverable`: the account's own traffic to one of its
 * rooms. Messages are kept for after the check (or the rejoin it leads
 * to), presence is sent again then; neither bounces. A join's bounce drives
 * the join's outcome (a quiet rejoin backs off and retries) and an IQ's
 * answers whoever asked, so both go on to bounce.
 */
export function undeliverable(service: AccountRooms, { stanza, from, to }: S2sUndeliverableEvent): boolean | undefined {
  const membership = from.local === undefined ? undefined : service.get(from.local, to.bareString());
  if (!membership || service.occupantFrom(membership) !== from.toString()) return undefined;
  const type = stanza.attrs.type;
  const isJoin = stanza.name === 'presence' && type === undefined && stanza.getChild('x', MUC_NS.muc) !== undefined;
  if (membership.state === 'joined' && !membership.silentRejoin) checkSoon(service, membership);
  if (isJoin || (stanza.name === 'iq' && (type === 'get' || type === 'set'))) return undefined;
  if (stanza.name === 'message' && type !== 'error') membership.retryAfterRejoin.push(stanza);
  if (stanza.name === 'presence' && type === undefined) presenceLost.add(membership);
  return true;
}

/** Self-pings remote rooms silent for `liveness_check` seconds; returns the stopper. */
export function startSilenceChecks(service: AccountRooms): () => void {
  const silenceMs = service.config.liveness_check * 1000;
  if (silenceMs <= 0 || !service.config.enabled) return () => {};
  const timer = setInterval(() => {
    const now = Date.now();
    for (const username of service.users()) {
      for (const membership of service.of(username)) {
        const silent = membership.state === 'joined' && !membership.silentRejoin && now - membership.lastVerified >= silenceMs;
        if (silent && isRemoteRoom(service, membership.room)) checkSoon(service, membership);
      }
    }
  }, Math.min(silenceMs, SILENCE_SCAN_MS)).unref();
  return () => clearInterval(timer);
}
