#!/usr/bin/python3
"""End-to-end test driver built on slixmpp, a client library we did not write.

Logs in, runs a JSON scenario read from stdin and prints one JSON line per
event on stdout, so the TypeScript tests can assert on what a real
third-party client received. Scenario steps (a JSON list):

  {"send": "<message .../>"}          raw XML, sent as is
  {"iq": "<iq type='get' .../>"}      raw XML; waits for the reply to its id
  {"wait": {"name": "message", "contains": "hi", "timeout": 5}}
                                      (contains: text, or a list, in the
                                      stanza as slixmpp prints it: attr="v")
  {"wait": {"event": "stream_error"}} waits for a recorded event instead
  {"presence": {"to": ..., "type": ..., "status": ..., "priority": ...}}
  {"sleep": 0.2}
  {"mark": "ready"}                   prints {"event": "mark", "name": "ready"}
  {"cut": true}                       drops the connection without closing
                                      the stream (with --stream-management)
  {"reconnect": true}                 connects again; slixmpp resumes the
                                      stream; wait for {"event": "resumed"}
  {"muc_join": {"room": ..., "nick": ..., "maxstanzas": 5, "timeout": 5}}
                                      (with --muc) joins with slixmpp's
                                      XEP-0045 plugin and waits for its join
                                      to complete; prints muc_joined

Events: session_start, stanza (every message/presence/iq received), reply,
stream_error, failed_auth, mark, timeout, closed, disconnected, and with
--stream-management sm_enabled, resumed, sm_failed, session_restarted, and
with --muc muc_joined (self, subject, occupants, history). Exit status:
0 when the scenario completed, 2 when login failed, 3 on a timeout, 4 when
the stream closed before the scenario completed.

References: RFC 6120 §4.9 (stream errors), §6 (SASL); XEP-0368 (direct TLS);
XEP-0198 (stream management, with --stream-management); XEP-0045 §7.2
(entering a room, with --muc).
"""
import argparse
import asyncio
import functools
import json
import ssl
import sys
import xml.etree.ElementTree as ET

from slixmpp import ClientXMPP


def emit(event, **fields):
    print(json.dumps({'event': event, **fields}), flush=True)


class StreamClosed(Exception):
    """A wait cannot be met: the stream is closed and nothing recorded matches."""


