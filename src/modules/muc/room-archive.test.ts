/**
 * The room archive through a real (memory) store: retention expires the
 * oldest items of every room on the service and leaves the rest to join
 * history; 0 days keeps everything. And the query form a room answers.
 *
 * References: XEP-0313 §3.2 (a MUC archive at the room JID; a server may
 * expire the oldest items), §4.1.5 (form fields); XEP-0045 §7.2.14
 * (history from the archive).
 */
import { describe, expect, it } from 'vitest';
import { x } from '../../core/xml/element.js';
import { createMemoryDriver } from '../../storage/memory/index.js';
import { RoomArchive, roomQueryForm } from './room-archive.js';
import { Room } from './room.js';
import { MUC_NS } from './ns.js';

const DAY = 86_400_000;
const NOW = Date.UTC(2024, 5, 1);

function reflected(room: Room, body: string): ReturnType<typeof x> {
  return x('message', { from: `${room.jid}/Romeo`, type: 'groupchat' }, x('body', {}, body), x('stanza-id', { xmlns: MUC_NS.stanzaId, by: room.jid, id: body }));
}

async function archiveWithOldAndNew() {
  const archive = new RoomArchive(createMemoryDriver().archive('rooms.h', 'history'));
  const [garden, hall] = [new Room('garden@rooms.h'), new Room('hall@rooms.h')];
  await archive.append(garden, reflected(garden, 'ancient'), new Date(NOW - 40 * DAY));
  await archive.append(hall, reflected(hall, 'old'), new Date(NOW - 3 * DAY));
  await archive.append(garden, reflected(garden, 'recent'), new Date(NOW - DAY / 2));
  return { archive, garden, hall };
}

const bodies = async (archive: RoomArchive, room: Room) => (await archive.history(room)).map((entry) => entry.stanza.getChildText('body'));

describe('room archive retention', () => {
  it('deletes items older than the retention period in every room and keeps the newer ones for join history', async () => {
    const { archive, garden, hall } = await archiveWithOldAndNew();
    expect(await archive.expire(2, NOW)).toBe(2);
    expect(await bodies(archive, garden)).toEqual(['recent']);
    expect(await bodies(archive, hall)).toEqual([]);
  });

  it('keeps everything when retention is 0', async () => {
    const { archive, garden, hall } = await archiveWithOldAndNew();
    expect(await archive.expire(0, NOW)).toBe(0);
    expect(await bodies(archive, garden)).toEqual(['ancient', 'recent']);
    expect(await bodies(archive, hall)).toEqual(['old']);
  });
});

describe('room archive query form', () => {
  it('offers the filters a room archive supports, from the account archive form', () => {
    const form = roomQueryForm().getChild('x', 'jabber:x:data')!;
    expect(form.attrs.type).toBe('form');
    expect(form.getChildren('field').map((f) => `${f.attrs.var} ${f.attrs.type}`)).toEqual([
      'FORM_TYPE hidden',
      'with jid-single',
      'start text-single',
      'end text-single',
      'before-id text-single',
      'after-id text-single',
      'ids list-multi',
    ]);
    expect(form.getChildren('field')[0]!.getChildText('value')).toBe('urn:xmpp:mam:2');
  });
});
