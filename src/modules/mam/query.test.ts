import { describe, expect, it } from 'vitest';
import { createMemoryDriver } from '../../storage/memory/index.js';
import { parseJid } from '../../core/jid/jid.js';
import type { ArchiveStore } from '../../core/storage/stores.js';
import { finElement, findPage, MAX_PAGE_SIZE, metadataElement, resultMessage } from './query.js';
import type { MamQuery } from './query-form.js';
import { expireArchive } from './retention.js';

/** m0..m9, alternately from romeo's orchard and balcony resources, and to nurse. */
async function seeded(): Promise<ArchiveStore> {
  const store = createMemoryDriver().archive('capulet.lit', 'archive');
  for (let i = 0; i < 10; i++) {
    const from = i % 3 === 2 ? 'juliet@capulet.lit/balcony' : `romeo@montague.lit/${i % 2 ? 'orchard' : 'garden'}`;
    const to = i % 3 === 2 ? 'nurse@capulet.lit' : 'juliet@capulet.lit';
    const withJid = i % 3 === 2 ? 'nurse@capulet.lit' : 'romeo@montague.lit';
    await store.append('juliet', { id: `m${i}`, when: 1000 + i, with: withJid, payload: `<message xmlns='jabber:client' from='${from}' to='${to}'><body>${i}</body></message>` });
  }
  return store;
}

const q = (extra: Partial<MamQuery> = {}): MamQuery => ({ rsm: {}, flip: false, ...extra });
const ids = (page: { items: { id: string }[] }) => page.items.map((i) => i.id);

describe('findPage', () => {
  it('pages forwards by RSM after, and backwards by RSM before, to completion', async () => {
    const store = await seeded();
    const first = await findPage(store, 'juliet', q({ rsm: { max: 4 } }));
    expect(ids(first)).toEqual(['m0', 'm1', 'm2', 'm3']);
    expect(first).toMatchObject({ complete: false, total: 10, firstIndex: 0 });
    const last = await findPage(store, 'juliet', q({ rsm: { max: 4, before: '' } }));
    expect(ids(last)).toEqual(['m6', 'm7', 'm8', 'm9']);
    expect(last.firstIndex).toBe(6);
    const earlier = await findPage(store, 'juliet', q({ rsm: { max: 4, before: 'm2' } }));
    expect(ids(earlier)).toEqual(['m0', 'm1']);
    expect(earlier).toMatchObject({ complete: true, firstIndex: undefined });
  });

  it('takes the tighter of a form id and an RSM id on the same side', async () => {
    const store = await seeded();
    expect(ids(await findPage(store, 'juliet', q({ afterId: 'm2', rsm: { after: 'm5', max: 2 } })))).toEqual(['m6', 'm7']);
    expect(ids(await findPage(store, 'juliet', q({ afterId: 'm5', rsm: { after: 'm2', max: 2 } })))).toEqual(['m6', 'm7']);
    expect(ids(await findPage(store, 'juliet', q({ beforeId: 'm4', rsm: { before: 'm8', max: 2 } })))).toEqual(['m2', 'm3']);
    // before-id alone does not page backwards (XEP-0313 §9).
    expect(ids(await findPage(store, 'juliet', q({ beforeId: 'm8', rsm: { max: 2 } })))).toEqual(['m0', 'm1']);
  });

  it('refuses unknown ids anywhere with item-not-found', async () => {
    const store = await seeded();
    const unknown = [
      q({ afterId: 'nope' }),
      q({ beforeId: 'nope' }),
      q({ ids: ['m1', 'nope'] }),
      q({ rsm: { after: 'nope' } }),
      q({ rsm: { before: 'nope' } }),
      q({ afterId: 'm1', rsm: { after: 'nope' } }),
    ];
    for (const query of unknown) {
      await expect(findPage(store, 'juliet', query)).rejects.toMatchObject({ condition: 'item-not-found' });
    }
  });

  it('matches a bare with on every resource, a full one on that resource only', async () => {
    const store = await seeded();
    expect(ids(await findPage(store, 'juliet', q({ with: parseJid('romeo@montague.lit') })))).toEqual(['m0', 'm1', 'm3', 'm4', 'm6', 'm7', 'm9']);
    const orchard = await findPage(store, 'juliet', q({ with: parseJid('romeo@montague.lit/orchard'), rsm: { max: 2, before: '' } }));
    expect(ids(orchard)).toEqual(['m7', 'm9']);
    expect(orchard).toMatchObject({ complete: false, total: 4 });
  });

  it('leaves room messages out for include-groupchat false, positioned on and asked for by their ids', async () => {
    const store = await seeded();
    const room = 'capulets@muc.capulet.lit';
    for (const n of [1, 2]) {
      const payload = `<message xmlns='jabber:client' type='groupchat' from='${room}/romeo' to='juliet@capulet.lit'><body>g${n}</body></message>`;
      await store.append('juliet', { id: `g${n}`, when: 2000 + n, with: room, payload, type: 'groupchat' });
    }
    await store.append('juliet', { id: 'm10', when: 3000, with: 'romeo@montague.lit', payload: '<message/>', type: 'chat' });
    expect(ids(await findPage(store, 'juliet', q({ rsm: { max: 3, before: '' } })))).toEqual(['g1', 'g2', 'm10']);
    expect(ids(await findPage(store, 'juliet', q({ includeGroupchat: true, rsm: { max: 3, before: '' } })))).toEqual(['g1', 'g2', 'm10']);
    const last = await findPage(store, 'juliet', q({ includeGroupchat: false, rsm: { max: 3, before: '' } }));
    expect(last).toMatchObject({ complete: false, total: 11, firstIndex: 8 });
    expect(ids(last)).toEqual(['m8', 'm9', 'm10']);
    expect(ids(await findPage(store, 'juliet', q({ includeGroupchat: false, rsm: { after: 'g1' } })))).toEqual(['m10']);
    // Known ids stay known: an excluded one is no error, just not sent.
    expect(await findPage(store, 'juliet', q({ includeGroupchat: false, ids: ['g2'] }))).toMatchObject({ items: [], total: 0 });
    const fullJid = q({ includeGroupchat: false, with: parseJid(`${room}/romeo`) });
    expect(await findPage(store, 'juliet', fullJid)).toMatchObject({ items: [], total: 0, complete: true });
    expect(ids(await findPage(store, 'juliet', { ...fullJid, includeGroupchat: undefined }))).toEqual(['g1', 'g2']);
  });

  it('bounds the page size', async () => {
    const store = createMemoryDriver().archive('h', 'archive');
    for (let i = 0; i < MAX_PAGE_SIZE + 5; i++) await store.append('u', { when: i, with: 'x@h', payload: '<message/>' });
    const page = await findPage(store, 'u', q({ rsm: { max: 10_000 } }));
    expect(page.items).toHaveLength(MAX_PAGE_SIZE);
    expect((await findPage(store, 'u', q())).items).toHaveLength(50);
  });
});

