/**
 * Opens the configured listeners (c2s with STARTTLS, direct TLS, HTTP with
 * WebSocket, s2s with STARTTLS and direct TLS) and closes them on shutdown.
 * A port in use rejects with the address and port named.
 */
import { X509Certificate, createHash } from 'node:crypto';
import type { Server as NetServer, Socket, AddressInfo } from 'node:net';
import type { Server } from '../core/server.js';
import { createC2sServer, createDirectTlsServer } from './c2s/listener.js';
import { createHttpServer } from './websocket/listener.js';
import { createS2sDirectTlsServer, createS2sServer } from './s2s/listener.js';
import type { TlsOptions } from './c2s/tcp-connection.js';

export interface Listeners {
  ports: { c2s?: number; c2s_tls?: number; http?: number; s2s?: number; s2s_tls?: number };
  /** Stops accepting new connections. */
  stopAccepting(): Promise<void>;
  /** Waits (bounded) for open connections to go, then destroys the rest. */
  closed(timeoutMs: number): Promise<void>;
}

export class ListenError extends Error {
  constructor(
    readonly address: string,
    readonly port: number,
    readonly code: string,
  ) {
    super(code === 'EADDRINUSE' ? `${address}:${port} is already in use` : `cannot listen on ${address}:${port} (${code})`);
  }
}

export async function startListeners(server: Server): Promise<Listeners> {
  const { listen } = server.config;
  const sockets = new Set<Socket>();
  const tls = tlsOptions(server);
  const opened: NetServer[] = [];
  const ports: Listeners['ports'] = {};
  const open = async (name: keyof Listeners['ports'], port: number | false, make: () => NetServer) => {
    if (port === false) return;
    const srv = make();
    opened.push(srv);
    ports[name] = await listenOn(srv, listen.address, port);
  };
  const http = createHttpServer(server);
  try {
    await open('c2s', listen.c2s, () => createC2sServer(server, tls, sockets));
    await open('c2s_tls', listen.c2s_tls, () => createDirectTlsServer(server, tls, sockets));
    if (server.config.s2s.enabled) {
      await open('s2s', listen.s2s, () => createS2sServer(server, sockets));
      await open('s2s_tls', listen.s2s_tls, () => createS2sDirectTlsServer(server, sockets));
    }
    await open('http', listen.http, () => {
      http.http.on('connection', (socket) => {
        sockets.add(socket);
        socket.on('close', () => sockets.delete(socket));
      });
      return http.http;
    });
  } catch (err) {
    for (const srv of opened) srv.close();
    throw err;
  }
  // close() stops accepting at once; its callback waits for every connection, so don't await it.
  const stopAccepting = async () => {
    for (const srv of opened) srv.close();
  };
  const closed = async (timeoutMs: number) => {
    const deadline = Date.now() + timeoutMs;
    while (sockets.size > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    for (const socket of sockets) socket.destroy();
    http.wss.close();
  };
  return { ports, stopAccepting, closed };
}

function listenOn(srv: NetServer, address: string, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException) => reject(new ListenError(address, port, err.code ?? 'error'));
    srv.once('error', onError);
    srv.listen(port, address, () => {
      srv.off('error', onError);
      resolve((srv.address() as AddressInfo).port);
    });
  });
}

function tlsOptions(server: Server): TlsOptions {
  // tls-server-end-point (RFC 5929 §4.1): SHA-256 of the certificate for
  // SHA-1/MD5/SHA-256-signed certificates alike.
  const der = new X509Certificate(server.certificate.cert).raw;
  return {
    context: server.tlsContext,
    certificate: server.certificate,
    endPointHash: createHash('sha256').update(der).digest(),
  };
}
