/**
 * The control socket end to end in one process: a registered command
 * answers through the client, operator errors come back as their message,
 * unexpected ones as a generic line (and are reported), a data directory
 * with no server (or only a stale socket file) means `undefined`, and the
 * socket is the owner's alone.
 *
 * References: none (Perch's own operator interface); registry.ts, socket.ts.
 */
import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Logger } from '../log.js';
import { ControlError, ControlRegistry } from './registry.js';
import { controlSocketPath, openControlSocket, type ControlSocket } from './socket.js';
import { callControl } from './client.js';

declare module './registry.js' {
  interface ControlCommands {
    'test.echo': { args: { text: string }; result: { echoed: string } };
  }
}

let dir: string;
let socket: ControlSocket | undefined;
const errors: unknown[] = [];
const log = { warn: () => {}, error: (fields: { err: unknown }) => void errors.push(fields.err) } as unknown as Logger;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'perch-control-'));
  errors.length = 0;
});
afterEach(async () => {
  await socket?.close();
  socket = undefined;
  await rm(dir, { recursive: true, force: true });
});

function echoRegistry(): ControlRegistry {
  const registry = new ControlRegistry();
  registry.register('example.org', 'test.echo', async ({ text }) => {
    if (text === 'refuse') throw new ControlError('refused, as asked');
    if (text === 'crash') throw new Error('a bug');
    return { echoed: String(text) };
  });
  return registry;
}

describe('control socket', () => {
  it('answers a registered command for its host', async () => {
    socket = await openControlSocket(controlSocketPath(dir), echoRegistry(), log);
    expect(await callControl(dir, 'example.org', 'test.echo', { text: 'hi' })).toEqual({ echoed: 'hi' });
    await expect(callControl(dir, 'other.org', 'test.echo', { text: 'hi' })).rejects.toThrow('unknown command test.echo for host other.org');
  });

  it('passes operator errors on as they are and hides unexpected ones', async () => {
    socket = await openControlSocket(controlSocketPath(dir), echoRegistry(), log);
    await expect(callControl(dir, 'example.org', 'test.echo', { text: 'refuse' })).rejects.toThrow(new ControlError('refused, as asked'));
    await expect(callControl(dir, 'example.org', 'test.echo', { text: 'crash' })).rejects.toThrow('internal error (see the server log)');
    expect(errors).toHaveLength(1);
  });

  it('is readable and writable by its owner only', async () => {
    socket = await openControlSocket(controlSocketPath(dir), echoRegistry(), log);
    expect((await stat(controlSocketPath(dir))).mode & 0o777).toBe(0o600);
  });

  it('says no server runs when there is no socket, and replaces a stale one', async () => {
    expect(await callControl(dir, 'example.org', 'test.echo', { text: 'hi' })).toBeUndefined();
    await writeFile(controlSocketPath(dir), '');
    expect(await callControl(dir, 'example.org', 'test.echo', { text: 'hi' })).toBeUndefined();
    socket = await openControlSocket(controlSocketPath(dir), echoRegistry(), log);
    expect(await callControl(dir, 'example.org', 'test.echo', { text: 'back' })).toEqual({ echoed: 'back' });
  });

  it('leaves a socket another server answers on alone', async () => {
    socket = await openControlSocket(controlSocketPath(dir), echoRegistry(), log);
    const second = await openControlSocket(controlSocketPath(dir), new ControlRegistry(), log);
    await second.close();
    expect(await callControl(dir, 'example.org', 'test.echo', { text: 'still' })).toEqual({ echoed: 'still' });
  });
});
