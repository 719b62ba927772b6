// The watcher's queue: many objects at once, up to the limit, each object's
// events in the order they came.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { KeyedQueue } from '../../../src/watch/keyed-queue.ts';

describe('KeyedQueue', () => {
  it('runs the tasks of one key in order, each after the one before has finished', async () => {
    const queue = new KeyedQueue(8);
    const log: string[] = [];
    for (const [i, ms] of [30, 1, 10].entries())
      void queue.push('a', async () => {
        log.push(`start ${i}`);
        await sleep(ms);
        log.push(`end ${i}`);
      });
    await queue.idle();
    assert.deepEqual(log, ['start 0', 'end 0', 'start 1', 'end 1', 'start 2', 'end 2']);
  });

  it('runs different keys at once, never more than the limit', async () => {
    const queue = new KeyedQueue(3);
    let running = 0;
    let most = 0;
    for (let i = 0; i < 12; i++)
      void queue.push(`k${i}`, async () => {
        most = Math.max(most, ++running);
        await sleep(20);
        running--;
      });
    await queue.idle();
    assert.equal(most, 3);
  });

  it('lets a later key overtake a slow one, and idle() waits for everything', async () => {
    const queue = new KeyedQueue(2);
    const done: string[] = [];
    void queue.push('slow', async () => {
      await sleep(40);
      done.push('slow');
    });
    void queue.push('fast', async () => {
      done.push('fast');
    });
    await queue.idle();
    assert.deepEqual(done, ['fast', 'slow']);
  });

  it('refuses a limit below one', () => {
    assert.throws(() => new KeyedQueue(0), /whole number ≥ 1/);
  });
});