class Driver:
    def __init__(self, args, scenario):
        self.args = args
        self.scenario = scenario
        self.received = []  # (event, xml, stanza name) not yet taken by a wait
        self.arrived = asyncio.Event()
        self.done = asyncio.Event()
        self.started = self.closed = False
        self.status = None
        xmpp = self.xmpp = ClientXMPP(args.jid, args.password, sasl_mech=args.mechanism)
        # The test server's certificate is self-signed.
        xmpp.ssl_context.check_hostname = False
        xmpp.ssl_context.verify_mode = ssl.CERT_NONE
        # The scenario, not slixmpp, answers subscription requests.
        xmpp.auto_authorize = None
        xmpp.auto_subscribe = False
        # A filter sees every stanza yet leaves slixmpp's own handling (such
        # as error replies to unknown IQs) in place, which a handler would not.
        xmpp.add_filter('in', self.on_incoming)
        xmpp.add_event_handler('session_start', self.on_session_start)
        xmpp.add_event_handler('failed_auth', lambda failure: self.record('failed_auth', str(failure)))
        xmpp.add_event_handler('stream_error', self.on_stream_error)
        xmpp.add_event_handler('disconnected', self.on_disconnected)
        if args.stream_management:
            xmpp.register_plugin('xep_0198')
            xmpp.add_event_handler('sm_enabled', lambda e: self.record('sm_enabled', id=e['id']))
            xmpp.add_event_handler('session_resumed', lambda e: self.record('resumed'))
            xmpp.add_event_handler('sm_failed', lambda e: self.record('sm_failed', str(e)))
        if args.muc:
            xmpp.register_plugin('xep_0045')
            # COMPAT(slixmpp 1.8.3): join_muc_wait print()s each history
            # message's delay to stdout, which carries only JSON events here.
            muc_module = sys.modules[type(xmpp.plugin['xep_0045']).__module__]
            muc_module.print = functools.partial(print, file=sys.stderr)

    def record(self, event, xml=None, name=None, **fields):
        if xml is not None:
            fields['xml'] = xml
        emit(event, **fields)
        self.received.append((event, xml, name))
        self.arrived.set()

    def on_incoming(self, stanza):
        if stanza.namespace == 'jabber:client' and stanza.name in ('message', 'presence', 'iq'):
            self.record('stanza', str(stanza), stanza.name)
        return stanza

    def on_stream_error(self, error):
        self.record('stream_error', str(error), condition=error['condition'])

    def on_disconnected(self, reason):
        self.record('disconnected', reason=str(reason) if reason else None)
        self.closed = True
        if not self.started:
            self.status = 2
        # Otherwise the scenario is still running and finishes on its own.
        if self.status is not None:
            self.done.set()

    async def on_session_start(self, _):
        if self.started:
            # A failed resumption starts a new session; the scenario runs once.
            self.record('session_restarted', jid=str(self.xmpp.boundjid))
            return
        self.started = True
        mechanism = self.xmpp['feature_mechanisms'].mech.name
        self.record('session_start', jid=str(self.xmpp.boundjid), mechanism=mechanism)
        self.status = await self.run_scenario()
        if self.closed:
            self.done.set()
        else:
            self.xmpp.disconnect()

    async def run_scenario(self):
        for index, step in enumerate(self.scenario):
            try:
                await self.run_step(step)
            except asyncio.TimeoutError:
                emit('timeout', step=index)
                return 3
            except StreamClosed:
                emit('closed', step=index)
                return 4
        return 0

    async def run_step(self, step):
        if 'send' in step:
            self.xmpp.send_raw(step['send'])
        elif 'iq' in step:
            await self.send_iq(step['iq'], step.get('timeout', 5))
        elif 'wait' in step:
            await self.wait(step['wait'])
        elif 'presence' in step:
            p = step['presence']
            self.xmpp.send_presence(pto=p.get('to'), ptype=p.get('type'),
                                    pstatus=p.get('status'), ppriority=p.get('priority'))
        elif 'sleep' in step:
            await asyncio.sleep(step['sleep'])
        elif 'mark' in step:
            emit('mark', name=step['mark'])
        elif 'cut' in step:
            self.xmpp.abort()
            await self.xmpp.disconnected
        elif 'reconnect' in step:
            self.closed = False
            self.connect()
        elif 'muc_join' in step:
            await self.muc_join(step['muc_join'])
        else:
            raise ValueError(f'unknown step {step}')

    async def muc_join(self, spec):
        """Joins with the XEP-0045 plugin; its own idea of the join sequence is printed."""
        self_presence, subject, occupants, history = await self.xmpp.plugin['xep_0045'].join_muc_wait(
            spec['room'], spec['nick'], maxstanzas=spec.get('maxstanzas'), timeout=spec.get('timeout', 5))
        emit('muc_joined', self=str(self_presence), subject=str(subject),
             occupants=[str(p['from']) for p in occupants], history=[m['body'] for m in history])

    async def send_iq(self, raw, timeout):
        iq_id = ET.fromstring(raw).get('id')
        if iq_id is None:
            raise ValueError('an iq step needs an id to match its reply')
        self.xmpp.send_raw(raw)
        xml = await self.take(lambda event, xml, name: name == 'iq' and f'id="{iq_id}"' in xml, timeout)
        emit('reply', id=iq_id, xml=xml)

    async def wait(self, spec):
        contains = spec.get('contains', [])
        contains = [contains] if isinstance(contains, str) else contains

        def match(event, xml, name):
            if 'event' in spec:
                return event == spec['event']
            return event == 'stanza' and spec.get('name', name) == name \
                and all(text in xml for text in contains)
        await self.take(match, spec.get('timeout', 5))

    async def take(self, match, timeout):
        """Removes and returns the first recorded event matching, waiting for it."""
        async def first():
            while True:
                for entry in self.received:
                    if match(*entry):
                        self.received.remove(entry)
                        return entry[1]
                if self.closed:
                    raise StreamClosed()
                self.arrived.clear()
                await self.arrived.wait()
        return await asyncio.wait_for(first(), timeout)

    def connect(self):
        self.xmpp.connect((self.args.host, self.args.port), use_ssl=self.args.direct_tls,
                          disable_starttls=self.args.plaintext)

    async def run(self):
        self.connect()
        try:
            await asyncio.wait_for(self.done.wait(), self.args.timeout)
        except asyncio.TimeoutError:
            emit('timeout', step='login' if not self.started else 'end')
            return 3
        return self.status


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--jid', required=True)
    parser.add_argument('--password', required=True)
    parser.add_argument('--host', default='127.0.0.1')
    parser.add_argument('--port', type=int, required=True)
    parser.add_argument('--mechanism', help='force this one SASL mechanism')
    parser.add_argument('--direct-tls', action='store_true', help='XEP-0368: TLS from the first byte')
    parser.add_argument('--plaintext', action='store_true', help='never start TLS (if the server allows it)')
    parser.add_argument('--timeout', type=float, default=20, help='seconds for the whole run')
    parser.add_argument('--stream-management', action='store_true', help='XEP-0198 with resumption')
    parser.add_argument('--muc', action='store_true', help="load slixmpp's XEP-0045 plugin")
    return parser.parse_args()


async def main():
    args = parse_args()
    scenario = json.loads(sys.stdin.read() or '[]')
    return await Driver(args, scenario).run()


if __name__ == '__main__':
    sys.exit(asyncio.run(main()))
