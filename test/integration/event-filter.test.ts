// -E with the kernel-side filter (filter/bpf.ts) against -E with it switched off (CONNTRACK_KERNEL_FILTER=off),
// listening side by side to a burst in which one event in a thousand matches: the same lines come out, all the matching
// events arrive, and the filtered listener spends a fraction of the CPU time the unfiltered one does, because the
// kernel drops the other 99% before they reach its socket.

import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventLines, netnsAdd, netnsDel, REPO, runSh, skipReason, waitCaughtUp, waitListeners, waitUntil } from '../helpers/netns.js';

const NS = `ctit-bpf-${process.pid}`;
const OUT = `/tmp/ctit-bpf-${process.pid}`;
/** entries loaded and flushed: twice as many events, one entry in a thousand a match */
const ENTRIES = 20_000;
const MATCHING = ENTRIES / 1000;

/** -R lines: unique tuples, every thousandth a TCP connection to port 443, the rest UDP to port 53. */
function loadFile(): string {
  const lines: string[] = [];
  for (let i = 0; i < ENTRIES; i++) {
    const src = `10.${1 + (i >> 16)}.${(i >> 8) & 0xff}.${i & 0xff}`;
    if (i % 1000 === 0)
      lines.push(`-I -p tcp -s ${src} -d 10.200.0.1 --sport ${1024 + (i % 60000)} --dport 443 --state ESTABLISHED -t 300`);
    else lines.push(`-I -p udp -s ${src} -d 10.200.0.2 --sport ${1024 + (i % 60000)} --dport 53 -t 300`);
  }
  return lines.join('\n') + '\n';
}

/** utime + stime, in clock ticks, of a process and its children (the event receiver), from /proc. */
const CPU_TICKS = `cpu() { for _p in $1 $(cat /proc/$1/task/*/children 2>/dev/null); do awk '{print $14 + $15}' /proc/$_p/stat 2>/dev/null; done | awk '{s += $1} END {print s + 0}'; }`;

describe.skipIf(skipReason)('conntrack -E with the kernel-side filter', () => {
  beforeAll(() => {
    netnsAdd(NS);
    runSh(NS, `mkdir -p ${OUT}`);
    writeFileSync(join(OUT, 'load.txt'), loadFile());
  });
  afterAll(() => {
    runSh(NS, `rm -rf ${OUT}`);
    netnsDel(NS);
  });

  it('-E -p tcp --dport 443: the lines of the unfiltered listener, every match, at a fraction of its CPU', () => {
    const args = `-E -p tcp --dport 443`;
    const settled = waitUntil(`{ _now="$(cpu $on) $(cpu $off)"; [ "$_now" = "$_last" ]; } || { _last=$_now; false; }`, 5, 0.3);
    const script = `
      cd ${OUT}
      ${CPU_TICKS}
      CONNTRACK_ARGV0=conntrack node ${REPO}/bin/conntrack ${args} > on.out 2> on.err & on=$!
      CONNTRACK_KERNEL_FILTER=off CONNTRACK_ARGV0=conntrack node ${REPO}/bin/conntrack ${args} > off.out 2> off.err & off=$!
      ${waitListeners(2)}
      # the baseline once start-up is over: both listeners' CPU time unchanged for 0.3 s
      _last=; ${settled}
      on0=$(cpu $on); off0=$(cpu $off)
      conntrack -R load.txt && conntrack -F 2>/dev/null
      ${waitCaughtUp(['on.out', 'off.out'], 30)}
      echo $(( $(cpu $on) - on0 )) > on.cpu; echo $(( $(cpu $off) - off0 )) > off.cpu; echo $on0 $off0 > base.cpu
      kill -INT $on $off
      wait $on; echo $? > on.rc
      wait $off; echo $? > off.rc
    `;
    runSh(NS, script, { timeoutMs: 90_000 });
    const read = (f: string): string => readFileSync(join(OUT, f), 'latin1');
    const lines = (f: string): string[] => eventLines(read(f));
    const on = lines('on.out');
    const off = lines('off.out');
    expect(on).toEqual(off);
    expect(on.filter((l) => l.startsWith('    [NEW] tcp')).length).toBe(MATCHING);
    expect(on.filter((l) => l.startsWith('[DESTROY] tcp')).length).toBe(MATCHING);
    expect(on.every((l) => l.includes('dport=443'))).toBe(true);
    expect(read('on.err')).toBe(read('off.err'));
    expect([read('on.rc'), read('off.rc')]).toEqual(['0\n', '0\n']);
    const onCpu = Number(read('on.cpu'));
    const offCpu = Number(read('off.cpu'));
    // the unfiltered listener decoded 2×ENTRIES events; the filtered one received 0.2% of them
    const ticks = `filtered ${onCpu} ticks, unfiltered ${offCpu}`;
    expect(offCpu, ticks).toBeGreaterThanOrEqual(5);
    expect(onCpu, ticks).toBeLessThanOrEqual(Math.max(2, offCpu / 4));
  });
});
