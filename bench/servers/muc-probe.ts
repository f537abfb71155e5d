/**
 * Loaded into the Perch server under test with `node --import` (see
 * perch.ts, `probe`): counts the stanzas the MUC service routes, by element
 * name, by wrapping `MucService.prototype.send` of the built server (the one
 * path every room stanza leaves by), and answers each connection to the
 * Unix socket named in BENCH_PERCH_PROBE_SOCKET with the counts as JSON.
 * Benchmark-only instrumentation: nothing in src/ knows about it.
 *
 * It is transpiled to plain JavaScript in the server's temp dir before the
 * start, so the server runs without a TypeScript loader.
 *
 * References: none (Node's `--import` preload, node:net IPC sockets).
 */
import { createServer } from 'node:net';
import { pathToFileURL } from 'node:url';
import type { MucCounts } from './common.js';

type MucServiceModule = typeof import('../../src/modules/muc/service.js');
type MucService = InstanceType<MucServiceModule['MucService']>;

const socketPath = process.env.BENCH_PERCH_PROBE_SOCKET;
// The preload runs before dist/main.js, whose path is already argv[1].
const main = process.argv[1];
if (socketPath && main) {
  const url = new URL('modules/muc/service.js', pathToFileURL(main)).href;
  const { MucService } = (await import(url)) as MucServiceModule;
  const counts: MucCounts = { message: 0, presence: 0, iq: 0 };
  const send = MucService.prototype.send;
  MucService.prototype.send = function (this: MucService, ...stanzas) {
    for (const stanza of stanzas) {
      if (stanza.name in counts) counts[stanza.name as keyof MucCounts]++;
    }
    return send.apply(this, stanzas);
  };
  // unref: the probe must never keep a stopping server alive.
  createServer((socket) => socket.end(JSON.stringify(counts))).listen(socketPath).unref();
}
