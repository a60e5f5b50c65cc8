// The raw prefilter of -L and -D (filter/userspace.ts compileRawPrefilter) looks at a message's bytes before it
// is decoded and skips entries the userspace filter would skip anyway. Its verdict against the decoded entry's,
// for a range of queries: on every captured conntrack message and on mutated copies of them, it never skips an
// entry the filter keeps; on the captured messages, for queries of the protocol and ports alone, it skips exactly
// what the filter skips. (A mutated message the decoder refuses is not compared: the prefilter may pass it over,
// or leave it to the decoder to report.)

import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseArgs } from '../../src/cli/parse.js';
import { resolveRequest } from '../../src/cli/resolve.js';
import { FlowDecoder } from '../../src/ctnetlink/decode.js';
import type { Flow } from '../../src/ctnetlink/model.js';
import type { FlowQuery } from '../../src/filter/query.js';
import { compileFilter, compileRawPrefilter } from '../../src/filter/userspace.js';
import { NFNL_SUBSYS } from '../../src/netlink/constants.js';
import { forEachMessage } from '../../src/netlink/framing.js';
import { IPCTNL_MSG_CT } from '../../src/ctnetlink/constants.js';
import { flipPayload, mutate, rng, seeds } from '../helpers/fuzz.js';

const FIXTURES = join(__dirname, '../../fixtures');

/** Every conntrack entry message (IPCTNL_MSG_CT_NEW / _DELETE) of the captures, each in a buffer of its own. */
function capturedMessages(): Buffer[] {
  const out: Buffer[] = [];
  for (const d of seeds(FIXTURES)) {
    try {
      forEachMessage(d, (off, len, type) => {
        const msg = type & 0xff;
        if (type >> 8 === NFNL_SUBSYS.CTNETLINK && (msg === IPCTNL_MSG_CT.NEW || msg === IPCTNL_MSG_CT.DELETE))
          out.push(Buffer.from(d.subarray(off, off + len)));
      });
    } catch {
      // a capture's datagram that is not a run of messages (none today) holds no entry to test with
    }
  }
  return out;
}

/**
 * Copies changed in the ways that keep many of them decodable: a few payload bytes flipped (other protocols,
 * ports, attribute types: a second original tuple, a protocol attribute turned into another), and the fuzzer's
 * mutations of a whole message (lengths rewritten, spliced, truncated).
 */
function mutated(msgs: Buffer[], count: number): Buffer[] {
  const next = rng(0x14);
  const out: Buffer[] = [];
  for (let i = 0; i < count; i++) {
    const src = msgs[Math.floor(next() * msgs.length)];
    out.push(i % 4 === 3 ? mutate(src, next) : flipPayload(src, next));
  }
  return out;
}

const queryOf = (line: string): FlowQuery => {
  const req = resolveRequest(parseArgs(['conntrack', '-L', ...line.split(' ').filter(Boolean)], {}));
  if (req.kind !== 'list') throw new Error(`not a list request: ${line}`);
  return req.query;
};

const decoder = new FlowDecoder();
/** The decoded entry's verdict: true to skip, as compileFilter says; undefined when the decoder refuses it. */
function filterSkips(q: FlowQuery, m: Buffer): boolean | undefined {
  let flow: Flow;
  try {
    flow = decoder.decode(m, 0, m.length);
  } catch {
    return undefined;
  }
  const skip = compileFilter(q);
  return skip !== undefined && skip(flow);
}

/** Queries of the original tuple's protocol and ports only: the prefilter decides them whole. */
const DECIDED = [
  '-p tcp',
  '-p udp',
  '-p icmp',
  '-p ipv6-icmp',
  '-p sctp',
  '-p gre',
  '-p tcp --dport 443',
  '-p tcp --sport 22',
  '-p tcp --sport 22 --dport 80',
  '-p udp --dport 53',
  '-p udp --sport 53',
];
/** Queries with more to them than the prefilter looks at: it only has to be sound. */
const PARTLY = [
  '-p tcp -s 10.200.1.2',
  '-p tcp --dport 443 -d 10.200.2.2',
  '-f ipv6 -p udp',
  '-p tcp --state ESTABLISHED',
  '-p tcp --reply-port-src 80',
  '-p icmp --icmp-type 8',
  '-p udp -m 1',
  '-p tcp --src-nat',
  '-p tcp --zone 0',
  '-s 10.200.1.2',
  '-m 1',
];

describe('the raw prefilter of -L and -D', () => {
  const captured = capturedMessages();
  const fuzzed = mutated(captured, 6000);

  it('has captured messages of several protocols to run on', () => {
    expect(captured.length).toBeGreaterThan(50);
    const protos = new Set(captured.map((m) => decoder.decode(m, 0, m.length).orig?.protonum));
    expect(protos.size).toBeGreaterThanOrEqual(3);
    // the mutated set has decodable messages in it, and some that the decoder refuses
    const decodable = fuzzed.filter((m) => filterSkips(queryOf('-p tcp'), m) !== undefined).length;
    expect(decodable).toBeGreaterThan(fuzzed.length / 2);
    expect(decodable).toBeLessThan(fuzzed.length);
  });

  it('is not built when the query compares no protocol', () => {
    expect(compileRawPrefilter(queryOf(''))).toBeUndefined();
    expect(compileRawPrefilter(queryOf('-s 10.200.1.2'))).toBeUndefined();
    expect(compileRawPrefilter(queryOf('-m 1'))).toBeUndefined();
  });

  for (const line of DECIDED) {
    it(`-L ${line}: skips exactly what the filter skips on the captured messages, and skips some, keeps some`, () => {
      const q = queryOf(line);
      const pre = compileRawPrefilter(q);
      expect(pre).toBeDefined();
      const wrong: string[] = [];
      let skipped = 0;
      captured.forEach((m, i) => {
        const raw = pre!(m, 0, m.length);
        if (raw) skipped++;
        if (raw !== filterSkips(q, m)) wrong.push(`message ${i}: prefilter ${raw}, filter ${!raw}`);
      });
      expect(wrong).toEqual([]);
      expect(skipped).toBeGreaterThan(0);
    });
  }

  for (const line of [...DECIDED, ...PARTLY]) {
    it(`-L ${line}: never skips an entry the filter keeps, on captured and mutated messages`, () => {
      const q = queryOf(line);
      const pre = compileRawPrefilter(q);
      if (!pre) return;
      const lost: number[] = [];
      [...captured, ...fuzzed].forEach((m, i) => {
        if (pre(m, 0, m.length) && filterSkips(q, m) === false) lost.push(i);
      });
      expect(lost).toEqual([]);
    });
  }

  it('a message whose original tuple is absent or names another protocol is skipped; a malformed one is left to the decoder', () => {
    const pre = compileRawPrefilter(queryOf('-p tcp'))!;
    const tcp = captured.find((m) => decoder.decode(m, 0, m.length).orig?.protonum === 6)!;
    // the first attribute's type (CTA_TUPLE_ORIG) changed to one no decoder knows: no original tuple
    const noOrig = Buffer.from(tcp);
    noOrig.writeUInt16LE(0x7ff, 20 + 2);
    expect(pre(noOrig, 0, noOrig.length)).toBe(true);
    expect(filterSkips(queryOf('-p tcp'), noOrig)).toBe(true);
    // the first attribute's length past the end of the message
    const bad = Buffer.from(tcp);
    bad.writeUInt16LE(0xfff0, 20);
    expect(pre(bad, 0, bad.length)).toBe(false);
    expect(filterSkips(queryOf('-p tcp'), bad)).toBeUndefined();
  });
});
