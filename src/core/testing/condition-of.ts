/** For unit tests: the StanzaError condition a call throws ('other' for another error, undefined when it does not throw). */
import { StanzaError } from '../errors/stanza-error.js';

export function conditionOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    return err instanceof StanzaError ? err.condition : 'other';
  }
  return undefined;
}
