import { describe, expect, it } from 'vitest';
import { accessDenial, mayRead, OWNER, STRANGER, type Requester } from './access.js';

const contact = (subscription: Requester['subscription'], groups: string[] = []): Requester => ({ isOwner: false, subscription, groups });

describe('access models (XEP-0060 §4.5)', () => {
  it('lets the owner read any node', () => {
    for (const access_model of ['open', 'presence', 'roster', 'whitelist'] as const) {
      expect(mayRead({ access_model, roster_groups_allowed: [] }, OWNER)).toBe(true);
    }
  });

  it('open: anyone', () => {
    expect(mayRead({ access_model: 'open', roster_groups_allowed: [] }, STRANGER)).toBe(true);
  });

  it('presence: contacts subscribed to the owner, others get presence-subscription-required', () => {
    const config = { access_model: 'presence', roster_groups_allowed: [] } as const;
    expect(mayRead(config, contact('from'))).toBe(true);
    expect(mayRead(config, contact('both'))).toBe(true);
    expect(accessDenial(config, contact('to'))?.code).toBe('presence-subscription-required');
    expect(accessDenial(config, STRANGER)?.condition).toBe('not-authorized');
  });

  it('roster: subscribed contacts in an allowed group', () => {
    const config = { access_model: 'roster', roster_groups_allowed: ['Friends'] } as const;
    expect(mayRead(config, contact('both', ['Friends']))).toBe(true);
    expect(accessDenial(config, contact('both', ['Servants']))?.code).toBe('not-in-roster-group');
  });

  it('whitelist: the owner only, others get closed-node', () => {
    const denial = accessDenial({ access_model: 'whitelist', roster_groups_allowed: [] }, contact('both'));
    expect(denial?.code).toBe('closed-node');
    expect(denial?.condition).toBe('not-allowed');
  });
});
