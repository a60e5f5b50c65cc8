// -E whose socket filter decides the whole query is read in the listener's own process (ctnetlink/event-stream.ts
// InProcessEventStream, netlink/socket/event-socket.ts), without the receiver process. Against the receiver process with
// the same filter (CONNTRACK_KERNEL_FILTER=receiver) and against userspace filtering (=off), listening side by side
// to a burst in which one event in a hundred matches: the same lines, every matching event; from another namespace
// with --netns the same; the ENOBUFS warning exactly when events were lost; and where koffi cannot load, the
// receiver process reads and userspace filters, with the same lines.

import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventLines, netnsAdd, netnsDel, REPO, runSh, skipReason, waitCaughtUp, waitListeners } from '../helpers/netns.js';

const NS = `ctit-rd-${process.pid}`;
/** an empty namespace the --netns listeners run in */
const AWAY = `ctit-rd2-${process.pid}`;
const OUT = `/tmp/ctit-rd-${process.pid}`;
const ENTRIES = 10_000;
const MATCHING = ENTRIES / 100;
const ARGS = '-E -p tcp --dport 443';
const CT = `CONNTRACK_ARGV0=conntrack node ${REPO}/bin/conntrack`;

/** -R lines: unique tuples, every hundredth a TCP connection to port 443, the rest UDP to port 53. */
function loadFile(entries: number, every: number): string {
  const lines: string[] = [];
  for (let i = 0; i < entries; i++) {
    const src = `10.${1 + (i >> 16)}.${(i >> 8) & 0xff}.${i & 0xff}`;
    if (i % every === 0)
      lines.push(`-I -p tcp -s ${src} -d 10.200.0.1 --sport ${1024 + (i % 60000)} --dport 443 --state ESTABLISHED -t 300`);
    else lines.push(`-I -p udp -s ${src} -d 10.200.0.2 --sport ${1024 + (i % 60000)} --dport 53 -t 300`);
  }
  return lines.join('\n') + '\n';
}

/** How many child processes (the event receiver) the process of shell variable $1 has. */
const CHILDREN = `children() { cat /proc/$1/task/*/children 2>/dev/null | wc -w; }`;

const read = (f: string): string => readFileSync(join(OUT, f), 'latin1');
const lines = (f: string): string[] => eventLines(read(f));

/**
 * Runs listeners (name → environment and arguments) side by side in NS through a load and flush of `load`, waits
 * until all have caught up (with as many lines each, unless not `sameLines`), records how many children each had
 * while listening, and stops each by pid with SIGINT; writes NAME.out, NAME.err, NAME.rc, NAME.kids.
 */
function listen(listeners: Record<string, string>, load: string, sameLines = true): void {
  const names = Object.keys(listeners);
  const start = names.map((n) => `${listeners[n]} > ${n}.out 2> ${n}.err & p_${n}=$!`).join('\n');
  const script = `
    cd ${OUT}
    ${CHILDREN}
    ${start}
    ${waitListeners(names.length)}
    ${names.map((n) => `children $p_${n} > ${n}.kids`).join('; ')}
    conntrack -R ${load} && conntrack -F 2>/dev/null
    ${
      sameLines
        ? waitCaughtUp(
            names.map((n) => `${n}.out`),
            30,
          )
        : names.map((n) => waitCaughtUp([`${n}.out`], 30)).join('\n')
    }
    ${names.map((n) => `kill -INT $p_${n}`).join('; ')}
    ${names.map((n) => `wait $p_${n}; echo $? > ${n}.rc`).join('; ')}
  `;
  runSh(NS, script, { timeoutMs: 90_000 });
}

