// -R with runs of -U lines (answered from one dump, commands/update-run.ts) against conntrack 1.4.8, which runs them
// line by line (1.4.7's -U loses printed lines: 1.4.8 is the reference for -U, see modify.test.ts): the same table
// is loaded before each tool's run; output, messages, exit code and the table left behind are compared. Both
// releases take -m of every -U line from the file's last line, so the runs given to 1.4.8's -R set one mark; runs
// whose lines set different marks are compared with 1.4.8 running each line as its own command.

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compareOnTable, have148, loadedTable, netnsAdd, netnsDel, REPO, Run, run148, skipReason } from '../helpers/netns.js';

const NS = `ctit-rupd-${process.pid}`;
const bed = loadedTable(
  NS,
  ['fixtures/tables/mixed.txt', 'fixtures/tables/udp70.txt'].map((t) => join(REPO, t)),
);
let dir = '';

function writeLines(name: string, lines: string[]): string {
  const file = join(dir, name);
  writeFileSync(file, `${lines.join('\n')}\n`);
  return file;
}

/** The lines with -R under 1.4.8 and ours, each on a fresh copy of the table; everything compared. */
const expectSame = (name: string, lines: string[]): string => expectSameFile(writeLines(name, lines));

function expectSameFile(file: string): string {
  const { ref, problem } = compareOnTable(bed, (a) => run148(NS, a), ['-R', file]);
  expect(problem).toBeUndefined();
  return ref.stdout;
}

/** Each line as its own 1.4.8 command, one after the other, against ours' -R of them. */
function expectSameAsLineByLine(name: string, lines: string[]): string {
  const lineByLine = (): Run => {
    let stdout = '';
    for (const l of lines) {
      const r = run148(NS, l.split(' '));
      // a -U that updates nothing exits 1 (in -R it goes on)
      if (r.status !== 0) expect(r.stderr).toBe('conntrack v1.4.7 (conntrack-tools): 0 flow entries have been updated.\n');
      stdout += r.stdout;
    }
    return { stdout, stderr: '', status: 0 };
  };
  const { ref, problem } = compareOnTable(bed, lineByLine, ['-R', writeLines(name, lines)]);
  expect(problem).toBeUndefined();
  return ref.stdout;
}

// Lines that overlap, of both families, filtered by the kernel's part (family, tuple) and by userspace's (networks,
// NAT, states); no line matches the zoned entries (ours updates them where 1.4.8 fails: README, Differences).
// Setting 0x1 and toggling 0x2 (new = (old & ~0x1) ^ 0x3), every line changes every entry it matches again.
const TOGGLES = [
  '-U -p tcp --dport 443',
  '-U -s 192.0.2.17',
  '-U -f ipv6 -p tcp',
  '-U -p sctp',
  '-U -s 192.0.2.10 -p sctp',
  '-U -p udp --dport 5353',
  '-U -s 10.1.0.7',
  '-U -d 10.2.0.1 -p udp --sport 4007',
  '-U -s 192.0.2.0/28 -p icmp',
  '-U -g',
  '-U -p udp --dport 53 -d 198.51.100.22',
  '-U -f ipv6 -d 2001:db8:2::10',
].map((l) => `${l} -m 0x3/0x1`);

describe.skipIf(skipReason || !have148())('-R with runs of -U lines: ours (one dump per run) and conntrack 1.4.8 (one per line)', () => {
  beforeAll(() => {
    netnsAdd(NS);
    dir = mkdtempSync(join(tmpdir(), 'ct-rupd-'));
  });
  afterAll(() => {
    netnsDel(NS);
    rmSync(dir, { recursive: true, force: true });
  });

  it('a run whose lines change the entries of the lines before them again (each prints them again)', () => {
    const out = expectSame('toggles', TOGGLES);
    // 192.0.2.17's four tcp entries: by the first line, then by the second, and the DNAT one by -g
    expect(out.split('\n').filter((l) => l.includes('src=192.0.2.17 ')).length).toBe(9);
  });
  it('the same lines in the opposite order', () => expectSame('reversed', [...TOGGLES].reverse()));
  it('the fixture run: lines that find the entries already changed print nothing, status bits set line by line', () =>
    expectSameFile(join(REPO, 'fixtures/tables/load-updates.txt')));
  it('lines that all name the family and protocol: one dump the kernel filters by them', () => {
    const out = expectSame(
      'shared',
      ['-U -p udp -s 10.1.0.3', '-U -p udp -d 10.2.0.1 --sport 4003', '-U -p udp -s 192.0.2.22', '-U -p udp -s 10.1.0.9 --dport 5353'].map(
        (l) => `${l} -m 0x3/0x1`,
      ),
    );
    expect(out.split('\n').filter((l) => l.includes('src=10.1.0.3 ')).length).toBe(2);
  });
  it('runs broken by -I, -D and -F lines keep the order of effects', () =>
    expectSame('broken', [
      ...TOGGLES.slice(0, 3),
      '-I -s 192.0.2.17 -d 198.51.100.99 -p udp --sport 7000 --dport 53 -t 100',
      '-U -s 192.0.2.17 -m 0x3/0x1',
      '-D -s 10.1.0.7',
      ...TOGGLES.slice(5, 8),
      '-F -f ipv6',
      ...TOGGLES.slice(8),
    ]));
  it('a line whose own checks fail: the lines before it ran, the error is the same', () =>
    expectSame('bad-line', [...TOGGLES.slice(0, 3), '-U --mask-src 255.255.255.0 -m 0x3/0x1', ...TOGGLES.slice(3)]));
  it('lines with marks of their own, as each line run as its own command', () => {
    const out = expectSameAsLineByLine('own-marks', [
      '-U -p tcp --dport 443 -m 4',
      '-U -s 192.0.2.17 -m 4',
      '-U -s 192.0.2.21 -m 5',
      '-U -p udp --dport 5353 -m 0x10/0x10 -u ASSURED',
      '-U -s 10.1.0.9 -m 0x10/0x10',
      '-U -s 10.1.0.9 -m 0x30/0x30 -u SEEN_REPLY',
      '-U -f ipv6 -p tcp -m 6',
    ]);
    // 192.0.2.21: -m 4, then -m 5; 192.0.2.17 not again (its mark is 4 already); 10.1.0.9 twice
    expect(out.split('\n').filter((l) => l.includes('src=192.0.2.21 ')).length).toBe(4);
    expect(out.split('\n').filter((l) => l.includes('src=192.0.2.17 ')).length).toBe(4);
    expect(out.split('\n').filter((l) => l.includes('src=10.1.0.9 ')).length).toBe(2);
  });
});
