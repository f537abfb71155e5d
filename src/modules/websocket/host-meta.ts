/**
 * XEP-0156 discovery of the WebSocket endpoint: `/.well-known/host-meta`
 * (XRD) and `/.well-known/host-meta.json` (JRD).
 *
 * References: XEP-0156 §3; RFC 6415; RFC 7395 §4.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { serialize, x } from '../../core/xml/element.js';
import { NS } from '../../core/xml/ns.js';

const WS_REL = 'urn:xmpp:alt-connections:websocket';
export const WS_PATH = '/xmpp-websocket';

export function websocketUrl(req: IncomingMessage, secure: boolean): string {
  const host = req.headers.host ?? 'localhost';
  return `${secure ? 'wss' : 'ws'}://${host}${WS_PATH}`;
}

/** Answers host-meta requests; false when the path is not one of ours. */
export function serveHostMeta(req: IncomingMessage, res: ServerResponse, secure: boolean): boolean {
  const path = (req.url ?? '').split('?')[0];
  const href = websocketUrl(req, secure);
  if (path === '/.well-known/host-meta') {
    const xrd = x('XRD', { xmlns: NS.xrd }, x('Link', { rel: WS_REL, href }));
    send(res, 'application/xrd+xml', "<?xml version='1.0' encoding='utf-8'?>" + serialize(xrd));
    return true;
  }
  if (path === '/.well-known/host-meta.json') {
    send(res, 'application/json', JSON.stringify({ links: [{ rel: WS_REL, href }] }));
    return true;
  }
  return false;
}

function send(res: ServerResponse, type: string, body: string): void {
  // Web clients on other origins must be able to read it (XEP-0156 §3.2).
  res.writeHead(200, { 'Content-Type': type, 'Access-Control-Allow-Origin': '*' });
  res.end(body);
}
