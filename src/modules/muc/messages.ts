/**
 * Messages in a room: groupchat from occupants reflected to every occupant
 * (the sender too) from `room/nick`, stamped with the room's stanza-id and
 * the sender's occupant-id, and kept as history; private messages between
 * occupants, delivered to every session of the addressee.
 *
 * References: XEP-0045 §7.4 (sending a message to all occupants), §7.5
 * (private messages), §7.2.14 (history); XEP-0359 §3 (stanza-id, and
 * stripping forged ones); XEP-0421 §4 (occupant-id, stripping forged ones).
 */
import { StanzaError } from '../../core/errors/stanza-error.js';
import { Element, shareChildren, x } from '../../core/xml/element.js';
import type { StanzaEvent } from '../../core/events/event-map.js';
import { MUC_NS } from './ns.js';
import { handleSubjectChange } from './subject.js';
import { checkMessageRate } from './limits.js';
import { checkPrivateMessage } from './moderation.js';
import type { MucService } from './service.js';
import type { Occupant } from './occupant.js';
import type { Room } from './room.js';

function senderIn(room: Room, event: StanzaEvent): Occupant {
  const occupant = room.occupantOf(event.from.toString());
  if (!occupant) throw new StanzaError('not-acceptable', 'only occupants may send messages to the room');
  return occupant;
}

/** Copies the message without what only the room may assert about it. */
function sanitised(stanza: Element, roomJid: string): Element {
  const copy = stanza.clone();
  copy.children = copy.children.filter((child) => {
    if (typeof child === 'string') return true;
    if (child.attrs.xmlns === MUC_NS.occupantId) return false;
    return !(child.name === 'stanza-id' && child.attrs.xmlns === MUC_NS.stanzaId && child.attrs.by === roomJid);
  });
  return copy;
}

export async function handleGroupchat(service: MucService, room: Room, event: StanzaEvent): Promise<void> {
  const sender = senderIn(room, event);
  if (event.stanza.getChild('subject') && !event.stanza.getChild('body')) return handleSubjectChange(service, room, sender, event);
  if (sender.role === 'visitor' || sender.role === 'none') throw new StanzaError('forbidden', 'you have no voice in this room');
  checkMessageRate(sender);
  const message = sanitised(event.stanza, room.jid);
  message.attrs.from = `${room.jid}/${sender.nick}`;
  delete message.attrs.to;
  message.append(
    x('stanza-id', { xmlns: MUC_NS.stanzaId, id: service.newStanzaId(), by: room.jid }),
    x('occupant-id', { xmlns: MUC_NS.occupantId, id: sender.occupantId }),
  );
  if (message.getChild('body')) await service.recordMessage(room, message);
  await service.send(...copiesToAll(room, message));
}

/** One copy per occupant session; the copies share the message's children (frozen), so they are serialised once. */
export function copiesToAll(room: Room, message: Element): Element[] {
  const children = shareChildren(message.children, true);
  const out: Element[] = [];
  for (const occupant of room.occupants.values()) {
    for (const to of occupant.sessions.keys()) out.push(new Element(message.name, { ...message.attrs, to }, children));
  }
  return out;
}

/** A private message to `room/nick` (§7.5); groupchat there is a bad request. */
export async function handlePrivateMessage(service: MucService, room: Room, event: StanzaEvent): Promise<void> {
  const { stanza } = event;
  if (stanza.attrs.type === 'error') return;
  if (stanza.attrs.type === 'groupchat') throw new StanzaError('bad-request', 'groupchat must go to the room');
  const sender = senderIn(room, event);
  checkPrivateMessage(room, sender);
  const addressee = room.occupants.get(event.to.resource!);
  if (!addressee) throw new StanzaError('item-not-found', 'no such occupant');
  const message = sanitised(stanza, room.jid);
  message.attrs.from = `${room.jid}/${sender.nick}`;
  message.children = message.children.filter((c) => typeof c === 'string' || c.attrs.xmlns !== MUC_NS.user);
  message.append(x('occupant-id', { xmlns: MUC_NS.occupantId, id: sender.occupantId }), x('x', { xmlns: MUC_NS.user }));
  const copies = [...addressee.sessions.keys()].map((to) => {
    const copy = message.clone();
    copy.attrs.to = to;
    return copy;
  });
  await service.send(...copies);
}
