/**
 * A measuring relay on a server-to-server link: the initiating server is
 * pinned (`s2s.routes`) to the tap's port, and the tap connects on to the
 * receiving server's s2s listener. The stream negotiation passes through as
 * it is; when the receiving server answers `<proceed/>`, the tap ends TLS on
 * both sides itself (toward the initiator as the receiving server, with a
 * self-signed certificate for the receiving domain; toward the receiver as
 * the initiator, with no certificate), so it reads the XML in the clear.
 * Both servers must therefore run with `s2s.secure: false`: dialback, not a
 * certificate, authenticates the initiator.
 *
 * In the initiator → receiver direction it counts the bytes on the wire (TCP
 * payload: TLS records, handshakes included), the bytes of XML inside TLS,
 * and stanzas by their start tags with the bench's text counter (the
 * direction carries no stanza nested in another, e.g. no forwarded
 * messages, in the scenarios that use it). Benchmark-only: nothing in the
 * servers knows about it.
 *
 * References: RFC 6120 §5.4.2.3 (`<proceed/>`, then TLS on the same TCP
 * connection), §4.3.3 (stream restart after TLS), §5.4.3.3 (mutual
 * certificates are not required); XEP-0220 §2 (dialback where certificates
 * do not authenticate).
 */
import net from 'node:net';
import tls from 'node:tls';
import { StringDecoder } from 'node:string_decoder';
import { generate } from 'selfsigned';
import { TextCounter } from './text-counter.js';
import { LOOPBACK } from '../servers/common.js';

const STANZA_TAGS = ['<message', '<presence', '<iq'] as const;
/** The receiving server's answer to `<starttls/>`: TLS starts after it. */
const PROCEED = /<proceed[\s/>]/;
const DAY_MS = 24 * 60 * 60 * 1000;

/** Running totals, initiator → receiver, over every connection so far. */
export interface TapCounts {
  connections: number;
  wireBytes: number;
  xmlBytes: number;
  message: number;
  presence: number;
  iq: number;
}

/** What one relayed connection has read from the initiator. */
interface Leg {
  raw: net.Socket;
  xmlBytes: number;
  stanzas: TextCounter;
  decoder: StringDecoder;
}

export class S2sTap {
  private readonly legs = new Set<Leg>();
  private readonly sockets = new Set<net.Socket>();

  private constructor(
    private readonly server: net.Server,
    readonly port: number,
    private readonly receiverPort: number,
    private readonly receiverDomain: string,
    private readonly pems: { cert: string; key: string },
  ) {
    server.on('connection', (initiator) => this.relay(initiator));
  }

  /** Listens on a free loopback port, relaying to `receiverPort` (the server of `receiverDomain`). */
  static async start(receiverPort: number, receiverDomain: string): Promise<S2sTap> {
    const validity = { notBeforeDate: new Date(Date.now() - DAY_MS), notAfterDate: new Date(Date.now() + DAY_MS) };
    const pems = await generate([{ name: 'commonName', value: receiverDomain }], {
      keyType: 'ec',
      algorithm: 'sha256',
      ...validity,
      extensions: [{ name: 'subjectAltName', altNames: [{ type: 2 as const, value: receiverDomain }] }],
    });
    const server = net.createServer();
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, LOOPBACK, () => resolve());
    });
    const { port } = server.address() as net.AddressInfo;
    return new S2sTap(server, port, receiverPort, receiverDomain, { cert: pems.cert, key: pems.private });
  }

  counts(): TapCounts {
    const totals: TapCounts = { connections: this.legs.size, wireBytes: 0, xmlBytes: 0, message: 0, presence: 0, iq: 0 };
    for (const leg of this.legs) {
      // bytesRead of the TCP socket keeps counting after TLS took it over.
      totals.wireBytes += leg.raw.bytesRead;
      totals.xmlBytes += leg.xmlBytes;
      totals.message += leg.stanzas.count('<message');
      totals.presence += leg.stanzas.count('<presence');
      totals.iq += leg.stanzas.count('<iq');
    }
    return totals;
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private track(socket: net.Socket, drop: () => void): void {
    this.sockets.add(socket);
    socket.on('error', drop);
    socket.on('close', () => {
      this.sockets.delete(socket);
      drop();
    });
  }

  /** Plaintext both ways until `<proceed/>`, then TLS ends here on both sides. */
  private relay(initiator: net.Socket): void {
    const receiver = net.connect({ host: LOOPBACK, port: this.receiverPort });
    const leg: Leg = { raw: initiator, xmlBytes: 0, stanzas: new TextCounter(STANZA_TAGS), decoder: new StringDecoder('utf8') };
    this.legs.add(leg);
    const drop = () => {
      initiator.destroy();
      receiver.destroy();
    };
    this.track(initiator, drop);
    this.track(receiver, drop);
    let answers = '';
    const up = (chunk: Buffer) => {
      this.count(leg, chunk);
      receiver.write(chunk);
    };
    const down = (chunk: Buffer) => {
      answers += chunk.toString('utf8');
      if (!PROCEED.test(answers)) return void initiator.write(chunk);
      // Detach before the initiator can see <proceed/>: its TLS hello must reach our TLS, not the receiver.
      initiator.off('data', up);
      receiver.off('data', down);
      initiator.write(chunk);
      this.secure(leg, initiator, receiver, drop);
    };
    initiator.on('data', up);
    receiver.on('data', down);
  }

  /** Runs in the same turn as the `<proceed/>` write, so no byte of the initiator's TLS hello is read as plaintext. */
  private secure(leg: Leg, initiator: net.Socket, receiver: net.Socket, drop: () => void): void {
    const toReceiver = tls.connect({ socket: receiver, rejectUnauthorized: false, servername: this.receiverDomain, ALPNProtocols: ['xmpp-server'] });
    this.track(toReceiver, drop);
    // A throwaway tls.Server takes the accepted socket over, as the servers themselves do.
    const acceptor = tls.createServer({ cert: this.pems.cert, key: this.pems.key, ALPNProtocols: ['xmpp-server'] });
    acceptor.once('tlsClientError', drop);
    acceptor.once('secureConnection', (fromInitiator: tls.TLSSocket) => {
      this.track(fromInitiator, drop);
      // Writes before the receiver-side handshake has finished wait in its TLS socket.
      fromInitiator.on('data', (chunk: Buffer) => {
        this.count(leg, chunk);
        toReceiver.write(chunk);
      });
      toReceiver.on('data', (chunk: Buffer) => fromInitiator.write(chunk));
    });
    acceptor.emit('connection', initiator);
  }

  private count(leg: Leg, chunk: Buffer): void {
    leg.xmlBytes += chunk.length;
    leg.stanzas.feed(leg.decoder.write(chunk));
  }
}
