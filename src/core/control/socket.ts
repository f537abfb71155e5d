/**
 * The control socket of a running server: a Unix-domain socket
 * `<data_dir>/perch.sock`, readable and writable by the server's user only
 * (mode 0600), so only the operator who runs Perch (and root) can use it.
 * Each connection carries one request, one JSON line, answered with one
 * JSON line before the server closes it. A socket file left by a server
 * that crashed is replaced; one another running server still answers on is
 * left alone (this server then has no control socket, and says so).
 *
 * References: none (Perch's own operator interface); see registry.ts.
 */
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { chmod, mkdir, unlink } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { Logger } from '../log.js';
import type { ControlRegistry } from './registry.js';

const SOCKET_NAME = 'perch.sock';
/** A request is a few hundred bytes; anything this long is not one. */
const MAX_REQUEST_BYTES = 64 * 1024;
/** A client that sends nothing for this long is dropped. */
const IDLE_TIMEOUT_MS = 30_000;

export function controlSocketPath(dataDir: string): string {
  return join(dataDir, SOCKET_NAME);
}

export interface ControlSocket {
  close(): Promise<void>;
}

/** Opens the socket; on failure logs why and returns a socket that closes nothing (the server runs on). */
export async function openControlSocket(path: string, registry: ControlRegistry, log: Logger): Promise<ControlSocket> {
  const connections = new Set<Socket>();
  const server = createServer((socket) => {
    connections.add(socket);
    socket.on('close', () => connections.delete(socket));
    serve(socket, registry, log);
  });
  try {
    await mkdir(dirname(path), { recursive: true, mode: 0o700 });
    await removeStale(path);
    await listenPrivately(server, path);
  } catch (err) {
    log.warn({ err, path }, 'no control socket: `perch` commands cannot reach this server');
    return { close: async () => {} };
  }
  return {
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of connections) socket.destroy();
        // Closing a Unix-domain listener removes its socket file.
        server.close(() => resolve());
      }),
  };
}

/** Listens with a umask that leaves the socket to its owner, then sets the mode explicitly too. */
async function listenPrivately(server: Server, path: string): Promise<void> {
  let previous: number | undefined;
  try {
    previous = process.umask(0o177);
  } catch {
    // Worker threads cannot change the umask; the chmod below still applies.
  }
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(path, () => resolve());
    });
  } finally {
    if (previous !== undefined) process.umask(previous);
  }
  await chmod(path, 0o600);
}

/** A socket file nobody answers on is left over from a crash: removed. One that answers belongs to a running server. */
async function removeStale(path: string): Promise<void> {
  const answered = await new Promise<boolean>((resolve) => {
    const probe = createConnection(path);
    probe.once('connect', () => {
      probe.destroy();
      resolve(true);
    });
    probe.once('error', () => resolve(false));
  });
  if (answered) throw new Error(`another server is using ${path}`);
  await unlink(path).catch((err: NodeJS.ErrnoException) => {
    if (err.code !== 'ENOENT') throw err;
  });
}

/** Reads one JSON line, answers it with one JSON line, and closes. */
function serve(socket: Socket, registry: ControlRegistry, log: Logger): void {
  let input = '';
  socket.setEncoding('utf8');
  socket.setTimeout(IDLE_TIMEOUT_MS, () => socket.destroy());
  socket.on('error', () => socket.destroy());
  socket.on('data', (chunk: string) => {
    input += chunk;
    const end = input.indexOf('\n');
    if (end < 0 && input.length <= MAX_REQUEST_BYTES) return;
    socket.removeAllListeners('data');
    void answer(input.slice(0, end < 0 ? MAX_REQUEST_BYTES : end), registry, log).then((response) => {
      // The client may have given up waiting meanwhile.
      if (!socket.destroyed) socket.end(`${response}\n`);
    });
  });
}

async function answer(line: string, registry: ControlRegistry, log: Logger): Promise<string> {
  let request: unknown;
  try {
    request = JSON.parse(line);
  } catch {
    return JSON.stringify({ ok: false, error: 'the request is not one line of JSON' });
  }
  const response = await registry.handle(request, (err) => log.error({ err }, 'control command failed'));
  return JSON.stringify(response);
}
