/**
 * The CLI's side of the control socket (socket.ts): sends one command to
 * the server running on a data directory and returns its result, or
 * `undefined` when no server is running there (no socket, or nobody
 * answering on it), so the command can work on storage directly instead.
 *
 * References: none (Perch's own operator interface); see registry.ts.
 */
import { createConnection } from 'node:net';
import { ControlError, type ControlArgs, type ControlCommand, type ControlResponse, type ControlResult } from './registry.js';
import { controlSocketPath } from './socket.js';

/** Long enough for a command that waits on a remote room (a leave waits up to 10 s for the room). */
const ANSWER_TIMEOUT_MS = 20_000;

/** Errors that mean "no server listens here". */
const NOT_RUNNING = new Set(['ENOENT', 'ECONNREFUSED']);

export async function callControl<C extends ControlCommand>(
  dataDir: string,
  host: string,
  command: C,
  args: ControlArgs<C>,
): Promise<ControlResult<C> | undefined> {
  const line = await exchange(controlSocketPath(dataDir), JSON.stringify({ command, host, args }));
  if (line === undefined) return undefined;
  let response: ControlResponse;
  try {
    response = JSON.parse(line) as ControlResponse;
  } catch {
    throw new ControlError('the server sent an answer that is not JSON');
  }
  if (!response.ok) throw new ControlError(response.error);
  return response.result as ControlResult<C>;
}

function exchange(path: string, request: string): Promise<string | undefined> {
  return new Promise((resolve, reject) => {
    const socket = createConnection(path);
    let answer = '';
    let connected = false;
    socket.setEncoding('utf8');
    socket.setTimeout(ANSWER_TIMEOUT_MS, () => socket.destroy(new ControlError('the server did not answer in time')));
    socket.on('connect', () => {
      connected = true;
      socket.write(`${request}\n`);
    });
    socket.on('data', (chunk: string) => (answer += chunk));
    socket.on('end', () => resolve(answer.trim()));
    socket.on('error', (err: NodeJS.ErrnoException) => {
      if (!connected && err.code !== undefined && NOT_RUNNING.has(err.code)) resolve(undefined);
      else reject(err instanceof ControlError ? err : new ControlError(`control socket ${path}: ${err.message}`));
    });
  });
}
