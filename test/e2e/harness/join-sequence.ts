/**
 * A room join whose answer is kept in arrival order: everything from the
 * room up to and including the subject, which ends a join (XEP-0045
 * §7.2.16). What the room sends after the subject (a presence change, live
 * messages) stays in the client's `received` for later waits.
 *
 * References: XEP-0045 §7.2 (the order of a join's answer).
 */
import { xml, type TestClient, type XmlElement } from './client.js';
import { MUC, fromRoom, isSubject } from './muc.js';

export async function joinInOrder(client: TestClient, room: string, nick: string, history?: Record<string, string>): Promise<XmlElement[]> {
  const seen: XmlElement[] = [];
  let ended!: () => void;
  const subject = new Promise<void>((resolve) => (ended = resolve));
  let listening = true;
  // The client type offers no way to remove a listener: this one goes quiet instead.
  client.xmpp.on('stanza', (el: XmlElement) => {
    if (!listening || !fromRoom(room)(el)) return;
    seen.push(el);
    if (isSubject(room)(el)) {
      listening = false;
      ended();
    }
  });
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${client.jid}: no subject from ${room}; got ${seen.join('\n')}`)), 5000);
  });
  try {
    await client.send(xml('presence', { to: `${room}/${nick}` }, xml('x', { xmlns: MUC }, history && xml('history', history))));
    await Promise.race([subject, timeout]);
  } finally {
    listening = false;
    clearTimeout(timer);
  }
  // The client recorded them too; the join's answer is taken out, as a wait would.
  client.received.splice(0, client.received.length, ...client.received.filter((el) => !seen.includes(el)));
  return seen;
}
