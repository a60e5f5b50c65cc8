// A short fuzz run over the captured kernel datagrams (issue #7): truncated, oversized, misaligned, wrongly
// nested and random mutations must decode or fail with a DecodeError, never anything else, within bounded time.

import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FlowDecoder } from '../../src/ctnetlink/decode.js';
import { exercise, mutate, rng, seeds } from '../helpers/fuzz.js';

describe('decoders under mutated kernel input', () => {
  it('100k mutated datagrams: only DecodeError, no hang', () => {
    const all = seeds(join(__dirname, '../../fixtures'));
    expect(all.length).toBeGreaterThan(10);
    const r = rng(20261122);
    const decoder = new FlowDecoder();
    const started = Date.now();
    let failures = 0;
    let first: unknown;
    for (let i = 0; i < 100_000; i++) {
      const input = mutate(all[Math.floor(r() * all.length)], r);
      const e = exercise(input, decoder);
      if (e !== undefined) {
        failures++;
        first ??= { error: String((e as Error).stack ?? e), input: input.toString('hex') };
      }
    }
    expect(first).toBeUndefined();
    expect(failures).toBe(0);
    expect(Date.now() - started).toBeLessThan(60_000);
  });

  it('the unmutated seeds decode cleanly', () => {
    const decoder = new FlowDecoder();
    for (const d of seeds(join(__dirname, '../../fixtures'))) expect(exercise(d, decoder)).toBeUndefined();
  });
});
