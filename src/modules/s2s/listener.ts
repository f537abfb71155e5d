/**
 * TCP listeners for other servers: plaintext with STARTTLS (5269) and
 * direct TLS (5270, XEP-0368). Either way the peer is asked for its
 * certificate, which SASL EXTERNAL and dialback decisions rest on.
 *
 * References: RFC 6120 §14.7 (port 5269), §5.4.3.3 (mutual certificates);
 * XEP-0368 §3 (direct TLS for servers, ALPN "xmpp-server").
 */
import { createServer, type Server as NetServer, type Socket } from 'node:net';
import { createServer as createTlsServer } from 'node:tls';
import type { Server } from '../../core/server.js';
import { s2sService } from './service.js';

function track(sockets: Set<Socket>, socket: Socket): void {
  sockets.add(socket);
  socket.on('close', () => sockets.delete(socket));
}

export function createS2sServer(server: Server, sockets: Set<Socket>): NetServer {
  const service = s2sService(server);
  return createServer((socket) => {
    track(sockets, socket);
    service.accept(socket);
  });
}

export function createS2sDirectTlsServer(server: Server, sockets: Set<Socket>): NetServer {
  const service = s2sService(server);
  if (!service.tls) throw new Error('PERCH_ERR_S2S_NOT_LOADED: the s2s module must be loaded to listen for servers');
  const tlsServer = createTlsServer(service.tls.serverOptions, (socket) => {
    track(sockets, socket);
    service.accept(socket);
  });
  tlsServer.on('tlsClientError', (err) => server.log.debug({ err: err.message }, 's2s TLS handshake failed'));
  return tlsServer;
}
