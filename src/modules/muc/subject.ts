/**
 * Subject changes: a groupchat message with `<subject/>` and no body from
 * an occupant allowed to change it (moderators, or participants when the
 * room allows it), reflected to everyone; others get forbidden.
 *
 * References: XEP-0045 §8.1 (modifying the room subject), §7.2.16.
 */
import { StanzaError } from '../../core/errors/stanza-error.js';
import type { StanzaEvent } from '../../core/events/event-map.js';
import { copiesToAll } from './messages.js';
import type { MucService } from './service.js';
import type { Occupant } from './occupant.js';
import type { Room } from './room.js';

export async function handleSubjectChange(service: MucService, room: Room, sender: Occupant, event: StanzaEvent): Promise<void> {
  if (!room.mayChangeSubject(sender)) throw new StanzaError('forbidden', 'you may not change the subject');
  const text = event.stanza.getChildText('subject') ?? '';
  room.subject = text === '' ? undefined : { text, nick: sender.nick };
  const message = event.stanza.clone();
  message.attrs.from = `${room.jid}/${sender.nick}`;
  delete message.attrs.to;
  await service.send(...copiesToAll(room, message));
}
