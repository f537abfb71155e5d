/**
 * Software Version (XEP-0092): the server's name (from `server.name` in the
 * config) and its version. The operating system is left out: it helps
 * attackers more than users (XEP-0092 §4 lets a server omit it).
 *
 * References: XEP-0092 §2 (protocol), §4 (security considerations).
 */
import { defineModule } from '../../core/module/define-module.js';
import { x } from '../../core/xml/element.js';
import { NS } from '../../core/xml/ns.js';
import { answerIq } from '../../core/router/reply.js';
import { packageVersion } from '../../core/package-version.js';

export default defineModule({
  name: 'version',
  features: [NS.version],
  setup: () => ({ version: packageVersion() }),
  hooks: {
    'iq-get/host/jabber:iq:version:query': (event, mod) =>
      answerIq(event, x('query', { xmlns: NS.version }, x('name', {}, mod.config.server.name), x('version', {}, mod.api.version))),
  },
});
