// streamOf (src/ctnetlink/stream.ts): the queue behind client.dump() and dumpExpect().

import { describe, expect, it } from 'vitest';
import { type Push, streamOf } from '../../src/ctnetlink/stream.js';

/** A producer that pushes 0..n-1, one per turn of the event loop, waiting whenever push asks it to. */
function counter(n: number, log: { waiting: number; maxQueued: number }) {
  return async (push: Push<number>): Promise<void> => {
    for (let i = 0; i < n; i++) {
      await new Promise<void>((r) => setImmediate(r));
      const wait = push(i);
      if (wait) {
        log.waiting++;
        await wait;
      }
    }
  };
}

describe('streamOf', () => {
  it('yields what is pushed, in order, before the producer has finished', async () => {
    let finished = false;
    const got: number[] = [];
    for await (const x of streamOf<number>(async (push) => {
      await counter(5, { waiting: 0, maxQueued: 0 })(push);
      finished = true;
    })) {
      if (x === 0) expect(finished).toBe(false);
      got.push(x);
    }
    expect(got).toEqual([0, 1, 2, 3, 4]);
    expect(finished).toBe(true);
  });

  it('with a high-water mark, the producer waits while the consumer is behind: at most twice the mark held', async () => {
    const log = { waiting: 0, maxQueued: 0 };
    let pushed = 0;
    let taken = 0;
    const produce = counter(100, log);
    for await (const _ of streamOf<number>(
      (push) =>
        produce((x) => {
          pushed++;
          return push(x);
        }),
      8,
    )) {
      taken++;
      log.maxQueued = Math.max(log.maxQueued, pushed - taken);
      // a slow consumer: several turns per item
      for (let k = 0; k < 3; k++) await new Promise<void>((r) => setImmediate(r));
    }
    expect(taken).toBe(100);
    expect(log.waiting).toBeGreaterThan(0);
    // the chunk being yielded and at most a high-water mark's worth queued behind it
    expect(log.maxQueued).toBeLessThanOrEqual(16);
  });

  it('without one, push never asks the producer to wait', async () => {
    const log = { waiting: 0, maxQueued: 0 };
    const got: number[] = [];
    for await (const x of streamOf<number>(counter(50, log))) got.push(x);
    expect(got.length).toBe(50);
    expect(log.waiting).toBe(0);
  });

  it('a consumer that stops early lets a producer past the high-water mark run to its end', async () => {
    let ended = false;
    const stream = streamOf<number>(async (push) => {
      // pushes far beyond the mark without yielding to the consumer; only waits where asked
      for (let i = 0; i < 1000; i++) await push(i);
      ended = true;
    }, 4);
    for await (const x of stream) if (x === 2) break;
    expect(ended).toBe(true);
  });

  it("the producer's failure comes after what it pushed before failing", async () => {
    const got: number[] = [];
    const stream = streamOf<number>(async (push) => {
      void push(1);
      void push(2);
      throw new Error('gone');
    });
    await expect(
      (async () => {
        for await (const x of stream) got.push(x);
      })(),
    ).rejects.toThrow('gone');
    expect(got).toEqual([1, 2]);
  });
});
