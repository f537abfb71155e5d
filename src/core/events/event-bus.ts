/**
 * A typed event bus: handlers run highest priority first; a handler that
 * returns `true` (or a promise of it) stops the event. Handlers may be async.
 */
import type { EventMap, EventName } from './event-map.js';

export type Handler<K extends EventName> = (payload: EventMap[K]) => unknown;

interface Registered {
  handler: (payload: any) => unknown;
  priority: number;
}

export class EventBus {
  private readonly handlers = new Map<string, Registered[]>();

  on<K extends EventName>(name: K, handler: Handler<K>, priority = 0): () => void {
    const list = this.handlers.get(name) ?? [];
    const entry = { handler, priority };
    list.push(entry);
    // Stable: among equal priorities, registration order.
    list.sort((a, b) => b.priority - a.priority);
    this.handlers.set(name, list);
    return () => {
      const current = this.handlers.get(name);
      if (current) this.handlers.set(name, current.filter((e) => e !== entry));
    };
  }

  has(name: EventName): boolean {
    const list = this.handlers.get(name);
    return list !== undefined && list.length > 0;
  }

  /** Runs the handlers in order; resolves true when one handled the event. */
  async fire<K extends EventName>(name: K, payload: EventMap[K]): Promise<boolean> {
    const list = this.handlers.get(name);
    if (!list) return false;
    for (const { handler } of list) {
      let result = handler(payload);
      if (result instanceof Promise) result = await result;
      if (result === true) return true;
    }
    return false;
  }
}
