// Mutation fuzzing of the decoders with the captured kernel datagrams as seeds: every input must decode, or
// fail with a DecodeError; nothing else may escape, nothing may hang. Used by the short run in the test suite
// and by scripts/fuzz.ts for long runs.

import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { DecodeError } from '../../src/netlink/attributes.js';
import { forEachMessage } from '../../src/netlink/framing.js';
import { decodeCpuStats, decodeFlow, FlowDecoder } from '../../src/ctnetlink/decode.js';
import { decodeExpect } from '../../src/ctnetlink/expect.js';
import { formatFlowDefault } from '../../src/format/default.js';
import { formatFlowXml } from '../../src/format/xml.js';
import { formatFlowSave } from '../../src/format/save.js';
import { formatExpectDefault, formatExpectXml } from '../../src/format/expect.js';
import { fixedClock } from '../../src/format/clock.js';
import { parseLabelMap } from '../../src/format/labelmap.js';
import { readDatagrams } from './replay.js';

/** A small seeded generator (xorshift32), so a failure can be replayed from its seed. */
export function rng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x / 0x100000000;
  };
}

export function seeds(fixtures: string): Buffer[] {
  const dir = join(fixtures, 'kernel');
  return readdirSync(dir)
    .filter((f) => f.endsWith('.hex'))
    .flatMap((f) => readDatagrams(join(dir, f)))
    .filter((d) => d.length > 0);
}

const clock = fixedClock(1_800_000_000);
const labels = parseLabelMap('0 foo\n1 bar\n');

/**
 * Copies of messages with a few payload bytes changed (after nlmsghdr and nfgenmsg): other ports, addresses,
 * protocols, marks, states, attribute types. The random generator is the caller's (rng(seed)).
 */
export function flipPayloadBytes(msgs: Buffer[], count: number, next: () => number): Buffer[] {
  const out: Buffer[] = [];
  for (let i = 0; i < count; i++) out.push(flipPayload(msgs[Math.floor(next() * msgs.length)], next));
  return out;
}

/** A copy of one message with one to three payload bytes changed. */
export function flipPayload(msg: Buffer, next: () => number): Buffer {
  const m = Buffer.from(msg);
  const flips = 1 + Math.floor(next() * 3);
  for (let f = 0; f < flips; f++) m[20 + Math.floor(next() * (m.length - 20))] = Math.floor(next() * 256);
  return m;
}

/** Mutates a datagram in one of several ways: truncate, flip bytes, rewrite a length field, splice, random. */
export function mutate(d: Buffer, r: () => number): Buffer {
  const b = Buffer.from(d);
  switch (Math.floor(r() * 6)) {
    case 0:
      return b.subarray(0, Math.floor(r() * b.length));
    case 1:
      for (let i = 0, n = 1 + Math.floor(r() * 8); i < n; i++) b[Math.floor(r() * b.length)] = Math.floor(r() * 256);
      return b;
    case 2: {
      // a 16-bit length field somewhere (attribute headers are 4-aligned)
      const at = Math.floor((r() * b.length) / 4) * 4;
      if (at + 2 <= b.length) b.writeUInt16LE(Math.floor(r() * 0x10000), at);
      return b;
    }
    case 3: {
      const at = Math.floor(r() * b.length);
      return Buffer.concat([b.subarray(0, at), b.subarray(Math.floor(r() * b.length))]);
    }
    case 4: {
      // the message length
      if (b.length >= 4) b.writeUInt32LE(Math.floor(r() * (b.length + 64)), 0);
      return b;
    }
    default: {
      const out = Buffer.alloc(Math.floor(r() * 512));
      for (let i = 0; i < out.length; i++) out[i] = Math.floor(r() * 256);
      return out;
    }
  }
}

/** Decodes and formats one input every way the CLI would; returns the unexpected error, if any. */
export function exercise(d: Buffer, decoder: FlowDecoder): unknown {
  try {
    forEachMessage(d, (off, len, type) => {
      if (type < 0x10) return;
      const subsys = type >> 8;
      if (subsys === 2) {
        const e = decodeExpect(d, off, len);
        formatExpectDefault(e, 'new');
        formatExpectXml(e, 'destroy', { time: true }, clock);
        return;
      }
      const f = decodeFlow(d, off, len);
      formatFlowDefault(f, 'update', { extended: true, id: true, ktimestamp: true, labels }, clock);
      formatFlowXml(f, 'new', { ktimestamp: true, labels, time: true }, clock);
      formatFlowSave(f, 'destroy');
      decoder.decode(d, off, len);
      decodeCpuStats(d, off, len);
    });
  } catch (e) {
    if (e instanceof DecodeError) return undefined;
    return e;
  }
  return undefined;
}
