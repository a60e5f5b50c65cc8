// -L, -C, -S against the reference on a real table: the lab (real traffic through nft NAT and helpers, plus
// entries loaded with the reference's -R), in private network namespaces created and removed here.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compareCommand, lab, netnsAdd, netnsDel, runOurs, runSh, skipReason } from '../helpers/netns.js';

const LAB = `ctit-list-${process.pid}`;
const EMPTY = `ctit-empty-${process.pid}`;

const LIST_CASES: string[][] = [
  ['-L'],
  ['-L', 'conntrack'],
  ['-L', '-o', 'extended'],
  ['-L', '-o', 'id'],
  ['-L', '-o', 'save'],
  ['-L', '-o', 'xml'],
  ['-L', '-o', 'ktimestamp'],
  ['-L', '-o', 'extended,id,ktimestamp'],
  ['-L', '-o', 'xml,ktimestamp,id,extended'],
  ['-L', '-o', 'userspace'],
  ['-L', '-o', 'timestamp'],
  ['-L', '-o', 'labels'],
  ['-L', '-f', 'ipv4'],
  ['-L', '-f', 'ipv6', '-o', 'extended'],
  ['-L', '-f', 'ipv6', '-o', 'save'],
  ['--dump', '--family=ipv6', '--output=xml'],
  ['-L', 'dying'],
  ['-L', 'unconfirmed'],
  ['-L', '-o', 's'],
  ['-L', '-o', 'save,id'],
  ['-L', '-o', 'bogus'],
  ['-L', '-o', ''],
  ['-L', '-f', 'ipx'],
  ['-L', '-t', '5'],
  ['-L', '-L'],
  ['-L', 'foo'],
  ['-C'],
  ['-S'],
  ['-S', 'expect'],
  ['-V'],
  ['--version'],
  ['-h'],
  ['-h', '-p', 'tcp'],
  ['-h', '-p', 'esp'],
  [],
  ['-x'],
  ['-xL'],
  ['--sr', '1'],
  ['-C', '-f', 'ipv4'],
];

describe.skipIf(skipReason)('listing a real table: ours and conntrack 1.4.7 back to back', () => {
  beforeAll(() => {
    lab('build-labels', LAB);
    netnsAdd(EMPTY);
  });
  afterAll(() => {
    lab('destroy', LAB);
    netnsDel(EMPTY);
  });

  for (const args of LIST_CASES) {
    it(`conntrack ${args.join(' ')}`, () => {
      const { problem, ref } = compareCommand(LAB, args, { labels: args.includes('labels') });
      expect(problem).toBeUndefined();
      if (args[0] === '-L' && args.length === 1) expect(ref.stdout.split('\n').length).toBeGreaterThan(50);
    });
  }

  for (const args of [['-L'], ['-L', '-o', 'xml'], ['-C'], ['-L', 'dying']]) {
    it(`empty table: conntrack ${args.join(' ')}`, () => {
      expect(compareCommand(EMPTY, args).problem).toBeUndefined();
    });
  }

  it('-L | head -1 prints one line and ends quietly', () => {
    const r = runSh(LAB, `set -o pipefail; node ${process.cwd()}/bin/conntrack -L | head -1; echo "status=$?"`);
    const lines = r.stdout.trim().split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[1]).toMatch(/^status=(0|141)$/);
    expect(r.stderr).not.toMatch(/Error|EPIPE|at /);
  });

  it('-L output that cannot be written (/dev/full) is an error, exit 1', () => {
    const r = runSh(LAB, `node ${process.cwd()}/bin/conntrack -L > /dev/full; echo "status=$?"`);
    expect(r.stdout.trim()).toBe('status=1');
    expect(r.stderr).toMatch(/No space left on device/);
  });

  it('our -C equals the number of lines of our -L', () => {
    const n = Number(runOurs(LAB, ['-C']).stdout.trim());
    const lines = runOurs(LAB, ['-L']).stdout.split('\n').length - 1;
    expect(n).toBe(lines);
  });
});
