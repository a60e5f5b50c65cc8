// -D and -F against the reference: the same network namespace is reset (flushed and reloaded from
// fixtures/tables/mixed.txt with the reference's -R) before each tool's run, so both start from an identical
// table in an identical hash order; output, messages, exit codes and the table left behind are compared.

import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { diffTolerant, netnsAdd, netnsDel, REPO, Run, runOurs, runRef, runSh, skipReason, sortedLines } from '../helpers/netns.js';

const NS = `ctit-del-${process.pid}`;
const TABLE = join(REPO, 'fixtures/tables/mixed.txt');

function reset(): void {
  runRef(NS, ['-F']);
  const r = runRef(NS, ['-R', TABLE]);
  if (r.status !== 0) throw new Error(`loading the table failed: ${r.stderr}`);
}

/** The table as the reference lists it, sorted (ids differ between loads and are left out). */
const tableNow = (): string => sortedLines(runRef(NS, ['-L']).stdout).join('\n');

/** conntrack ids are new after every reload: compare them through the entry, not as numbers. */
const dropIds = (s: string): string => s.replace(/ id=\d+/g, ' id=#').replace(/<id>\d+<\/id>/g, '<id>#</id>');

function both(args: string[] | (() => string[])): { ref: Run; ours: Run; refTable: string; oursTable: string } {
  reset();
  const ref = runRef(NS, typeof args === 'function' ? args() : args);
  const refTable = tableNow();
  reset();
  const ours = runOurs(NS, typeof args === 'function' ? args() : args);
  const oursTable = tableNow();
  return { ref, ours, refTable, oursTable };
}

function expectSame(args: string[] | (() => string[])): void {
  const r = both(args);
  expect(diffTolerant(dropIds(r.ref.stdout), dropIds(r.ours.stdout))).toBeUndefined();
  expect(r.ours.stderr).toBe(r.ref.stderr);
  expect(r.ours.status).toBe(r.ref.status);
  expect(diffTolerant(r.refTable, r.oursTable)).toBeUndefined();
}

const CASES: string[][] = [
  ['-D', '-p', 'udp'],
  ['-D', '-p', 'tcp', '--state', 'ESTABLISHED'],
  ['-D', '-p', 'tcp', '--dport', '443'],
  ['-D', '-s', '192.0.2.10'],
  ['-D', '-s', '192.0.2.0/28'],
  ['-D', '-d', '198.51.100.16', '-p', 'icmp'],
  ['-D', '-p', 'icmp', '--icmp-type', '13'],
  ['-D', '-r', '198.51.100.20'],
  ['-D', '-q', '192.0.2.17', '-p', 'tcp'],
  ['-D', '-m', '7'],
  ['-D', '-m', '0x1/0x1'],
  ['-D', '-w', '5'],
  ['-D', '--orig-zone', '3'],
  ['-D', '-u', 'ASSURED'],
  ['-D', '-u', 'SEEN_REPLY,ASSURED'],
  ['-D', '-n'],
  ['-D', '-g'],
  ['-D', '-j'],
  ['-D', '-g', '203.0.113.8:80'],
  ['-D', '-f', 'ipv6'],
  ['-D', '-s', '2001:db8:1::/48'],
  ['-D', '-p', 'sctp', '--state', 'COOKIE_WAIT'],
  ['-D', '-p', 'gre', '-o', 'save'],
  ['-D', '-p', 'udp', '-o', 'xml'],
  ['-D', '-p', 'icmp', '-o', 'extended,id'],
  ['-D', '-p', 'tcp', '--dport', '9999'],
  ['-D'],
  ['-D', '-s', '192.0.2.20', '-d', '198.51.100.20', '-p', 'tcp', '--sport', '1100', '--dport', '80'],
  ['-D', '-p', 'tcp', '-z'],
  ['-D', '-t', '5'],
  ['-F'],
  ['-F', '-f', 'ipv6'],
  ['-F', '-p', 'tcp'],
];

describe.skipIf(skipReason)('-D and -F on identical tables: ours and conntrack 1.4.7', () => {
  beforeAll(() => netnsAdd(NS));
  afterAll(() => netnsDel(NS));

  for (const args of CASES) it(`conntrack ${args.join(' ')}`, () => expectSame(args));

  it('conntrack -D --id N (1.4.7 crashes; both delete exactly that entry with -i N)', () => {
    // the id of one entry in the freshly loaded table
    const idOf = (): string => {
      const line = runRef(NS, ['-L', '-o', 'id', '-s', '192.0.2.22', '-p', 'udp', '--sport', '5353']).stdout;
      return /id=(\d+)/.exec(line)![1];
    };
    const viaShort = both(() => ['-D', '-i', idOf()]);
    reset();
    const ours = runOurs(NS, ['-D', '--id', idOf()]);
    expect(ours.status).toBe(0);
    expect(diffTolerant(viaShort.ref.stdout, ours.stdout)).toBeUndefined();
    expect(tableNow()).toBe(viaShort.refTable);
  });

  it('-D -u UNREPLIED deletes the unreplied entries only (1.4.7 deletes every entry)', () => {
    reset();
    const listed = runRef(NS, ['-L', '-u', 'UNREPLIED']);
    const kept = sortedLines(runRef(NS, ['-L', '-u', 'SEEN_REPLY']).stdout).join('\n');
    const ours = runOurs(NS, ['-D', '-u', 'UNREPLIED']);
    expect(listed.stdout.split('\n').length).toBeGreaterThan(3);
    expect(diffTolerant(listed.stdout, ours.stdout)).toBeUndefined();
    expect(ours.stderr).toBe(listed.stderr.replace('have been shown', 'have been deleted'));
    expect(diffTolerant(kept, tableNow())).toBeUndefined();
  });

  it('-D with a stdout that cannot be written: a clear error, exit 1, and no more than one batch deleted', () => {
    reset();
    const before = Number(runRef(NS, ['-C']).stdout);
    const r = runSh(NS, `CONNTRACK_ARGV0=conntrack node ${REPO}/bin/conntrack -D > /dev/full; echo "rc=$?"`);
    expect(r.stdout.trim()).toBe('rc=1');
    expect(r.stderr).toBe('conntrack v1.4.7 (conntrack-tools): write error: No space left on device\n');
    const after = Number(runRef(NS, ['-C']).stdout);
    expect(before - after).toBeLessThanOrEqual(128);
    expect(before - after).toBeGreaterThan(0);
  });

  it('-D -u !ASSURED deletes the entries without ASSURED only', () => {
    reset();
    const listed = runRef(NS, ['-L', '-u', '!ASSURED']);
    const ours = runOurs(NS, ['-D', '-u', '!ASSURED']);
    expect(diffTolerant(listed.stdout, ours.stdout)).toBeUndefined();
    expect(runRef(NS, ['-L', '-u', '!ASSURED']).stdout).toBe('');
  });
});
