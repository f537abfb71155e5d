/**
 * Entity capabilities (XEP-0115), both ways: each session's advertised caps
 * (the `<c/>` in its presence) are kept in `session.state.caps` for modules
 * that need to know what a client supports (PEP notifications, say); and the
 * server advertises its own caps in the stream features after
 * authentication, answering disco#info at `node#ver`. The exported
 * `features` tells what a client's caps stand for, asking the client once
 * per verification string (`feature-cache.ts`).
 *
 * References: XEP-0115 §4 (client caps in presence), §5 (verification
 * string), §5.4 (processing caps), §6.3 (stream feature), §6.2 (disco#info
 * at node#ver).
 */
import { defineModule } from '../../core/module/define-module.js';
import { x } from '../../core/xml/element.js';
import { NS } from '../../core/xml/ns.js';
import { verificationString } from './verification.js';
import { CapsFeatureCache } from './feature-cache.js';

/** The node that names this software in caps (XEP-0115 §4: a URI for the product). */
export const CAPS_NODE = 'https://perch.im';

export interface SessionCaps {
  node: string;
  ver: string;
  hash: string;
}

export interface CapsApi {
  /** The server's own verification string. */
  serverVer(): string;
  /** The disco#info features behind `caps`, asking `jid` when not yet known; undefined when unknowable. */
  features(jid: string, caps: SessionCaps): Promise<ReadonlySet<string> | undefined>;
  /** The features behind `caps` if already known, without asking. */
  knownFeatures(caps: SessionCaps): ReadonlySet<string> | undefined;
}

/** How long a client gets to answer the caps disco#info query. */
const CAPS_QUERY_TIMEOUT_MS = 10_000;

declare module '../../core/module/define-module.js' {
  interface ModuleExports {
    caps: CapsApi;
  }
}

declare module '../../core/session/session.js' {
  interface SessionState {
    /** The caps of the session's latest available presence (XEP-0115 §4). */
    caps?: SessionCaps;
  }
}

export default defineModule({
  name: 'caps',
  depends: ['disco', 'iq'],
  features: [NS.caps],
  setup(ctx): CapsApi {
    const disco = ctx.dep('disco');
    const iq = ctx.dep('iq');
    let ver: string | undefined;
    // Lazily, once every module has added its features.
    const serverVer = () => (ver ??= verificationString(disco.hostInfo()));
    disco.addInfoNode((node) => node === `${CAPS_NODE}#${serverVer()}`);
    const cache = new CapsFeatureCache((query) => iq.request(query, CAPS_QUERY_TIMEOUT_MS));
    return {
      serverVer,
      features: (jid, caps) => cache.features(jid, caps),
      knownFeatures: (caps) => cache.peek(caps),
    };
  },
  hooks: {
    'stream-features': ({ session, features }, mod) => {
      if (!session.authenticated) return;
      features.append(x('c', { xmlns: NS.caps, hash: 'sha-1', node: CAPS_NODE, ver: mod.api.serverVer() }));
    },
    // Runs before the presence module and never stops the event.
    'pre-presence/self': {
      priority: 10,
      handler: ({ stanza, origin }) => {
        if (!origin) return;
        const type = stanza.attrs.type;
        if (type === 'unavailable') delete origin.state.caps;
        if (type !== undefined) return;
        const c = stanza.getChild('c', NS.caps);
        const { node, ver, hash } = c?.attrs ?? {};
        if (node && ver && hash) origin.state.caps = { node, ver, hash };
        else delete origin.state.caps;
      },
    },
  },
});
