// argv → the typed request its command takes (cli/resolve.ts), one line per case; and the checks the resolve
// step makes before anything is sent, with conntrack's exact message.

import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CtError } from '../../src/commands/errors.js';
import { parseArgs } from '../../src/cli/parse.js';
import { resolveRequest } from '../../src/cli/resolve.js';
import type { CommandRequest } from '../../src/commands/request.js';
import { IPS } from '../../src/ctnetlink/constants.js';
import type { OutputSpec } from '../../src/format/output.js';

// fixtures/connlabel.conf: 0 foo, 1 bar, 2 "baz qux", 5 ops-team, 7 unused-bit
const LABELS = join(__dirname, '../../fixtures/connlabel.conf');
const resolve = (line: string): CommandRequest =>
  resolveRequest(parseArgs(['conntrack', ...line.split(' ').filter(Boolean)], { labelmapPath: LABELS }));

const ok = (line: string, want: object): void => {
  it(line, () => expect(resolve(line)).toMatchObject(want));
};
const bad = (line: string, want: string): void => {
  it(`${line} → ${want}`, () => {
    let got = 'no error';
    try {
      resolve(line);
    } catch (e) {
      if (!(e instanceof CtError)) throw e;
      got = `${e.exitCode} ${e.message}`;
    }
    expect(got).toBe(want);
  });
};

const v4 = (...b: number[]): Uint8Array => Uint8Array.from(b);
const plain: OutputSpec = { format: 'default', extended: false, timestamp: false, id: false, ktimestamp: false };
const everything = { family: 0, orig: {}, reply: {}, networks: {}, compare: false };

describe('-L', () => {
  it('-L', () => expect(resolve('-L')).toEqual({ kind: 'list', table: 'conntrack', query: everything, zero: false, output: plain }));
  ok('-L -p tcp --dport 443', { query: { family: 0, orig: { protonum: 6, dstPort: 443 }, compare: true } });
  ok('-L -s 10.0.0.0/8', {
    query: { family: 2, orig: { l3: 2 }, networks: { src: { family: 2, net: v4(10, 0, 0, 0), mask: v4(255, 0, 0, 0) } } },
  });
  it('-L -s 10.1.2.3/8: the network, not the address', () =>
    expect((resolve('-L -s 10.1.2.3/8') as { query: { orig: object } }).query.orig).toEqual({ l3: 2 }));
  ok('-L -d 10.0.0.1', { query: { orig: { l3: 2, dst: v4(10, 0, 0, 1) }, networks: {} } });
  ok('-L -m 0x10/0xf0 -u ASSURED', {
    query: {
      mark: { value: 0x10, mask: 0xf0 },
      status: IPS.ASSURED,
      statusFilter: { value: IPS.ASSURED, mask: IPS.ASSURED },
      compare: true,
    },
  });
  ok('-L -u UNREPLIED', { query: { status: 0, statusFilter: { value: 0, mask: IPS.SEEN_REPLY } } });
  ok('-L -l foo,ops-team', { query: { labels: [0, 5], compare: true } });
  ok('-L --src-nat', { query: { nat: { kind: 'src' }, compare: false } });
  ok('-L --src-nat --dst-nat 1.2.3.4', { query: { nat: { kind: 'both', dnat: { addr: v4(1, 2, 3, 4) } } } });
  ok('-L --any-nat 1.2.3.4:80', {
    query: { nat: { kind: 'either', snat: { addr: v4(1, 2, 3, 4), port: 80 }, dnat: { addr: v4(1, 2, 3, 4), port: 80 } } },
  });
  ok('-L -w 3', { query: { zone: 3, compare: true } });
  ok('-L -z', { zero: true, query: { compare: false } });
  ok('-L dying -s 1.2.3.4', { table: 'dying', query: { ...everything, family: 2 } });
  ok('-L unconfirmed', { table: 'unconfirmed' });
  ok('-L -o xml,extended,id', { output: { ...plain, format: 'xml', extended: true, id: true } });
  ok('-L -o save', { output: { ...plain, format: 'save' } });
  ok('-L -o json,ktimestamp', { output: { ...plain, format: 'json', ktimestamp: true } });
  it('-L -o labels: the label map', () =>
    expect((resolve('-L -o labels') as { output: OutputSpec }).output.labelmap?.bitOf('ops-team')).toBe(5));
  ok('-L --tally src,dport --top 5', { tally: { keys: ['src', 'dport'], top: 5 } });
  bad('-L -z -p tcp', "2 Can't use -z with filtering parameters");
  bad('-L --mask-src 255.0.0.0', "2 Can't use --mask-src without --src");
  bad('-L -s 1.2.3.4 --mask-dst 255.0.0.0', "2 Can't use --mask-dst without --dst");
});

