import { expect, it } from 'vitest';
import { globMatcher } from './glob.js';

it('matches resources against * and ? patterns, literally otherwise', () => {
  const excluded = globMatcher(['bot-*', 'test?', 'a.b']);
  expect(excluded('bot-1')).toBe(true);
  expect(excluded('bot-')).toBe(true);
  expect(excluded('robot-1')).toBe(false);
  expect(excluded('test1')).toBe(true);
  expect(excluded('test12')).toBe(false);
  expect(excluded('a.b')).toBe(true);
  expect(excluded('axb')).toBe(false);
  expect(globMatcher([])('anything')).toBe(false);
});
