/**
 * `perch rooms list` and `perch rooms leave`, run as separate processes
 * (dist/main.js) against a server's data directory: while the server runs
 * they go through its control socket, so a leave reaches the room (the
 * watcher sees the account go) and every joined session (self-unavailable);
 * with the server stopped they work on storage (the membership removed,
 * the bookmark no longer auto-joining). Errors are one line and exit 1.
 *
 * References: account-rooms spec, "Leaving", "Durability"; XEP-0045 §7.14;
 * XEP-0402 §3 (autojoin).
 */
import { stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { runCli } from './harness/run-cli.js';
import { startTestServer, type TestServer } from './harness/start-server.js';
import { connect, xml, type TestClient, type XmlElement } from './harness/client.js';
import { PUBSUB } from './harness/pubsub.js';
import { statusCodes } from './harness/muc.js';
import { SERVICE, createRoom, forget, joinRoom, presenceFrom } from './harness/account-rooms.js';

let server: TestServer;
let configFile: string;

beforeAll(async () => {
  server = await startTestServer({ account_rooms: { presence_grace: 0.3 } });
  configFile = join(server.dataDir, 'perch.yaml');
  await writeFile(configFile, `domain: localhost\ndata_dir: ${server.dataDir}\nlog:\n  level: silent\n`);
});
afterAll(() => server.stop());

const login = (username: string, resource: string) => connect(server, { username, password: `${username}-secret`, resource });
const rooms = (...args: string[]) => runCli(['rooms', ...args, '--config', configFile]);
const lines = (out: string) => out.trim().split('\n').filter((line) => line !== '').sort();
const selfUnavailable = (room: string) => (el: XmlElement) =>
  presenceFrom(`${room}/Romeo`)(el) && el.attrs.type === 'unavailable' && statusCodes(el).includes('110');

async function autojoinOf(client: TestClient, room: string): Promise<string | undefined> {
  const result = await client.iq(xml('iq', { type: 'get' }, xml('pubsub', { xmlns: PUBSUB }, xml('items', { node: 'urn:xmpp:bookmarks:1' }))));
  const item = result.getChild('pubsub', PUBSUB)!.getChild('items')!.getChildren('item').find((i) => i.attrs.id === room);
  return item?.getChild('conference', 'urn:xmpp:bookmarks:1')?.attrs.autojoin ?? 'false';
}

it('opens a control socket only its owner may use', async () => {
  const socket = await stat(join(server.dataDir, 'perch.sock'));
  expect(socket.isSocket()).toBe(true);
  expect(socket.mode & 0o777).toBe(0o600);
});

it('lists memberships and leaves a room through the running server', async () => {
  const [romeo, watcher] = await server.createFreshUsers('romeo', 'nurse');
  const [garden, orchard] = [`cli-garden@${SERVICE}`, `cli-orchard@${SERVICE}`];
  const nurse = await login(watcher, 'desk');
  await createRoom(nurse, garden, 'Nurse');
  await createRoom(nurse, orchard, 'Nurse');
  const phone = await login(romeo, 'phone');
  const laptop = await login(romeo, 'laptop');
  await joinRoom(phone, garden, 'Romeo');
  await joinRoom(laptop, garden, 'Romeo');
  await joinRoom(phone, orchard, 'Romeo');

  const listed = await rooms('list', `${romeo}@localhost`);
  expect(listed.code).toBe(0);
  expect(lines(listed.stdout)).toEqual([`${garden}\tRomeo\tjoined`, `${orchard}\tRomeo\tjoined`]);

  forget(nurse);
  const left = await rooms('leave', `${romeo}@localhost`, garden);
  expect(left.code).toBe(0);
  expect(left.stdout.trim()).toBe(`${romeo}@localhost left ${garden}`);
  await Promise.all([phone.waitFor(selfUnavailable(garden)), laptop.waitFor(selfUnavailable(garden))]);
  await nurse.waitFor((el) => presenceFrom(`${garden}/Romeo`)(el) && el.attrs.type === 'unavailable');
  await nurse.expectNothing((el) => el.attrs.from?.startsWith(orchard) === true, 0);
  expect(await autojoinOf(phone, garden)).toBe('false');
  expect(lines((await rooms('list', `${romeo}@localhost`)).stdout)).toEqual([`${orchard}\tRomeo\tjoined`]);
  await Promise.all([phone.stop(), laptop.stop(), nurse.stop()]);
});

it('says what is wrong in one line and exits 1', async () => {
  const [romeo] = await server.createFreshUsers('romeo');
  const cases: [string[], string][] = [
    [['list', 'nobody@localhost'], 'no such user nobody@localhost'],
    [['leave', `${romeo}@localhost`, `nowhere@${SERVICE}`], `${romeo}@localhost is not in nowhere@${SERVICE}`],
    [['list', 'romeo'], 'romeo is not a bare JID (expected user@domain)'],
    [['leave', `${romeo}@localhost`, `garden@${SERVICE}/Romeo`], `garden@${SERVICE}/Romeo is not a room JID (expected room@service)`],
  ];
  const results = await Promise.all(cases.map(([args]) => rooms(...args)));
  expect(results.map((r) => [r.code, r.stderr, r.stdout])).toEqual(cases.map(([, message]) => [1, `perch: ${message}\n`, '']));
});

it('works on storage while the server is stopped', async () => {
  const [romeo, watcher] = await server.createFreshUsers('romeo', 'nurse');
  const room = `cli-stopped@${SERVICE}`;
  const nurse = await login(watcher, 'desk');
  await createRoom(nurse, room, 'Nurse', { persistentroom: '1' });
  const phone = await login(romeo, 'phone');
  await joinRoom(phone, room, 'Romeo');
  await Promise.all([phone.stop(), nurse.stop()]);
  await server.running.stop('the operator works offline');

  expect((await rooms('list', `${romeo}@localhost`)).stdout).toBe(`${room}\tRomeo\tstored\n`);
  const left = await rooms('leave', `${romeo}@localhost`, room);
  expect(left.code).toBe(0);
  expect(left.stdout).toMatch(new RegExp(`^${romeo}@localhost left ${room} \\(server not running: .*\\)\\n$`));
  expect((await rooms('list', `${romeo}@localhost`)).stdout).toBe('');
  const [again, nobody] = await Promise.all([rooms('leave', `${romeo}@localhost`, room), rooms('list', 'nobody@localhost')]);
  expect([again.code, again.stderr]).toEqual([1, `perch: ${romeo}@localhost is not in ${room}\n`]);
  expect([nobody.code, nobody.stderr]).toEqual([1, 'perch: no such user nobody@localhost\n']);

  await server.restart();
  const laptop = await login(romeo, 'laptop');
  expect(await autojoinOf(laptop, room)).toBe('false');
  expect((await rooms('list', `${romeo}@localhost`)).stdout).toBe('');
  await laptop.stop();
});
