/**
 * Account rooms: the account, not each device, is a room's occupant. The
 * server joins rooms as the account, remembers which of its sessions joined
 * each room, answers later sessions' joins locally, forks the room's
 * traffic to joined sessions, archives room messages once in the account's
 * archive, keeps one aggregated presence per account in each room, keeps
 * bookmarks and memberships in step, and rejoins quietly after restarts and
 * removals that are not final. Clients speak plain XEP-0045.
 *
 * Events handled: a session's presence, messages and IQs to rooms
 * (`pre-*`), room traffic to the account (`presence|message|iq/bare|full`),
 * session lifecycle (`presence/self`, `resource-unbind`,
 * `session-connection-lost`, `stream-resumed`), `bookmarks-changed`,
 * `server-started` (rejoin stored memberships), `host-stopping`,
 * `user-deleted`, and federation trouble (`s2s-link-down`, `s2s-link-up`,
 * `s2s-stanza-undeliverable`: liveness.ts). Storage: `roomMemberships`
 * (one list per account).
 *
 * References: ../shared/spec/account-rooms.md; XEP-0045; XEP-0313;
 * XEP-0402; XEP-0410; XEP-0280.
 */
import '../bookmarks/events.js';
import '../stream-management/events.js';
import '../s2s/events.js';
import { defineModule, type ModuleInstance } from '../../core/module/define-module.js';
import type { StanzaEvent } from '../../core/events/event-map.js';
import type { Session } from '../../core/session/session.js';
import { AccountRooms } from './service.js';
import { iqFromSessionEvent, messageFromSession, presenceFromSession } from './from-session.js';
import { discoInfoToAccount, iqToAccount, messageToAccount, presenceToAccount } from './to-account.js';
import { broadcastChanged, updateRoomPresence } from './presence.js';
import { bookmarksChanged } from './bookmark-sync.js';
import { restoreMemberships, saveAll, scheduleIdleLeave } from './durability.js';
import { leaveRoom } from './leave.js';
import { MAM } from '../mam/ns.js';
import { registerControlCommands } from './control.js';
import { linkDown, linkUp, startSilenceChecks, undeliverable } from './liveness.js';

export { AccountRooms } from './service.js';

type Stores = { roomMemberships: 'keyval' };
type Mod = ModuleInstance<Stores, AccountRooms>;

declare module '../../core/module/define-module.js' {
  interface ModuleExports {
    'account-rooms': AccountRooms;
  }
}

type Handler = (service: AccountRooms, event: StanzaEvent) => Promise<boolean | undefined>;
const at = (priority: number) => (handler: Handler) => ({ priority, handler: (event: StanzaEvent, mod: Mod) => handler(mod.api, event) });
/** A session's stanzas to rooms: after blocking (100), before carbons (40) and archiving (50) of ordinary messages. */
const fromSession = at(70);
/** Room traffic to the account: after the iq module takes answers to server requests (100), before archiving and delivery. */
const toAccount = at(90);

/** Re-evaluates the account's presence in every room the session joined, once its own state has settled. */
function sessionChanged(mod: Mod, session: Session): void {
  setImmediate(() => {
    for (const membership of session.state.accountRooms?.values() ?? []) {
      void updateRoomPresence(mod.api, membership).catch((err) => mod.log.warn({ err }, 'room presence update failed'));
    }
  });
}

/** A session that ended or went offline is no longer joined anywhere; the memberships stay. */
function sessionGone(mod: Mod, session: Session): void {
  const memberships = [...(session.state.accountRooms?.values() ?? [])];
  for (const membership of memberships) mod.api.detach(membership, session);
  for (const membership of mod.api.of(session.username!)) {
    membership.waiting = membership.waiting.filter((w) => w.session !== session);
    membership.leaving = membership.leaving.filter((s) => s !== session);
  }
  for (const membership of memberships) void updateRoomPresence(mod.api, membership).catch(() => undefined);
}

export default defineModule({
  name: 'account-rooms',
  depends: ['iq', 'mam', 'bookmarks', 'disco'],
  stores: { roomMemberships: 'keyval' } as Stores,
  setup(ctx): AccountRooms {
    const deps = { mam: ctx.dep('mam'), iq: ctx.dep('iq'), bookmarks: ctx.dep('bookmarks'), disco: ctx.dep('disco') };
    const service = new AccountRooms(ctx.host, ctx.config.account_rooms, deps, ctx.stores.roomMemberships, ctx.log);
    // XEP-0313 §7: the account's archive holds room messages.
    if (ctx.config.account_rooms.enabled) ctx.dep('disco').accountFeatures.add(MAM.groupchatAvailable);
    const stopIdle = scheduleIdleLeave(service);
    const stopSilenceChecks = startSilenceChecks(service);
    registerControlCommands(ctx.server.control, service);
    ctx.hook('host-stopping', async () => {
      stopIdle();
      stopSilenceChecks();
      service.stopping = true;
      await saveAll(service);
    });
    return service;
  },
  hooks: {
    'pre-presence/full': fromSession(presenceFromSession),
    'pre-presence/bare': fromSession(presenceFromSession),
    'pre-message/full': fromSession(messageFromSession),
    'pre-message/bare': fromSession(messageFromSession),
    'pre-iq/full': fromSession(iqFromSessionEvent),
    'pre-iq/bare': fromSession(iqFromSessionEvent),
    'presence/bare': toAccount(presenceToAccount),
    'presence/full': toAccount(presenceToAccount),
    'message/bare': toAccount(messageToAccount),
    'message/full': toAccount(messageToAccount),
    'iq/bare': toAccount(iqToAccount),
    'iq/full': toAccount(iqToAccount),
    'iq-get/bare/http://jabber.org/protocol/disco#info:query': toAccount(discoInfoToAccount),
    'presence/self': {
      priority: 10,
      handler: ({ stanza, origin }, mod) => {
        if (!origin?.jid) return;
        if (stanza.attrs.type === 'unavailable') sessionGone(mod, origin);
        else if (stanza.attrs.type === undefined) {
          broadcastChanged(origin);
          sessionChanged(mod, origin);
        }
      },
    },
    'resource-unbind': ({ session }, mod) => sessionGone(mod, session),
    // Ahead of stream management, which keeps (hibernates) the session and so ends the event.
    'session-connection-lost': { priority: 10, handler: ({ session }, mod) => sessionChanged(mod, session) },
    'stream-resumed': ({ session }, mod) => sessionChanged(mod, session),
    'bookmarks-changed': ({ username, bookmarks }, mod) => bookmarksChanged(mod.api, username, bookmarks),
    'server-started': (_event, mod) => restoreMemberships(mod.api),
    's2s-link-down': ({ remoteDomain, reason }, mod) => linkDown(mod.api, remoteDomain, reason),
    's2s-link-up': ({ remoteDomain }, mod) => linkUp(mod.api, remoteDomain),
    's2s-stanza-undeliverable': (event, mod) => undeliverable(mod.api, event),
    'user-deleted': async ({ username }, mod) => {
      for (const membership of mod.api.of(username)) await leaveRoom(mod.api, membership);
      await mod.api.store.delete(username);
    },
  },
});
