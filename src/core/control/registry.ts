/**
 * Operator commands a running server answers on its local control socket
 * (`perch rooms leave` and the like): modules register typed handlers per
 * host, and the socket (socket.ts) turns one JSON request into one JSON
 * response. Command names, arguments and results are declared by the
 * modules through declaration merging of `ControlCommands`, so the CLI
 * (client.ts) and the handler agree on types.
 *
 * References: none (Perch's own operator interface; no XMPP protocol).
 */

/**
 * Commands by name, each `{ args; result }`; modules add theirs:
 *
 *   declare module '../../core/control/registry.js' {
 *     interface ControlCommands { 'rooms.list': { args: { user: string }; result: Summary[] } }
 *   }
 */
// eslint-disable-next-line @typescript-eslint/no-empty-interface
export interface ControlCommands {}

export type ControlCommand = keyof ControlCommands & string;
export type ControlArgs<C extends ControlCommand> = ControlCommands[C] extends { args: infer A } ? A : never;
export type ControlResult<C extends ControlCommand> = ControlCommands[C] extends { result: infer R } ? R : never;

/** One request: a command for one host's modules. Arguments come from JSON: handlers check them. */
export interface ControlRequest {
  command: string;
  host: string;
  args: unknown;
}

export type ControlResponse = { ok: true; result: unknown } | { ok: false; error: string };

/** A failure whose message is meant for the operator (one line). */
export class ControlError extends Error {}

type AnyHandler = (args: unknown) => Promise<unknown>;

export class ControlRegistry {
  private readonly handlers = new Map<string, AnyHandler>();

  /** Registers `command` for `host`; arguments reach the handler unchecked (they come from JSON). */
  register<C extends ControlCommand>(host: string, command: C, handler: (args: Partial<ControlArgs<C>>) => Promise<ControlResult<C>>): void {
    this.handlers.set(key(host, command), handler as AnyHandler);
  }

  /** Runs one request; every failure becomes an error response (unexpected ones are reported by `onUnexpected`). */
  async handle(request: unknown, onUnexpected: (err: unknown) => void): Promise<ControlResponse> {
    const { command, host, args } = (request ?? {}) as Partial<ControlRequest>;
    const handler = typeof command === 'string' && typeof host === 'string' ? this.handlers.get(key(host, command)) : undefined;
    if (!handler) return { ok: false, error: `unknown command ${String(command)} for host ${String(host)}` };
    try {
      return { ok: true, result: await handler(typeof args === 'object' && args !== null ? args : {}) };
    } catch (err) {
      if (err instanceof ControlError) return { ok: false, error: err.message };
      onUnexpected(err);
      return { ok: false, error: 'internal error (see the server log)' };
    }
  }
}

function key(host: string, command: string): string {
  return `${host}\0${command}`;
}
