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

/** Filters on the same real table (issue #3): each must select exactly what the reference selects. */
const FILTER_CASES: string[][] = [
  ['-L', '-p', 'tcp'],
  ['-L', '-p', 'tcp', '--dport', '80'],
  ['-L', '-p', 'TCP', '--orig-port-dst', '21'],
  ['-L', '-s', '10.200.1.2'],
  ['-L', '--orig-src', '10.200.1.0/24', '-o', 'extended'],
  ['-L', '-d', '10.200.2.0/24', '-p', 'tcp', '--state', 'ESTABLISHED'],
  ['-L', '-p', 'tcp', '--state', 'TIME_WAIT'],
  ['-L', '-p', 'tcp', '--state', 'LISTEN'],
  ['-L', '-p', 'udp', '--dport', '5000'],
  ['-L', '-r', '10.200.2.2'],
  ['-L', '-q', '10.200.1.2', '-p', 'tcp'],
  ['-L', '-m', '42'],
  ['-L', '-m', '0x2a/0xff'],
  ['-L', '-m', '0/0x80000000'],
  ['-L', '-u', 'ASSURED'],
  ['-L', '-u', 'UNREPLIED'],
  ['-L', '-u', '!ASSURED'],
  ['-L', '-u', 'SEEN_REPLY,ASSURED'],
  ['-L', '-u', 'ASSURED,!SEEN_REPLY'],
  ['-L', '-w', '5'],
  ['-L', '-w', '0'],
  ['-L', '--orig-zone', '7'],
  ['-L', '--reply-zone', '8'],
  ['-L', '-n'],
  ['-L', '-g'],
  ['-L', '-j'],
  ['-L', '-n', '-g'],
  ['-L', '-g', '10.200.2.2'],
  ['-L', '-g', '10.200.2.2:80'],
  ['-L', '-n', '10.200.2.1'],
  ['-L', '--src-nat', '[fd00:200:2::1]'],
  ['-L', '-f', 'ipv6', '-s', 'fd00:200:1::2'],
  ['-L', '-s', 'fd00:200:1::/48'],
  ['-L', '-p', 'icmp'],
  ['-L', '-p', 'icmp', '--icmp-type', '8'],
  ['-L', '-p', 'icmpv6', '--icmpv6-type', '128'],
  ['-L', '-p', 'ipv6-icmp'],
  ['-L', '-p', 'sctp', '--state', 'ESTABLISHED'],
  ['-L', '-p', 'gre', '--srckey', '0x10'],
  ['-L', '-p', '50'],
  ['-L', '-p', 'esp'],
  ['-L', '-p', 'tcp', '-z'],
  ['-L', '--mask-src', '255.255.0.0', '-s', '10.200.1.1'],
  ['-L', '--mask-src', '255.255.0.0'],
  ['-L', '-c', '5'],
  ['-L', '-i', '5'],
  ['-L', '-l', 'foo'],
  ['-L', '-l', 'foo,bar', '-o', 'labels'],
  ['-L', '-l', 'nosuchlabel'],
  ['-L', '-s', '10.200.1.2', '-d', '::1'],
  ['-L', '-s', '10.200.1.2', '-p', 'tcp', '--sport'],
  ['-G', '-s', '192.0.2.12', '-d', '198.51.100.12', '-p', 'gre', '--srckey', '16', '--dstkey', '32'],
  ['-G', '-s', '192.0.2.13', '-d', '198.51.100.13', '-p', 'udplite', '--sport', '6000', '--dport', '6001', '-o', 'xml'],
  ['-G', '-s', '192.0.2.16', '-d', '198.51.100.16', '-p', 'icmp', '--icmp-type', '13', '--icmp-code', '0', '--icmp-id', '77', '-o', 'save'],
  ['-G', '-s', '192.0.2.10', '-d', '198.51.100.10', '-p', 'sctp', '--sport', '5007', '--dport', '36412', '-o', 'extended,id'],
  ['-G', '-s', '192.0.2.12', '-d', '198.51.100.12', '-p', 'gre', '--srckey', '16', '--dstkey', '32', '-o', 'ktimestamp,labels'],
  ['-G', '-s', '192.0.2.1', '-d', '198.51.100.1', '-p', 'tcp', '--sport', '1000', '--dport', '80'],
  ['-G', '-r', '198.51.100.13', '-q', '192.0.2.13', '-p', 'udplite', '--reply-port-src', '6001', '--reply-port-dst', '6000'],
  ['-G', '-s', '192.0.2.15', '-d', '198.51.100.15', '-p', 'udp', '--sport', '1002', '--dport', '53'],
  ['-G', '-s', '192.0.2.1', '-d', '198.51.100.1', '-p', 'tcp'],
  ['-G', '-s', '2001:db8:1::13', '-d', '2001:db8:2::13', '-p', 'udplite', '--sport', '6000', '--dport', '6001'],
  ['-G'],
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

  for (const args of FILTER_CASES) {
    it(`filter: conntrack ${args.join(' ')}`, () => {
      expect(compareCommand(LAB, args, { labels: args.includes('-l') }).problem).toBeUndefined();
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
