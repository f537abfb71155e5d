/**
 * Logging: one pino logger for the whole server, writing structured JSON to
 * stderr so stdout stays free for CLI output.
 */

import { pino } from 'pino';

export type Logger = pino.Logger;

/**
 * Create the root logger. `destination` defaults to stderr, written
 * synchronously so the last lines before an exit are not lost.
 */
export function createLogger(level: string, destination?: NodeJS.WritableStream): Logger {
  const stream = destination ?? pino.destination({ dest: 2, sync: true });
  return pino({ name: 'perch', level }, stream as pino.DestinationStream);
}
