/** Helpers for tests that need two accounts to be contacts. */
import { xml, type TestClient, type XmlElement } from './client.js';

/** A presence from `from` of `type` (undefined: available). */
export const isPresence = (from: string, type?: string) => (el: XmlElement) =>
  el.name === 'presence' && el.attrs.from === from && el.attrs.type === type;

/** Mutual subscription, so each sees the other's presence. */
export async function befriend(a: TestClient, b: TestClient): Promise<void> {
  for (const [asker, approver] of [
    [a, b],
    [b, a],
  ]) {
    await asker.send(xml('presence', { to: approver.bareJid, type: 'subscribe' }));
    await approver.waitFor(isPresence(asker.bareJid, 'subscribe'));
    await approver.send(xml('presence', { to: asker.bareJid, type: 'subscribed' }));
    await asker.waitFor(isPresence(approver.bareJid, 'subscribed'));
  }
  await a.waitFor(isPresence(b.jid));
  await b.waitFor(isPresence(a.jid));
}