describe.skipIf(skipReason)('conntrack -E read in its own process', () => {
  beforeAll(() => {
    netnsAdd(NS);
    netnsAdd(AWAY);
    runSh(NS, `mkdir -p ${OUT}`);
    writeFileSync(join(OUT, 'load.txt'), loadFile(ENTRIES, 100));
    writeFileSync(join(OUT, 'all443.txt'), loadFile(3000, 1));
    // koffi cannot load: every require of it throws
    writeFileSync(
      join(OUT, 'no-koffi.cjs'),
      `const M = require('node:module'); const load = M._load; M._load = function (r, ...a) { if (r === 'koffi') throw new Error('no koffi here'); return load.call(this, r, ...a); };\n`,
    );
  });
  afterAll(() => {
    runSh(NS, `rm -rf ${OUT}`);
    netnsDel(NS);
    netnsDel(AWAY);
  });

  it(`${ARGS}: in process, the lines of the receiver process and of userspace filtering, every match`, () => {
    listen(
      {
        own: `${CT} ${ARGS}`,
        receiver: `CONNTRACK_KERNEL_FILTER=receiver ${CT} ${ARGS}`,
        off: `CONNTRACK_KERNEL_FILTER=off ${CT} ${ARGS}`,
        nokoffi: `NODE_OPTIONS=--require=${OUT}/no-koffi.cjs ${CT} ${ARGS}`,
      },
      'load.txt',
    );
    // which reader each used: none of its own, the receiver process
    expect(['own', 'receiver', 'off', 'nokoffi'].map((n) => read(`${n}.kids`).trim())).toEqual(['0', '1', '1', '1']);
    const own = lines('own.out');
    expect(own.filter((l) => l.startsWith('    [NEW] tcp')).length).toBe(MATCHING);
    expect(own.filter((l) => l.startsWith('[DESTROY] tcp')).length).toBe(MATCHING);
    expect(own.every((l) => l.includes('dport=443'))).toBe(true);
    expect(read('own.out')).toMatch(/ progname=conntrack\n/);
    for (const other of ['receiver', 'off', 'nokoffi']) {
      expect(lines(`${other}.out`), other).toEqual(own);
      expect(read(`${other}.err`), other).toBe(read('own.err'));
      expect(read(`${other}.rc`), other).toBe('0\n');
    }
    expect(read('own.rc')).toBe('0\n');
    expect(read('own.err')).toBe(`conntrack v1.4.7 (conntrack-tools): ${2 * MATCHING} flow events have been shown.\n`);
  });

  it('--netns from another namespace: in process, the same lines as the receiver process; SIGTERM ends both', () => {
    const script = `
      cd ${OUT}
      ${CHILDREN}
      ip netns exec ${AWAY} env ${CT} --netns ${NS} ${ARGS} > ns-own.out 2> ns-own.err & a=$!
      CONNTRACK_KERNEL_FILTER=receiver ip netns exec ${AWAY} env ${CT} --netns ${NS} ${ARGS} > ns-rcv.out 2> ns-rcv.err & b=$!
      ${waitListeners(2)}
      children $a > ns-own.kids; children $b > ns-rcv.kids
      conntrack -R load.txt && conntrack -F 2>/dev/null
      ${waitCaughtUp(['ns-own.out', 'ns-rcv.out'], 30)}
      kill -TERM $a $b; wait $a; echo $? > ns-own.rc; wait $b; echo $? > ns-rcv.rc
    `;
    runSh(NS, script, { timeoutMs: 90_000 });
    expect([read('ns-own.kids').trim(), read('ns-rcv.kids').trim()]).toEqual(['0', '1']);
    const own = lines('ns-own.out');
    expect(own.length).toBe(2 * MATCHING);
    expect(read('ns-own.out')).toMatch(/ progname=conntrack\n/);
    expect(lines('ns-rcv.out')).toEqual(own);
    expect(read('ns-own.err')).toBe(`conntrack v1.4.7 (conntrack-tools): ${2 * MATCHING} flow events have been shown.\n`);
    expect(read('ns-rcv.err')).toBe(read('ns-own.err'));
    expect([read('ns-own.rc'), read('ns-rcv.rc')]).toEqual(['0\n', '0\n']);
  });

  it('the ENOBUFS warning exactly when events were lost: a socket too small for a burst of matches, and the default', () => {
    // every event matches: 6000 of them, into a socket of 8 KiB (lost) and into the default one (none lost)
    listen({ small: `${CT} ${ARGS} -b 4096`, big: `${CT} ${ARGS}` }, 'all443.txt', false);
    expect(read('small.kids').trim()).toBe('0');
    const small = lines('small.out');
    const smallErr = read('small.err');
    expect(smallErr).toMatch(/^NOTICE: Netlink socket buffer size has been set to \d+ bytes\.\n/);
    expect(small.length).toBeLessThan(6000);
    expect(smallErr).toContain('WARNING: We have hit ENOBUFS! We are losing events.\n');
    expect(smallErr).toMatch(new RegExp(`\nconntrack v1\\.4\\.7 \\(conntrack-tools\\): ${small.length} flow events have been shown\\.\n$`));
    expect(read('small.rc')).toBe('0\n');
    expect(lines('big.out').length).toBe(6000);
    expect(read('big.err')).toBe('conntrack v1.4.7 (conntrack-tools): 6000 flow events have been shown.\n');
  });
});
