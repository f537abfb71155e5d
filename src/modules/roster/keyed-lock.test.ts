/** Tests for the per-key task queue that keeps roster read-modify-write cycles apart. */
import { describe, expect, it } from 'vitest';
import { KeyedLock } from './keyed-lock.js';

const tick = () => new Promise((r) => setTimeout(r, 1));

describe('KeyedLock', () => {
  it('runs tasks for one key one after another, in order', async () => {
    const lock = new KeyedLock();
    const log: string[] = [];
    const task = (name: string) => async () => {
      log.push(`${name} start`);
      await tick();
      log.push(`${name} end`);
      return name;
    };
    const results = await Promise.all([lock.run('romeo', task('a')), lock.run('romeo', task('b'))]);
    expect(results).toEqual(['a', 'b']);
    expect(log).toEqual(['a start', 'a end', 'b start', 'b end']);
  });

  it('lets different keys run side by side', async () => {
    const lock = new KeyedLock();
    const log: string[] = [];
    const task = (name: string) => async () => {
      log.push(`${name} start`);
      await tick();
      log.push(`${name} end`);
    };
    await Promise.all([lock.run('romeo', task('r')), lock.run('juliet', task('j'))]);
    expect(log.slice(0, 2)).toEqual(['r start', 'j start']);
  });

  it('keeps going after a task fails', async () => {
    const lock = new KeyedLock();
    const failing = lock.run('romeo', async () => {
      throw new Error('boom');
    });
    const next = lock.run('romeo', async () => 'ok');
    await expect(failing).rejects.toThrow('boom');
    await expect(next).resolves.toBe('ok');
  });
});
