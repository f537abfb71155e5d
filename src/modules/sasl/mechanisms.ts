/**
 * Which SASL mechanisms a session may use now: SCRAM always (with -PLUS when
 * the transport can bind a channel), PLAIN only over TLS unless the config
 * allows it in the clear.
 *
 * References: RFC 6120 §6.4.1 and §13.9.4; RFC 7677; RFC 5802 §6.
 */
import type { Session } from '../../core/session/session.js';
import type { ScramHash } from './scram.js';

export interface MechanismInfo {
  name: string;
  kind: 'scram' | 'plain';
  hash?: ScramHash;
  plus?: boolean;
}

const SCRAM: MechanismInfo[] = [
  { name: 'SCRAM-SHA-256', kind: 'scram', hash: 'SHA-256', plus: false },
  { name: 'SCRAM-SHA-1', kind: 'scram', hash: 'SHA-1', plus: false },
];
const SCRAM_PLUS: MechanismInfo[] = [
  { name: 'SCRAM-SHA-256-PLUS', kind: 'scram', hash: 'SHA-256', plus: true },
  { name: 'SCRAM-SHA-1-PLUS', kind: 'scram', hash: 'SHA-1', plus: true },
];
const PLAIN: MechanismInfo = { name: 'PLAIN', kind: 'plain' };

export function offeredMechanisms(session: Session): MechanismInfo[] {
  const out: MechanismInfo[] = [];
  if (session.connection.channelBindingTypes().length > 0) out.push(...SCRAM_PLUS);
  out.push(...SCRAM);
  if (plainAllowed(session)) out.push(PLAIN);
  return out;
}

export function plainAllowed(session: Session): boolean {
  return session.secure || session.server.config.auth.allow_plain_without_tls;
}

/** Every mechanism this server knows, to tell "unknown" from "not now". */
export function knownMechanism(name: string): MechanismInfo | undefined {
  return [...SCRAM_PLUS, ...SCRAM, PLAIN].find((m) => m.name === name);
}
