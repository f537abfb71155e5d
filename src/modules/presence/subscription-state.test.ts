/**
 * The subscription state machine against the tables of RFC 6121 Appendix A,
 * one row per existing state, plus pre-approval (§3.4) and auto-replies
 * (§3.1.3).
 *
 * References: RFC 6121 Appendix A.2 (outbound), A.3 (inbound), §3.4.
 */
import { describe, expect, it } from 'vitest';
import {
  NO_SUBSCRIPTION,
  inbound,
  itemWithState,
  outbound,
  stateOf,
  type SubscriptionState,
  type SubscriptionType,
} from './subscription-state.js';

/** The RFC's state names. */
const STATES: Record<string, SubscriptionState> = {
  None: { ...NO_SUBSCRIPTION },
  'None + Pending Out': { ...NO_SUBSCRIPTION, pendingOut: true },
  'None + Pending In': { ...NO_SUBSCRIPTION, pendingIn: true },
  'None + Pending Out+In': { ...NO_SUBSCRIPTION, pendingOut: true, pendingIn: true },
  To: { ...NO_SUBSCRIPTION, to: true },
  'To + Pending In': { ...NO_SUBSCRIPTION, to: true, pendingIn: true },
  From: { ...NO_SUBSCRIPTION, from: true },
  'From + Pending Out': { ...NO_SUBSCRIPTION, from: true, pendingOut: true },
  Both: { ...NO_SUBSCRIPTION, to: true, from: true },
};

function nameOf(state: SubscriptionState): string {
  const { approved: _ignored, ...rest } = state;
  const found = Object.entries(STATES).find(([, s]) => JSON.stringify(s) === JSON.stringify({ ...rest, approved: false }));
  return found ? found[0] : JSON.stringify(state);
}

/** [existing state, passes?, new state ('=' for no state change)] */
type Row = [string, boolean, string];

function checkTable(direction: typeof outbound, type: SubscriptionType, rows: Row[]): void {
  it.each(rows)(`${type}: %s -> pass %s, %s`, (existing, pass, next) => {
    const result = direction(type, STATES[existing]);
    expect(result.pass).toBe(pass);
    expect(nameOf(result.next)).toBe(next === '=' ? existing : next);
  });
}

describe('outbound (RFC 6121 A.2)', () => {
  checkTable(outbound, 'subscribe', [
    ['None', true, 'None + Pending Out'],
    ['None + Pending Out', true, '='],
    ['None + Pending In', true, 'None + Pending Out+In'],
    ['None + Pending Out+In', true, '='],
    ['To', true, '='],
    ['To + Pending In', true, '='],
    ['From', true, 'From + Pending Out'],
    ['From + Pending Out', true, '='],
    ['Both', true, '='],
  ]);
  checkTable(outbound, 'unsubscribe', [
    ['None', true, '='],
    ['None + Pending Out', true, 'None'],
    ['None + Pending In', true, '='],
    ['None + Pending Out+In', true, 'None + Pending In'],
    ['To', true, 'None'],
    ['To + Pending In', true, 'None + Pending In'],
    ['From', true, '='],
    ['From + Pending Out', true, 'From'],
    ['Both', true, 'From'],
  ]);
  checkTable(outbound, 'subscribed', [
    ['None', false, '='],
    ['None + Pending Out', false, '='],
    ['None + Pending In', true, 'From'],
    ['None + Pending Out+In', true, 'From + Pending Out'],
    ['To', false, '='],
    ['To + Pending In', true, 'Both'],
    ['From', false, '='],
    ['From + Pending Out', false, '='],
    ['Both', false, '='],
  ]);
  checkTable(outbound, 'unsubscribed', [
    ['None', false, '='],
    ['None + Pending Out', false, '='],
    ['None + Pending In', true, 'None'],
    ['None + Pending Out+In', true, 'None + Pending Out'],
    ['To', false, '='],
    ['To + Pending In', true, 'To'],
    ['From', true, 'None'],
    ['From + Pending Out', true, 'None + Pending Out'],
    ['Both', true, 'To'],
  ]);
});

