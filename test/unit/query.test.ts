// The filters on a FlowQuery built by hand, as a library user builds one: no command line involved.

import { describe, expect, it } from 'vitest';
import { allFlows, compileFilter, type FlowQuery, kernelDumpFilter } from '../../src/index.js';
import { commonDumpFilter } from '../../src/filter/kernel.js';
import type { DumpFilter } from '../../src/ctnetlink/requests.js';
import { IPS } from '../../src/ctnetlink/constants.js';
import type { Flow } from '../../src/ctnetlink/model.js';

const flow = (src: string, dport: number, over: Partial<Flow> = {}): Flow =>
  ({
    family: 2,
    orig: { family: 2, src, dst: '10.0.0.1', protonum: 6, srcPort: 40000, dstPort: dport },
    reply: { family: 2, src: '10.0.0.1', dst: src, protonum: 6, srcPort: dport, dstPort: 40000 },
    status: IPS.CONFIRMED | IPS.SEEN_REPLY,
    ...over,
  }) as Flow;

const kept = (q: FlowQuery, flows: Flow[]): boolean[] => {
  const skip = compileFilter(q);
  return flows.map((f) => !skip || !skip(f));
};

describe('FlowQuery', () => {
  const https = flow('192.0.2.1', 443);
  const ssh = flow('198.51.100.7', 22, { mark: 7 });

  it('selects everything, and filters nothing, when empty', () => {
    expect(compileFilter(allFlows())).toBeUndefined();
    expect(kernelDumpFilter(allFlows(10))).toEqual({ family: 10 });
  });
  it('compares the original tuple', () => {
    const q: FlowQuery = { ...allFlows(2), compare: true, orig: { protonum: 6, dstPort: 443 } };
    expect(kept(q, [https, ssh])).toEqual([true, false]);
    // the kernel gets the same tuple as CTA_FILTER
    expect(kernelDumpFilter(q)).toEqual({ family: 2, tuple: { l3: 2, protonum: 6, dstPort: 443 } });
  });
  it('a network the source must fall in, not compared exactly', () => {
    const q: FlowQuery = {
      ...allFlows(2),
      networks: { src: { family: 2, net: Uint8Array.of(198, 51, 100, 0), mask: Uint8Array.of(255, 255, 255, 0) } },
    };
    expect(kept(q, [https, ssh])).toEqual([false, true]);
    expect(kernelDumpFilter(q).tuple).toBeUndefined();
  });
  it('the mark: an entry without one does not match', () => {
    const q: FlowQuery = { ...allFlows(), mark: { value: 7, mask: 0xff } };
    expect(kept(q, [https, ssh])).toEqual([false, true]);
    expect(kernelDumpFilter(q).mark).toEqual({ value: 7, mask: 0xff });
  });
  it('the fields compared only when compare is set (conntrack: -t alone filters nothing)', () => {
    const q: FlowQuery = { ...allFlows(), timeout: 30 };
    expect(kept(q, [https])).toEqual([true]);
    expect(kept({ ...q, compare: true }, [https, flow('192.0.2.1', 443, { timeout: 30 })])).toEqual([false, true]);
  });
  it('source NAT', () => {
    const natted = flow('192.0.2.1', 443, {
      status: IPS.CONFIRMED | IPS.SRC_NAT_DONE,
      reply: { family: 2, src: '10.0.0.1', dst: '203.0.113.5', protonum: 6, srcPort: 443, dstPort: 40000 },
    });
    expect(kept({ ...allFlows(), nat: { kind: 'src' } }, [https, natted])).toEqual([false, true]);
    expect(kept({ ...allFlows(), nat: { kind: 'src', snat: { addr: Uint8Array.of(203, 0, 113, 6) } } }, [natted])).toEqual([false]);
  });
});

describe('commonDumpFilter (the one dump of a -R run of -D or -U lines)', () => {
  const q = (over: Partial<FlowQuery>): DumpFilter => kernelDumpFilter({ ...allFlows(2), compare: true, ...over });
  const a = Uint8Array.of(192, 0, 2, 1);
  const b = Uint8Array.of(192, 0, 2, 2);

  it('keeps what every line asks the kernel for: the family, the protocol, a port all of them name', () => {
    const lines = [q({ orig: { src: a, protonum: 17, dstPort: 53 } }), q({ orig: { src: b, protonum: 17, dstPort: 53 } })];
    expect(commonDumpFilter(lines)).toEqual({ family: 2, tuple: { l3: 2, protonum: 17, dstPort: 53 } });
    expect(commonDumpFilter([...lines, q({ orig: { src: a, protonum: 17, dstPort: 5353 } })])).toEqual({
      family: 2,
      tuple: { l3: 2, protonum: 17 },
    });
  });
  it('an address all the lines name, and nothing of a tuple only some lines have', () => {
    expect(
      commonDumpFilter([q({ orig: { src: a, protonum: 6 } }), q({ orig: { src: Uint8Array.of(192, 0, 2, 1), protonum: 17 } })]),
    ).toEqual({
      family: 2,
      tuple: { l3: 2, src: a },
    });
    expect(commonDumpFilter([q({ orig: { protonum: 6 } }), q({})])).toEqual({ family: 2 });
  });
  it('ports only with their protocol: tcp 53 and udp 53 share no filter', () => {
    expect(commonDumpFilter([q({ orig: { protonum: 6, dstPort: 53 } }), q({ orig: { protonum: 17, dstPort: 53 } })])).toEqual({
      family: 2,
    });
  });
  it('families that differ: both (AF_UNSPEC), and no tuple; a mark or status filter only when all are the same', () => {
    const v6 = kernelDumpFilter({ ...allFlows(10), compare: true, orig: { protonum: 6 } });
    expect(commonDumpFilter([q({ orig: { protonum: 6 } }), v6])).toEqual({ family: 0 });
    const m = { value: 1, mask: 1 };
    expect(commonDumpFilter([q({ mark: m }), q({ mark: { ...m } })])).toEqual({ family: 2, mark: m });
    expect(commonDumpFilter([q({ mark: m }), q({ mark: { value: 1, mask: 3 } })])).toEqual({ family: 2 });
    expect(commonDumpFilter([q({ statusFilter: m }), q({})])).toEqual({ family: 2 });
  });
});
