// -E's `[USERSPACE] portid=N progname=NAME` for requesters that do not stay: the name is found through the
// requester's socket (/proc/net/netlink, then the process holding it), so an event must be read while that socket
// is open. A conntrack -I closes its socket some 50 µs after its request, before any listener here is woken (the
// reference too names 1-3 of 6 on a loaded machine: a race no reader wins every time); a requester that keeps its
// socket 20 ms (test/helpers/held-requester.mjs) is named by every listener that reads at once. The in-process
// reader used to read the events of a new requester after its 50 ms gather pause, and so named few of them.
// Ours in-process, ours with the receiver process and the reference listen side by side.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { netnsAdd, netnsDel, REPO, runSh, skipReason, waitListeners, waitUntil } from '../helpers/netns.js';

const NS = `ctit-nm-${process.pid}`;
const OUT = `/tmp/ctit-nm-${process.pid}`;
const ARGS = '-E -p udp --dport 53 -o extended';
const OURS = `CONNTRACK_ARGV0=conntrack node ${REPO}/bin/conntrack ${ARGS}`;
const FILES = ['ref.out', 'ours.out', 'receiver.out'];

const read = (f: string): string[] => readFileSync(join(OUT, f), 'latin1').split('\n').filter(Boolean);

/** Starts the three listeners, runs `requests`, waits until each has `want` lines, and stops them by pid. */
function listenThree(requests: string, want: number): Record<string, string[]> {
  const enough = FILES.map((f) => `[ "$(grep -c . ${f})" -ge ${want} ]`).join(' && ');
  runSh(
    NS,
    `cd ${OUT}; rm -f ${FILES.join(' ')}
    bash -c 'exec -a conntrack /usr/sbin/conntrack "$@"' _ ${ARGS} > ref.out 2>/dev/null & R=$!
    ${OURS} > ours.out 2>/dev/null & O=$!
    CONNTRACK_KERNEL_FILTER=receiver ${OURS} > receiver.out 2>/dev/null & V=$!
    ${waitListeners(3)}
    ${requests}
    ${waitUntil(enough)}
    kill -INT $R $O $V; wait`,
    { timeoutMs: 30_000 },
  );
  return Object.fromEntries(FILES.map((f) => [f, read(f)]));
}

describe.skipIf(skipReason)('conntrack -E: the names of requesters that do not stay', () => {
  beforeAll(() => {
    netnsAdd(NS);
    runSh(NS, `mkdir -p ${OUT}`);
  });
  afterAll(() => {
    netnsDel(NS);
  });

  it('eight requests, each from a socket closed 20 ms after its answer: all named by ours (both readers), as by 1.4.7', () => {
    runSh(NS, 'conntrack -F 2>/dev/null');
    const out = listenThree(`node ${REPO}/test/helpers/held-requester.mjs ${REPO}/dist 8 20`, 8);
    const named = (lines: string[]): number => lines.filter((l) => / \[USERSPACE\] portid=\d+ progname=ct-requester$/.test(l)).length;
    for (const f of FILES) {
      expect(out[f].length, f).toBe(8);
      for (const l of out[f])
        expect(l, f).toMatch(/^ {4}\[NEW\] ipv4 {5}2 udp {6}17 \d+ src=10\.9\.0\.\d .* \[USERSPACE\] portid=\d+( progname=\S+)?$/);
    }
    expect(named(out['ours.out']), out['ours.out'].join('\n')).toBe(8);
    expect(named(out['receiver.out']), out['receiver.out'].join('\n')).toBe(8);
    expect(named(out['ours.out'])).toBeGreaterThanOrEqual(named(out['ref.out']));
  });

  it('six conntrack -I, each its own process, and a -D: every event, in the format of 1.4.7', () => {
    runSh(NS, 'conntrack -F 2>/dev/null');
    const inserts = [1, 2, 3, 4, 5, 6]
      .map((n) => `conntrack -I -p udp -s 10.0.0.${n} -d 10.0.0.1 --sport 1000 --dport 53 -t 30 2>/dev/null`)
      .join('; ');
    const out = listenThree(`${inserts}; conntrack -D -p udp --dport 53 >/dev/null 2>&1`, 12);
    // whether each line names its requester is the race described above, for the reference as for ours
    const shape = (l: string): string => l.replace(/ \d+ src=/, ' T src=').replace(/ portid=\d+( progname=conntrack)?$/, ' portid=P');
    const sorted = (lines: string[]): string[] => lines.map(shape).sort();
    expect(out['ours.out'].length).toBe(12);
    expect(sorted(out['ours.out'])).toEqual(sorted(out['ref.out']));
    expect(sorted(out['receiver.out'])).toEqual(sorted(out['ref.out']));
  });
});