describe('inbound (RFC 6121 A.3)', () => {
  checkTable(inbound, 'subscribe', [
    ['None', true, 'None + Pending In'],
    ['None + Pending Out', true, 'None + Pending Out+In'],
    ['None + Pending In', false, '='],
    ['None + Pending Out+In', false, '='],
    ['To', true, 'To + Pending In'],
    ['To + Pending In', false, '='],
    ['From', false, '='],
    ['From + Pending Out', false, '='],
    ['Both', false, '='],
  ]);
  checkTable(inbound, 'unsubscribe', [
    ['None', false, '='],
    ['None + Pending Out', false, '='],
    ['None + Pending In', true, 'None'],
    ['None + Pending Out+In', true, 'None + Pending Out'],
    ['To', false, '='],
    ['To + Pending In', true, 'To'],
    ['From', true, 'None'],
    ['From + Pending Out', true, 'None + Pending Out'],
    ['Both', true, 'To'],
  ]);
  checkTable(inbound, 'subscribed', [
    ['None', false, '='],
    ['None + Pending Out', true, 'To'],
    ['None + Pending In', false, '='],
    ['None + Pending Out+In', true, 'To + Pending In'],
    ['To', false, '='],
    ['To + Pending In', false, '='],
    ['From', false, '='],
    ['From + Pending Out', true, 'Both'],
    ['Both', false, '='],
  ]);
  checkTable(inbound, 'unsubscribed', [
    ['None', false, '='],
    ['None + Pending Out', true, 'None'],
    ['None + Pending In', false, '='],
    ['None + Pending Out+In', true, 'None + Pending In'],
    ['To', true, 'None'],
    ['To + Pending In', true, 'None + Pending In'],
    ['From', false, '='],
    ['From + Pending Out', true, 'From'],
    ['Both', true, 'From'],
  ]);

  it('auto-replies subscribed to a request from an existing subscriber', () => {
    for (const name of ['From', 'From + Pending Out', 'Both']) expect(inbound('subscribe', STATES[name]).autoReply).toBe('subscribed');
    expect(inbound('subscribe', STATES.None).autoReply).toBeUndefined();
  });
});

describe('pre-approval (RFC 6121 §3.4)', () => {
  it('an unsolicited subscribed pre-approves without routing', () => {
    const result = outbound('subscribed', STATES.None);
    expect(result).toMatchObject({ pass: false, next: { approved: true, from: false } });
  });
  it('a later request is approved by the server and consumes the pre-approval', () => {
    const result = inbound('subscribe', { ...STATES.To, approved: true });
    expect(result).toMatchObject({ pass: false, autoReply: 'subscribed', next: { to: true, from: true, approved: false } });
  });
  it('unsubscribed cancels a pre-approval without routing', () => {
    expect(outbound('unsubscribed', { ...STATES.None, approved: true })).toMatchObject({ pass: false, next: { approved: false } });
  });
});

describe('roster items for states', () => {
  it('maps items to states and back', () => {
    const state = stateOf({ subscription: 'from', ask: 'subscribe', groups: ['G'] }, false);
    expect(nameOf(state)).toBe('From + Pending Out');
    expect(itemWithState({ subscription: 'from', ask: 'subscribe', groups: ['G'], name: 'N' }, STATES.Both)).toEqual({
      subscription: 'both',
      groups: ['G'],
      name: 'N',
    });
  });
  it('creates no item for a state worth nothing, or for a bare Pending In', () => {
    expect(itemWithState(undefined, STATES.None)).toBeUndefined();
    expect(itemWithState(undefined, STATES['None + Pending In'])).toBeUndefined();
    expect(itemWithState(undefined, STATES['None + Pending Out'])).toEqual({ subscription: 'none', ask: 'subscribe', groups: [] });
    expect(itemWithState(undefined, { ...STATES.None, approved: true })).toEqual({ subscription: 'none', approved: true, groups: [] });
  });
  it('keeps an existing item when it falls back to none', () => {
    expect(itemWithState({ subscription: 'to', groups: [] }, STATES.None)).toEqual({ subscription: 'none', groups: [] });
  });
});
