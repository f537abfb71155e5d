/**
 * TCP listeners for clients: plaintext with STARTTLS (5222) and direct TLS
 * (5223, XEP-0368).
 */
import { createServer, type Server as NetServer, type Socket } from 'node:net';
import { createServer as createTlsServer, type TLSSocket } from 'node:tls';
import { Session } from '../../core/session/session.js';
import type { Server } from '../../core/server.js';
import { TcpConnection, type TlsOptions } from './tcp-connection.js';

export function createC2sServer(server: Server, tls: TlsOptions, sockets: Set<Socket>): NetServer {
  return createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    new Session(server, new TcpConnection(socket, tls));
  });
}

export function createDirectTlsServer(server: Server, tls: TlsOptions, sockets: Set<Socket>): NetServer {
  const tlsServer = createTlsServer({ ...tls.certificate, ALPNProtocols: ['xmpp-client'] }, (socket: TLSSocket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    new Session(server, new TcpConnection(socket, tls));
  });
  tlsServer.on('tlsClientError', (err) => server.log.debug({ err: err.message }, 'TLS handshake failed'));
  return tlsServer;
}
