// What -U sends for an entry (updatedEntry) and which entries it selects (compileUpdateFilter and the dump
// filter), from parsed command lines. The kernel sets each label word to (old & ~mask) ^ labels
// (nf_connlabels_replace), so the test applies that to what we send and checks the labels that result.

import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseArgs, type ParsedCommand } from '../../src/cli/parse.js';
import { updatedEntry } from '../../src/commands/update.js';
import { IPS } from '../../src/ctnetlink/constants.js';
import type { Flow } from '../../src/ctnetlink/model.js';
import { flowChange, selectQuery, updateQuery } from '../../src/cli/resolve.js';
import { kernelDumpFilter } from '../../src/filter/kernel.js';
import { compileFilter, compileUpdateFilter } from '../../src/filter/userspace.js';

// fixtures/connlabel.conf: 0 foo, 1 bar, 2 "baz qux", 5 ops-team, 7 unused-bit
const LABELS = join(__dirname, '../../fixtures/connlabel.conf');
const parse = (...argv: string[]): ParsedCommand => parseArgs(['conntrack', ...argv], { labelmapPath: LABELS });

/** a 128-bit label bitmap (the kernel's size) with these bits */
const bits = (...b: number[]): Buffer => {
  const out = Buffer.alloc(16);
  for (const i of b) out[i >> 3] |= 1 << (i & 7);
  return out;
};
const setBits = (m: Uint8Array): number[] => [...Array(m.length * 8).keys()].filter((i) => (m[i >> 3] >> (i & 7)) & 1);

/** nf_connlabels_replace() with what -U sent: no CTA_LABELS leaves the labels alone */
function kernelLabels(old: Uint8Array | undefined, labels: Uint8Array | undefined, mask: Uint8Array | undefined): number[] {
  if (!labels) return old ? setBits(old) : [];
  const out = new Uint8Array(16);
  for (let i = 0; i < 16; i++) {
    const o = old?.[i] ?? 0;
    const m = mask && mask.length === labels.length ? (mask[i] ?? 0) : 0xff;
    out[i] = (o & ~m) ^ (labels[i] ?? 0);
  }
  return setBits(out);
}

const flow = (over: Partial<Flow> = {}): Flow =>
  ({
    family: 2,
    orig: { family: 2, src: '10.40.0.1', dst: '10.50.0.1', protonum: 17, srcPort: 1, dstPort: 53 },
    reply: { family: 2, src: '10.50.0.1', dst: '10.40.0.1', protonum: 17, srcPort: 53, dstPort: 1 },
    status: IPS.CONFIRMED,
    mark: 0,
    timeout: 100,
    ...over,
  }) as Flow;

describe('-U labels: the labels an entry is left with', () => {
  const cases: Array<[string[], number[] | undefined, number[] | undefined]> = [
    // [argv, labels before (undefined: none), labels after (undefined: not updated)]
    [
      ['-U', '--label-del', 'bar'],
      [0, 1, 2],
      [0, 2],
    ],
    [
      ['-U', '--label-del', 'bar,ops-team'],
      [0, 1, 2, 5],
      [0, 2],
    ],
    [['-U', '--label-del', 'foo', '-f', 'ipv4'], [0, 1], [1]],
    // an entry without the label is still updated (conntrack's nfct_cmp sees the mask it sets), unchanged
    [
      ['-U', '--label-del', 'ops-team'],
      [0, 1],
      [0, 1],
    ],
    [['-U', '--label-del'], [0, 1, 2], []],
    [['-U', '--label-del', 'bar'], undefined, undefined],
    [['-U', '--label-del'], undefined, undefined],
    [
      ['-U', '--label-add', 'ops-team'],
      [0, 1],
      [0, 1, 5],
    ],
    [
      ['-U', '--label-add', 'foo'],
      [0, 1],
      [0, 1],
    ],
    [['-U', '--label-add', 'bar,foo'], undefined, [0, 1]],
  ];
  for (const [argv, before, after] of cases) {
    it(`${argv.join(' ')} on ${before ? `{${before.join(',')}}` : 'no labels'}`, () => {
      const old = before ? bits(...before) : undefined;
      const e = updatedEntry(flowChange(parse(...argv)), flow({ labels: old }));
      if (after === undefined) return expect(e).toBeUndefined();
      expect(e).toBeDefined();
      expect(kernelLabels(old, e!.labels, e!.labelsMask)).toEqual(after);
    });
  }
});

describe('-U -u: bits to set select nothing, bits that must be absent select as -L does', () => {
  const assured = flow({ status: IPS.CONFIRMED | IPS.SEEN_REPLY | IPS.ASSURED });
  const replied = flow({ status: IPS.CONFIRMED | IPS.SEEN_REPLY });
  const unreplied = flow({ status: IPS.CONFIRMED });
  for (const [u, list] of [
    ['UNREPLIED', [false, false, true]],
    ['!ASSURED', [false, true, true]],
    ['!SEEN_REPLY', [false, false, true]],
  ] as const) {
    it(`-U -u ${u} -m 5 updates what -L -u ${u} lists`, () => {
      const upd = parse('-U', '-u', u, '-m', '5');
      const skip = compileUpdateFilter(updateQuery(upd));
      const listSkip = compileFilter(selectQuery(parse('-L', '-u', u)))!;
      const entries = [assured, replied, unreplied];
      expect(entries.map((f) => !skip(f))).toEqual(list);
      expect(entries.map((f) => !listSkip(f))).toEqual(list);
      expect(kernelDumpFilter(updateQuery(upd)).status).toBeDefined();
      expect(kernelDumpFilter(updateQuery(upd)).mark).toBeUndefined();
    });
  }
  it('-U -u ASSURED selects every entry and sets the bit (1.4.8)', () => {
    const upd = parse('-U', '-u', 'ASSURED');
    const skip = compileUpdateFilter(updateQuery(upd));
    expect([assured, replied, unreplied].map((f) => !skip(f))).toEqual([true, true, true]);
    expect(kernelDumpFilter(updateQuery(upd)).status).toBeUndefined();
    expect(updatedEntry(flowChange(upd), assured)).toBeUndefined();
    expect(updatedEntry(flowChange(upd), replied)?.status).toBe(IPS.CONFIRMED | IPS.SEEN_REPLY | IPS.ASSURED);
  });
});
