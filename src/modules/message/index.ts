/**
 * Message delivery to local accounts by the rules of RFC 6121 §8.5: to a full
 * JID, that session (or the account when it is gone, except groupchat); to a
 * bare JID, every available session of highest non-negative priority
 * (chat/normal; headline to all non-negative ones), or offline storage.
 *
 * References: RFC 6121 §8.5.2 (localpart, no resource), §8.5.3 (with
 * resource), §8.5.1 (no such user).
 */
import './events.js';
import { defineModule } from '../../core/module/define-module.js';
import { StanzaError } from '../../core/errors/stanza-error.js';
import type { StanzaEvent } from '../../core/events/event-map.js';
import type { Session } from '../../core/session/session.js';

/** Sessions that receive messages to the bare JID. */
export function bareMessageTargets(sessions: Session[], type: string): Session[] {
  const available = sessions.filter((s) => s.presence !== undefined && s.priority >= 0);
  if (type === 'headline' || available.length === 0) return available;
  const top = Math.max(...available.map((s) => s.priority));
  return available.filter((s) => s.priority === top);
}

async function deliver(event: StanzaEvent, sessions: Session[]): Promise<true> {
  for (const session of sessions) session.send(event.stanza);
  const { bus } = event.host;
  if (bus.has('message-delivered')) await bus.fire('message-delivered', { event, sessions });
  return true;
}

async function deliverToBare(event: StanzaEvent): Promise<boolean> {
  const { stanza, to, host } = event;
  const type = stanza.attrs.type ?? 'normal';
  const sessions = host.sessions.ofUser(to.local!);
  if (sessions.length === 0 && !(await host.server.accounts.exists(to.local!, host.name))) {
    if (type === 'error' || type === 'headline') return true;
    throw new StanzaError('service-unavailable');
  }
  if (type === 'groupchat') throw new StanzaError('service-unavailable');
  if (type === 'error') return true;
  const targets = bareMessageTargets(sessions, type);
  if (targets.length > 0) return deliver(event, targets);
  if (type === 'headline') return true;
  if (await host.bus.fire('message-offline', event)) return true;
  throw new StanzaError('service-unavailable');
}

export default defineModule({
  name: 'message',
  hooks: {
    'message/full': async (event) => {
      const { stanza, to, host } = event;
      const session = host.sessions.get(to.local!, to.resource!);
      if (session) return deliver(event, [session]);
      const type = stanza.attrs.type ?? 'normal';
      if (type === 'groupchat') throw new StanzaError('service-unavailable');
      if (type === 'error') return true;
      return deliverToBare(event);
    },
    'message/bare': deliverToBare,
    'message/host': ({ stanza }) => {
      // Nothing on this server takes messages addressed to the domain itself.
      if (stanza.attrs.type === 'error') return true;
      throw new StanzaError('service-unavailable');
    },
  },
});
