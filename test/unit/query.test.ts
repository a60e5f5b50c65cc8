// The filters on a FlowQuery built by hand, as a library user builds one: no command line involved.

import { describe, expect, it } from 'vitest';
import { allFlows, compileFilter, type FlowQuery, kernelDumpFilter } from '../../src/index.js';
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
