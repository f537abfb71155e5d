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
import type { TestClient, XmlElement } from './harness/client.js';
import { statusCodes } from './harness/muc.js';
import { SERVICE, bookmarkOf, createRoom, forget, joinRoom, loginAs, presenceFrom, stopAll, watchedRoom } from './harness/account-rooms.js';

let server: TestServer;
let configFile: string;

beforeAll(async () => {
  server = await startTestServer({ account_rooms: { presence_grace: 0.3 } });
  configFile = join(server.dataDir, 'perch.yaml');
  await writeFile(configFile, `domain: localhost\ndata_dir: ${server.dataDir}\nlog:\n  level: silent\n`);
});
afterAll(() => server.stop());

const login = (username: string, resource: string) => loginAs(server)(username, resource);
const rooms = (...args: string[]) => runCli(['rooms', ...args, '--config', configFile]);
const lines = (out: string) => out.trim().split('\n').filter((line) => line !== '').sort();
const selfUnavailable = (room: string) => (el: XmlElement) =>
  presenceFrom(`${room}/Romeo`)(el) && el.attrs.type === 'unavailable' && statusCodes(el).includes('110');

/** The autojoin of the account's bookmark of `room` ('false' when unset or there is none). */
const autojoinOf = async (client: TestClient, room: string) => (await bookmarkOf(client, room))?.attrs.autojoin ?? 'false';

it('opens a control socket only its owner may use', async () => {
  const socket = await stat(join(server.dataDir, 'perch.sock'));
  expect(socket.isSocket()).toBe(true);
  expect(socket.mode & 0o777).toBe(0o600);
});

it('lists memberships and leaves a room through the running server', async () => {
  const { romeo, room: garden, nurse } = await watchedRoom(server, 'cli-garden');
  const orchard = `cli-orchard@${SERVICE}`;
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
  await stopAll(phone, laptop, nurse);
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
  const { romeo, room, nurse } = await watchedRoom(server, 'cli-stopped', { persistentroom: '1' });
  const phone = await login(romeo, 'phone');
  await joinRoom(phone, room, 'Romeo');
  await stopAll(phone, nurse);
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
