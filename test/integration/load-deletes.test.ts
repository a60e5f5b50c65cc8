// -R with runs of -D lines (answered from one dump, commands/delete-run.ts) against the reference, which runs them
// line by line: the same table is loaded before each tool's run; output, messages, exit code and the table left
// behind are compared.

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compareOnTable, loadedTable, netnsAdd, netnsDel, REPO, runRef, skipReason } from '../helpers/netns.js';

const NS = `ctit-rdel-${process.pid}`;
const bed = loadedTable(NS, [join(REPO, 'fixtures/tables/mixed.txt')]);
let dir = '';

/** Runs the lines with -R under both tools, each on a fresh copy of the table, and compares everything. */
function expectSame(name: string, lines: string[]): string {
  const file = join(dir, name);
  writeFileSync(file, `${lines.join('\n')}\n`);
  const { ref, problem } = compareOnTable(bed, (a) => runRef(NS, a), ['-R', file]);
  expect(problem).toBeUndefined();
  return ref.stdout;
}

// lines that overlap (an entry matched by several goes to the first), of both families, filtered by the kernel's
// part (family, mark, status, tuple) and by userspace's (networks, NAT, zone, states)
const DELETES = [
  '-D -p tcp --dport 443',
  '-D -s 192.0.2.10',
  '-D -f ipv6 -p udplite',
  '-D -m 7',
  '-D -s 192.0.2.0/28',
  '-D -d 198.51.100.16 -p icmp',
  '-D -r 198.51.100.20',
  '-D -u SEEN_REPLY,ASSURED',
  '-D -p sctp --state COOKIE_WAIT',
  '-D -s 192.0.2.20 -d 198.51.100.20 -p tcp --sport 1100 --dport 80',
  '-D -q 192.0.2.17 -p tcp',
  '-D --orig-zone 3',
  '-D -g',
  '-D -f ipv6 -s 2001:db8:1::13',
  '-D -f ipv6 -d 2001:db8:2::10 -p sctp',
  '-D -s 2001:db8:1::/48',
  '-D -d 198.51.100.10',
  '-D -p tcp --dport 9999',
  '-D -m 0x1/0x1',
  '-D -p udp',
];

describe.skipIf(skipReason)('-R with runs of -D lines: ours (one dump per run) and conntrack 1.4.7 (one per line)', () => {
  beforeAll(() => {
    netnsAdd(NS);
    dir = mkdtempSync(join(tmpdir(), 'ct-rdel-'));
  });
  afterAll(() => {
    netnsDel(NS);
    rmSync(dir, { recursive: true, force: true });
  });

  it('a run of overlapping -D lines', () => expectSame('run', DELETES));
  it('the same lines in the opposite order', () => expectSame('reversed', [...DELETES].reverse()));
  it('lines looked up by exact IPv6 and IPv4 addresses, source and destination', () => {
    const out = expectSame('addresses', [
      '-D -f ipv6 -s 2001:db8:1::13',
      '-D -d 2001:db8:2::10',
      '-D -s 192.0.2.10',
      '-D -d 198.51.100.16',
      '-D -f ipv6',
    ]);
    // each line deleted something
    for (const a of ['src=2001:db8:1::13 ', 'dst=2001:db8:2::10 ', 'src=192.0.2.10 ', 'dst=198.51.100.16 ']) expect(out).toContain(a);
  });
  it('a run that ends with a -D of everything', () => expectSame('all', [...DELETES.slice(0, 6), '-D']));
  it('runs broken by -I and -F lines keep the order of effects', () =>
    expectSame('broken', [
      ...DELETES.slice(0, 4),
      '-I -s 192.0.2.10 -d 198.51.100.99 -p udp --sport 7000 --dport 53 -t 100',
      '-D -s 192.0.2.10',
      '-D -p udp --dport 53',
      '-F -f ipv6',
      ...DELETES.slice(4),
    ]));
  it('lines that all name the family and protocol: one dump the kernel filters by them', () => {
    const out = expectSame('shared', [
      '-D -p udp -s 192.0.2.22',
      '-D -p udp -s 192.0.2.23 --dport 53',
      '-D -p udp -d 198.51.100.22',
      '-D -p udp -s 192.0.2.19 --sport 123',
      '-D -p udp -s 192.0.2.10',
    ]);
    expect(out).toContain('src=192.0.2.19 ');
  });
  it('a line whose own checks fail: the lines before it ran, the error is the same', () =>
    expectSame('bad-line', [...DELETES.slice(0, 3), '-D --mask-src 255.255.255.0', ...DELETES.slice(3)]));
});
