// The long fuzz run: npx tsx scripts/fuzz.ts [INPUTS] [SEED]. Prints the first unexpected error with its input.
import { join } from 'node:path';
import { FlowDecoder } from '../src/ctnetlink/decode.js';
import { exercise, mutate, rng, seeds } from '../test/helpers/fuzz.js';

const n = Number(process.argv[2] ?? 10_000_000);
const seed = Number(process.argv[3] ?? Date.now() % 0x7fffffff);
const all = seeds(join(import.meta.dirname, '../fixtures'));
const r = rng(seed);
const decoder = new FlowDecoder();
for (let i = 0; i < n; i++) {
  const input = mutate(all[Math.floor(r() * all.length)], r);
  const e = exercise(input, decoder);
  if (e !== undefined) {
    console.error(`seed ${seed}, input ${i}: ${(e as Error).stack ?? e}\n${input.toString('hex')}`);
    process.exit(1);
  }
  if (i % 1_000_000 === 0 && i) console.error(`${i} inputs, no failure (seed ${seed})`);
}
console.log(`${n} inputs, no failure (seed ${seed})`);
