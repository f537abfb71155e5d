/**
 * The multi-user chat service (XEP-0045), loaded on its own component host
 * (`rooms.<domain>`, see ../components.ts). Presence to `room/nick` enters,
 * updates, renames or leaves; messages to the room are groupchat, to
 * `room/nick` private; IQs to the service and rooms answer disco and the
 * owner's instant-room configuration.
 *
 * A presence without `<x xmlns=muc>` from a non-occupant is not a join
 * (non-occupant.ts). Several services may run, one per configured domain
 * (../components.ts), each with its own rooms and stores.
 *
 * References: XEP-0045 §6 (disco), §7 (occupant use cases), §7.2 (the
 * groupchat 1.0 rule), §8.1 (subject), §10.1 (room creation); XEP-0313
 * §4.1.5 (the room archive's form); XEP-0359; XEP-0421.
 */
import { defineModule } from '../../core/module/define-module.js';
import { StanzaError } from '../../core/errors/stanza-error.js';
import type { StanzaEvent } from '../../core/events/event-map.js';
import type { DiscoApi } from '../disco/index.js';
import { MUC_NS } from './ns.js';
import { MucService } from './service.js';
import { handleJoin, handleRejoin } from './join.js';
import { handleLeave, handlePresenceUpdate } from './leave.js';
import { handleNickChange } from './nick.js';
import { handleGroupchat, handlePrivateMessage } from './messages.js';
import { handleOwnerGet, handleOwnerSet } from './owner.js';
import { handleAdminGet, handleAdminSet } from './admin.js';
import { roomInfo, roomItems, serviceItems } from './disco.js';
import { handleBounce } from './ghosts.js';
import { handleOccupantIq } from './occupant-iq.js';
import { handleInvitationMessage } from './invitations.js';
import { RoomPersistence, savingRoom } from './persistence.js';
import { RoomArchive } from './room-archive.js';
import { restoreGraceMs } from './restore.js';
import { handleVoiceMessage } from './moderation.js';
import { handleRegisterGet, handleRegisterSet, handleRoomUserItem } from './registration.js';
import { isMucJoin, notInRoomKick } from './non-occupant.js';

declare module '../../core/module/define-module.js' {
  interface ModuleExports {
    muc: MucService;
  }
}

/** Presence addressed to `room/nick`: the whole occupant life cycle. */
async function handleOccupantPresence(service: MucService, event: StanzaEvent): Promise<true> {
  const { stanza, from, to } = event;
  const type = stanza.attrs.type;
  // Streams closing at shutdown send unavailable: the occupants were saved to come back.
  if (service.stopping) return true;
  const room = service.rooms.get(to.bareString());
  if (type === 'unavailable') {
    if (room) await handleLeave(service, room, event);
    return true;
  }
  if (type === 'error') return handleBounce(service, event);
  // Subscriptions are not room business.
  if (type !== undefined) return true;
  const occupant = room?.occupantOf(from.toString());
  // The groupchat 1.0 rule (non-occupant.ts): without `<x/>`, no entry.
  if (!room || !occupant) await (isMucJoin(stanza) ? handleJoin(service, event) : service.send(notInRoomKick(event, room)));
  else if (occupant.nick === to.resource && isMucJoin(stanza)) await handleRejoin(service, room, occupant, event);
  else if (occupant.nick === to.resource) await handlePresenceUpdate(service, room, event);
  else await handleNickChange(service, room, event);
  return true;
}

/** A join without a nick (§7.2.1): the room JID alone is not an occupant JID. */
function handleBarePresence({ stanza }: StanzaEvent): true {
  if (stanza.attrs.type === undefined) throw new StanzaError('jid-malformed', 'a room nickname is required');
  return true;
}

function existingRoom(service: MucService, event: StanzaEvent) {
  const room = service.rooms.get(event.to.bareString());
  if (!room) throw new StanzaError('item-not-found', 'no such room');
  return room;
}

async function handleRoomMessage(service: MucService, event: StanzaEvent): Promise<true | undefined> {
  const type = event.stanza.attrs.type;
  if (type === 'error') return handleBounce(service, event);
  if (type !== 'groupchat' && (await handleInvitationMessage(service, event))) return true;
  if (type !== 'groupchat' && (await handleVoiceMessage(service, event))) return true;
  if (type !== 'groupchat') return undefined;
  await handleGroupchat(service, existingRoom(service, event), event);
  return true;
}

export default defineModule({
  name: 'muc',
  depends: ['disco'],
  features: [MUC_NS.muc],
  stores: { rooms: 'keyval', history: 'archive' },
  async setup(ctx) {
    const service = new MucService(ctx.host);
    service.persistence = new RoomPersistence(ctx.stores.rooms, { days: ctx.config.muc.tombstone_days });
    service.archive = new RoomArchive(ctx.stores.history);
    ctx.hook('host-stopping', await service.archive.startRetention(ctx.config.archive.retention_days, ctx.log));
    for (const room of await service.persistence.load()) service.rooms.set(room.jid, room);
    await service.useStoredSecret();
    service.expireRestoredAfter(restoreGraceMs());
    ctx.host.identities.splice(0, ctx.host.identities.length, { category: 'conference', type: 'text', name: 'Chatrooms' });
    for (const host of ctx.server.hosts.values()) {
      if (host.acceptsClients) (host.modules.get('disco') as DiscoApi | undefined)?.addItem(ctx.host.name, 'Chatrooms');
    }
    return service;
  },
  hooks: {
    'host-stopping': (_, mod) => mod.api.stop(),
    'presence/full': (event, mod) => handleOccupantPresence(mod.api, event),
    'presence/bare': (event) => handleBarePresence(event),
    'message/bare': savingRoom((event, mod) => handleRoomMessage(mod.api, event)),
    'message/full': async (event, mod) => {
      if (event.stanza.attrs.type === 'error') return handleBounce(mod.api, event);
      await handlePrivateMessage(mod.api, existingRoom(mod.api, event), event);
      return true;
    },
    'iq/full': { handler: (event, mod) => handleOccupantIq(mod.api, event), priority: 10 },
    'iq-get/host/http://jabber.org/protocol/disco#items:query': { handler: (event, mod) => serviceItems(mod.api, event), priority: 10 },
    'iq-get/bare/http://jabber.org/protocol/disco#info:query': { handler: (event, mod) => handleRoomUserItem(mod.api, event) ?? roomInfo(mod.api, event), priority: 10 },
    'iq-get/bare/jabber:iq:register:query': (event, mod) => handleRegisterGet(mod.api, event),
    'iq-set/bare/jabber:iq:register:query': (event, mod) => handleRegisterSet(mod.api, event),
    'iq-get/bare/http://jabber.org/protocol/disco#items:query': { handler: (event, mod) => roomItems(mod.api, event), priority: 10 },
    'iq-set/bare/http://jabber.org/protocol/muc#owner:query': savingRoom((event, mod) => handleOwnerSet(mod.api, event)),
    'iq-get/bare/http://jabber.org/protocol/muc#owner:query': (event, mod) => handleOwnerGet(mod.api, event),
    'iq-set/bare/http://jabber.org/protocol/muc#admin:query': savingRoom((event, mod) => handleAdminSet(mod.api, event)),
    'iq-set/bare/urn:xmpp:mam:2:query': (event, mod) => mod.api.archive!.query(mod.api, event),
    'iq-get/bare/urn:xmpp:mam:2:query': (event, mod) => mod.api.archive!.form(mod.api, event),
    'iq-get/bare/http://jabber.org/protocol/muc#admin:query': (event, mod) => handleAdminGet(mod.api, event),
  },
});
