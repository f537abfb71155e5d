import { describe, expect, it } from 'vitest';
import { bareMessageTargets } from './index.js';
import type { Session } from '../../core/session/session.js';

function session(name: string, priority: number, available = true): Session {
  return { id: name, priority, presence: available ? ({} as never) : undefined } as unknown as Session;
}

describe('bare JID message routing (RFC 6121 §8.5.2.1)', () => {
  const phone = session('phone', 0);
  const laptop = session('laptop', 5);
  const tablet = session('tablet', 5);
  const hidden = session('hidden', -1);
  const unavailable = session('unavailable', 10, false);

  it('delivers chat and normal to the available sessions of highest non-negative priority', () => {
    const all = [phone, laptop, tablet, hidden, unavailable];
    expect(bareMessageTargets(all, 'chat').map((s) => s.id)).toEqual(['laptop', 'tablet']);
    expect(bareMessageTargets(all, 'normal').map((s) => s.id)).toEqual(['laptop', 'tablet']);
  });

  it('delivers headline to every available non-negative session', () => {
    expect(bareMessageTargets([phone, laptop, hidden], 'headline').map((s) => s.id)).toEqual(['phone', 'laptop']);
  });

  it('has no target when only negative-priority or unavailable sessions exist (offline storage applies)', () => {
    expect(bareMessageTargets([hidden, unavailable], 'chat')).toEqual([]);
  });
});
