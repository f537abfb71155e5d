/**
 * Builds the room presence an occupant shows to each viewer: the
 * occupant's own presence content plus `<x xmlns=muc#user>` with its item
 * (the real JID only for those allowed to see it), status codes and the
 * XEP-0421 occupant id.
 *
 * References: XEP-0045 §7.2.3 (occupant presence), §7.2.4 (non-anonymous),
 * §7.2.5 (semi-anonymous), §15.6 (status codes); XEP-0421 §4.
 */
import { x, type Element } from '../../core/xml/element.js';
import { MUC_NS, STATUS } from './ns.js';
import type { Occupant } from './occupant.js';
import type { Room } from './room.js';

export interface PresenceOptions {
  /** The receiving occupant (undefined for an outsider). */
  viewer?: Occupant;
  statuses?: number[];
  type?: 'unavailable';
  /** The new nick, on the unavailable half of a nick change (§7.6). */
  newNick?: string;
  /** Which session's presence to show (defaults to the occupant's primary). */
  session?: string;
}

/** The occupant's presence content, stripped of what the room itself adds. */
function baseContent(source: Element | undefined): Element[] {
  if (!source) return [];
  return source
    .elements()
    .filter((el) => el.attrs.xmlns !== MUC_NS.muc && el.attrs.xmlns !== MUC_NS.user && el.attrs.xmlns !== MUC_NS.occupantId)
    .map((el) => el.clone());
}

export function occupantPresence(room: Room, occupant: Occupant, to: string, options: PresenceOptions = {}): Element {
  const self = options.viewer === occupant;
  const source = options.session ? occupant.sessions.get(options.session) : occupant.presence;
  const realJid = options.session ?? occupant.realJid;
  const item = x('item', {
    affiliation: occupant.affiliation,
    role: options.type === 'unavailable' && options.newNick === undefined ? 'none' : occupant.role,
    jid: self || room.showsRealJidsTo(options.viewer) ? realJid : undefined,
    nick: options.newNick,
  });
  const user = x('x', { xmlns: MUC_NS.user }, item);
  const statuses = [...(options.statuses ?? [])];
  if (self) statuses.push(STATUS.self);
  for (const code of [...new Set(statuses)].sort()) user.append(x('status', { code: String(code) }));
  const content = options.type === 'unavailable' ? baseContent(source).filter((el) => el.name === 'status') : baseContent(source);
  return x(
    'presence',
    { from: `${room.jid}/${occupant.nick}`, to, type: options.type },
    ...content,
    x('occupant-id', { xmlns: MUC_NS.occupantId, id: occupant.occupantId }),
    user,
  );
}

/** One presence per session of every occupant (each viewer sees it its way). */
export function presenceToAll(room: Room, occupant: Occupant, options: Omit<PresenceOptions, 'viewer'> = {}): Element[] {
  const out: Element[] = [];
  for (const viewer of room.occupants.values()) {
    for (const to of viewer.sessions.keys()) out.push(occupantPresence(room, occupant, to, { ...options, viewer }));
  }
  return out;
}
