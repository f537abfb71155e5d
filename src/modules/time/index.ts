/**
 * Entity Time (XEP-0202): the server's UTC time and its offset from UTC, in
 * the XEP-0082 profiles.
 *
 * References: XEP-0202 §3 (protocol), §4 (business rules); XEP-0082 §3
 * (date-time and time zone profiles).
 */
import { defineModule } from '../../core/module/define-module.js';
import { x } from '../../core/xml/element.js';
import { NS } from '../../core/xml/ns.js';
import { answerIq } from '../../core/router/reply.js';

/** `+HH:MM` / `-HH:MM` for an offset east of UTC in minutes (XEP-0082 TZD). */
export function formatTzo(offsetMinutes: number): string {
  const sign = offsetMinutes < 0 ? '-' : '+';
  const abs = Math.abs(offsetMinutes);
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${sign}${pad(Math.floor(abs / 60))}:${pad(abs % 60)}`;
}

/** XEP-0082 DateTime in UTC, without the optional fraction. */
export function formatUtc(date: Date): string {
  return date.toISOString().replace(/\.\d+Z$/, 'Z');
}

export function timeElement(now: Date): ReturnType<typeof x> {
  // getTimezoneOffset is minutes *behind* UTC, hence the sign flip.
  return x('time', { xmlns: NS.time }, x('tzo', {}, formatTzo(-now.getTimezoneOffset())), x('utc', {}, formatUtc(now)));
}

export default defineModule({
  name: 'time',
  features: [NS.time],
  hooks: {
    'iq-get/host/urn:xmpp:time:time': (event) => answerIq(event, timeElement(new Date())),
  },
});