describe('result stanzas', () => {
  it('forwards each item with its delay, and sums the page up chronologically', async () => {
    const store = await seeded();
    const page = await findPage(store, 'juliet', q({ ids: ['m3', 'm1'] }));
    const message = resultMessage(page.items[0]!, 'juliet@capulet.lit', 'juliet@capulet.lit/balcony', 'q7')!;
    expect(message.attrs).toMatchObject({ from: 'juliet@capulet.lit', to: 'juliet@capulet.lit/balcony' });
    expect(message.attrs.id).toMatch(/^[\w-]{8,}$/);
    expect(message.children.map(String)).toEqual([
      "<result xmlns='urn:xmpp:mam:2' queryid='q7' id='m1'><forwarded xmlns='urn:xmpp:forward:0'>" +
        "<delay xmlns='urn:xmpp:delay' stamp='1970-01-01T00:00:01.001Z'/>" +
        "<message xmlns='jabber:client' from='romeo@montague.lit/orchard' to='juliet@capulet.lit'><body>1</body></message>" +
        '</forwarded></result>',
    ]);
    expect(finElement(page).toString()).toBe(
      "<fin xmlns='urn:xmpp:mam:2' complete='true'><set xmlns='http://jabber.org/protocol/rsm'><first index='0'>m1</first><last>m3</last><count>2</count></set></fin>",
    );
    expect(finElement({ items: [], complete: true, total: 0 }).toString()).toBe(
      "<fin xmlns='urn:xmpp:mam:2' complete='true'><set xmlns='http://jabber.org/protocol/rsm'><count>0</count></set></fin>",
    );
  });

  it('gives the archive bounds as metadata, empty for an empty archive', async () => {
    const store = await seeded();
    expect((await metadataElement(store, 'juliet')).toString()).toBe(
      "<metadata xmlns='urn:xmpp:mam:2'><start id='m0' timestamp='1970-01-01T00:00:01.000Z'/><end id='m9' timestamp='1970-01-01T00:00:01.009Z'/></metadata>",
    );
    expect((await metadataElement(store, 'nobody')).toString()).toBe("<metadata xmlns='urn:xmpp:mam:2'/>");
  });
});

describe('retention', () => {
  it('deletes items older than the retention period', async () => {
    const store = createMemoryDriver().archive('h', 'archive');
    const day = 86_400_000;
    const now = 100 * day;
    for (const age of [40, 31, 29, 1]) await store.append('u', { id: `${age}d`, when: now - age * day, with: 'x@h', payload: '' });
    expect(await expireArchive(store, 30, now)).toBe(2);
    expect(ids(await store.query('u'))).toEqual(['29d', '1d']);
  });
});
