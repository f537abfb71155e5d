import { describe, expect, it } from 'vitest';
import { RecentMessages } from './recent-messages.js';

describe('RecentMessages (matching errors to the messages they answer)', () => {
  it('matches an error the account receives to a message it sent, and the other way round', () => {
    const log = new RecentMessages();
    log.remember('romeo', 'sent', 'juliet@capulet.example', 'm1');
    log.remember('romeo', 'received', 'nurse@capulet.example', 'm2');
    expect(log.answersEligible('romeo', 'received', 'juliet@capulet.example', 'm1')).toBe(true);
    expect(log.answersEligible('romeo', 'sent', 'nurse@capulet.example', 'm2')).toBe(true);
  });

  it('does not match across direction, peer, account or id', () => {
    const log = new RecentMessages();
    log.remember('romeo', 'sent', 'juliet@capulet.example', 'm1');
    expect(log.answersEligible('romeo', 'sent', 'juliet@capulet.example', 'm1')).toBe(false);
    expect(log.answersEligible('romeo', 'received', 'tybalt@capulet.example', 'm1')).toBe(false);
    expect(log.answersEligible('benvolio', 'received', 'juliet@capulet.example', 'm1')).toBe(false);
    expect(log.answersEligible('romeo', 'received', 'juliet@capulet.example', 'm2')).toBe(false);
  });

  it('keeps the ids apart from the other fields', () => {
    const log = new RecentMessages();
    log.remember('romeo', 'sent', 'a@b', 'c');
    expect(log.answersEligible('romeo', 'received', 'a', 'b\0c')).toBe(false);
  });

  it('forgets the oldest entries past its capacity, and a repeat counts as new', () => {
    const log = new RecentMessages(2);
    log.remember('romeo', 'sent', 'juliet@c', 'm1');
    log.remember('romeo', 'sent', 'juliet@c', 'm2');
    log.remember('romeo', 'sent', 'juliet@c', 'm1');
    log.remember('romeo', 'sent', 'juliet@c', 'm3');
    expect(log.size).toBe(2);
    expect(log.answersEligible('romeo', 'received', 'juliet@c', 'm2')).toBe(false);
    expect(log.answersEligible('romeo', 'received', 'juliet@c', 'm1')).toBe(true);
    expect(log.answersEligible('romeo', 'received', 'juliet@c', 'm3')).toBe(true);
  });
});
