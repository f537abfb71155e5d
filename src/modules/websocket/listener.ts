/**
 * The HTTP listener: WebSocket client connections at `/xmpp-websocket`
 * (subprotocol `xmpp`) and XEP-0156 host-meta; everything else is 404.
 */
import { createServer, type Server as HttpServer } from 'node:http';
import { WebSocketServer } from 'ws';
import { Session } from '../../core/session/session.js';
import type { Server } from '../../core/server.js';
import { serveHostMeta, WS_PATH } from './host-meta.js';
import { WsConnection } from './ws-connection.js';

export function createHttpServer(server: Server): { http: HttpServer; wss: WebSocketServer } {
  const http = createServer((req, res) => {
    if (serveHostMeta(req, res, false)) return;
    res.writeHead(404, { 'Content-Type': 'text/plain' });
    res.end('not found\n');
  });
  const wss = new WebSocketServer({
    noServer: true,
    // Above the stanza limit so the parser, not ws, rejects big stanzas with a stream error.
    maxPayload: server.config.limits.max_stanza_size * 2 + 4096,
    // RFC 7395 §3.1: the subprotocol is "xmpp".
    handleProtocols: (protocols) => (protocols.has('xmpp') ? 'xmpp' : false),
  });
  http.on('upgrade', (req, socket, head) => {
    if ((req.url ?? '').split('?')[0] !== WS_PATH) {
      socket.end('HTTP/1.1 404 Not Found\r\n\r\n');
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      new Session(server, new WsConnection(ws, req.socket.remoteAddress ?? '', false));
    });
  });
  return { http, wss };
}