describe('-D, -G, -U', () => {
  ok('-D -p udp', { kind: 'delete', query: { orig: { protonum: 17 }, compare: true }, output: plain });
  ok('-D -f ipv6 -t 30', { kind: 'delete', query: { family: 10, timeout: 30, compare: false } });
  bad('-D --mask-src 255.0.0.0', "2 Can't use --mask-src without --src");
  ok('-G -s 1.2.3.4 -d 5.6.7.8 -p tcp --sport 1 --dport 2', {
    kind: 'get',
    query: { family: 2, orig: { l3: 2, src: v4(1, 2, 3, 4), dst: v4(5, 6, 7, 8), protonum: 6, srcPort: 1, dstPort: 2 }, compare: true },
  });
  it('-U -m 5 -u ASSURED: values to set, nothing to select by', () =>
    expect(resolve('-U -m 5 -u ASSURED')).toEqual({
      kind: 'update',
      query: { family: 0, orig: {}, reply: {}, networks: {}, compare: true },
      change: { mark: { value: 5, mask: 0xffffffff }, status: IPS.ASSURED },
      output: plain,
    }));
  ok('-U -u UNREPLIED', { query: { statusFilter: { value: 0, mask: IPS.SEEN_REPLY } }, change: { status: 0 } });
  ok('-U -s 1.2.3.4 -t 40', { query: { orig: { l3: 2, src: v4(1, 2, 3, 4) }, reply: {} }, change: { timeout: 40 } });
  ok('-U -r 1.2.3.4', { query: { orig: {}, reply: { l3: 2, src: v4(1, 2, 3, 4) } } });
  ok('-U -i 7', { query: { id: 7 } });
  ok('-U --label-add foo,bar', { change: { addLabels: new Set([0, 1]) } });
  ok('-U --label-del', { change: { deleteLabels: 'all' } });
  ok('-U --label-del ops-team', { change: { deleteLabels: new Set([5]) } });
});

describe('-I, -A, -F', () => {
  ok('-I -s 1.2.3.4 -d 5.6.7.8 -p tcp --sport 1 --dport 2 --state ESTABLISHED -t 100', {
    kind: 'create',
    family: 2,
    exclusive: true,
    flow: {
      orig: { l3: 2, src: v4(1, 2, 3, 4), dst: v4(5, 6, 7, 8), protonum: 6, srcPort: 1, dstPort: 2 },
      // the reply tuple is the inverse of the original (nfct_setobjopt SETUP_REPLY)
      reply: { l3: 2, src: v4(5, 6, 7, 8), dst: v4(1, 2, 3, 4), protonum: 6, srcPort: 2, dstPort: 1 },
      timeout: 100,
      tcpState: 3,
    },
  });
  ok('-A -s 1.2.3.4 -d 5.6.7.8 -p udp --sport 1 --dport 2 -t 10 -m 9', {
    kind: 'create',
    exclusive: false,
    flow: { mark: 9, timeout: 10 },
  });
  it('-F', () => expect(resolve('-F')).toEqual({ kind: 'flush', family: 0 }));
  ok('-F -f ipv6', { kind: 'flush', family: 10 });
});

describe('-E', () => {
  ok('-E', { kind: 'events', table: 'conntrack', events: { new: true, update: true, destroy: true }, query: everything, output: plain });
  ok('-E -e NEW,DESTROY -b 1000', { events: { new: true, update: false, destroy: true }, bufferSize: 1000 });
  it('-E: no -b, no buffer size', () => expect((resolve('-E') as { bufferSize?: number }).bufferSize).toBeUndefined());
  ok('-E -p tcp -o timestamp', { query: { orig: { protonum: 6 }, compare: true }, output: { ...plain, timestamp: true } });
  ok('-E expect', { kind: 'events', table: 'expect', events: { new: true, update: true, destroy: true } });
});

describe('counts, statistics, expectations, --watch', () => {
  it('-C', () => expect(resolve('-C')).toEqual({ kind: 'count' }));
  it('-S', () => expect(resolve('-S')).toEqual({ kind: 'stats' }));
  it('-S expect', () => expect(resolve('-S expect')).toEqual({ kind: 'expect-stats' }));
  it('-L expect', () => expect(resolve('-L expect')).toEqual({ kind: 'expect-list', family: 2, output: plain }));
  ok('-L expect -o xml,timestamp', { output: { ...plain, format: 'xml', timestamp: true } });
  it('-C expect', () => expect(resolve('-C expect')).toEqual({ kind: 'expect-count', family: 2 }));
  it('-F expect', () => expect(resolve('-F expect')).toEqual({ kind: 'expect-flush', family: 2 }));
  ok('-G expect -s 1.2.3.4 -d 5.6.7.8 -p tcp --sport 1 --dport 2 --reply-port-src 2 --reply-port-dst 1', {
    kind: 'expect-get',
    family: 2,
    master: { l3: 2, src: v4(1, 2, 3, 4), dst: v4(5, 6, 7, 8), protonum: 6, srcPort: 1, dstPort: 2 },
  });
  ok('-D expect -s 1.2.3.4 -d 5.6.7.8 -p udp --sport 1 --dport 2 --reply-port-src 2 --reply-port-dst 1', {
    kind: 'expect-delete',
    family: 2,
    tuple: { src: v4(1, 2, 3, 4), protonum: 17 },
  });
  ok(
    '-I expect -s 1.2.3.4 -d 5.6.7.8 -p tcp --sport 1 --dport 2 --tuple-src 1.2.3.4 --tuple-dst 5.6.7.8 --mask-src 255.255.255.255 --mask-dst 255.255.255.255 --tuple-port-src 3 --tuple-port-dst 4 --mask-port-src 0 --mask-port-dst 65535 -t 30',
    {
      kind: 'expect-create',
      family: 2,
      timeout: 30,
      master: { src: v4(1, 2, 3, 4), dst: v4(5, 6, 7, 8), srcPort: 1, dstPort: 2 },
      tuple: { src: v4(1, 2, 3, 4), dst: v4(5, 6, 7, 8), srcPort: 3, dstPort: 4 },
      mask: { src: v4(255, 255, 255, 255), dst: v4(255, 255, 255, 255), srcPort: 0, dstPort: 65535 },
    },
  );
  it('--watch', () => expect(resolve('--watch')).toEqual({ kind: 'watch' }));
});
