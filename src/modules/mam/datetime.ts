/**
 * XEP-0082 DateTime values of the archive's `start`, `end` and `stamp`:
 * parsed strictly (a malformed filter is the client's error, not an empty
 * result) to milliseconds since the epoch, and formatted in UTC.
 *
 * References: XEP-0082 §3.2 (DateTime: CCYY-MM-DDThh:mm:ss[.sss]TZD);
 * XEP-0313 §4.1.2 (the start and end fields).
 */

const DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

/** Milliseconds since the epoch, or undefined when `text` is not a valid DateTime. */
export function parseDateTime(text: string): number | undefined {
  const match = DATE_TIME.exec(text.trim());
  if (!match) return undefined;
  const [year, month, day, hour, minute, second] = match.slice(1, 7).map(Number) as [number, number, number, number, number, number];
  if (month < 1 || month > 12 || day < 1 || day > daysIn(year, month)) return undefined;
  if (hour > 23 || minute > 59 || second > 59) return undefined;
  const millis = match[7] ? Math.floor(Number(match[7]) * 1000) : 0;
  const zone = match[8]!;
  let offsetMinutes = 0;
  if (zone !== 'Z') {
    const sign = zone.startsWith('-') ? -1 : 1;
    const zoneHours = Number(zone.slice(1, 3));
    const zoneMinutes = Number(zone.slice(4, 6));
    if (zoneHours > 23 || zoneMinutes > 59) return undefined;
    offsetMinutes = sign * (zoneHours * 60 + zoneMinutes);
  }
  return Date.UTC(year, month - 1, day, hour, minute, second, millis) - offsetMinutes * 60_000;
}

/** UTC DateTime with milliseconds, e.g. `2024-05-01T12:00:00.123Z`. */
export function formatDateTime(ms: number): string {
  return new Date(ms).toISOString();
}

function daysIn(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}
