// The deliberate differences from conntrack 1.4.7 that README.md "Differences from conntrack 1.4.7" names, each
// shown side by side with the reference (and 1.4.8 where it decides) on a real table in a private network
// namespace: what we do, and that 1.4.7 really does otherwise.

import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  diffTolerant,
  netnsAdd,
  netnsDel,
  REPO,
  REF,
  REF148,
  Run,
  run148 as run148In,
  runOurs,
  runRef,
  runSh,
  skipReason,
  sortedLines,
} from '../helpers/netns.js';

const NS = `ctit-diff-${process.pid}`;
const TMP = mkdtempSync(join(tmpdir(), 'ctit-diff-'));

const run148 = (args: string[]): Run => run148In(NS, args);

/** `TOOL -R FILE` for a file of lines */
function load(tool: 'ref' | 'ours', lines: string[]): Run {
  const file = join(TMP, `load-${tool}.txt`);
  writeFileSync(file, lines.join('\n') + '\n');
  return tool === 'ref' ? runRef(NS, ['-R', file]) : runOurs(NS, ['-R', file]);
}

const flush = (): void => void runRef(NS, ['-F']);
/** The source addresses of the entries -L (or -D) printed, sorted */
const sources = (out: string): string[] =>
  out
    .split('\n')
    .filter(Boolean)
    .map((l) => /src=(\S+)/.exec(l)![1])
    .sort();
/** "--orig-vtag A --reply-vtag B" of each saved line */
const vtags = (save: string): string[] =>
  save
    .split('\n')
    .filter(Boolean)
    .map((l) => /--orig-vtag \d+ --reply-vtag \d+/.exec(l)![0]);
const bswap32 = (n: number): number => Buffer.from(Uint32Array.of(n).buffer).readUInt32BE(0);

describe.skipIf(skipReason)('deliberate differences from conntrack 1.4.7', () => {
  beforeAll(() => {
    netnsAdd(NS);
    // a NAT hook, so that -I with --src-nat/--dst-nat sets up NAT (SRC_NAT_DONE/DST_NAT_DONE) as traffic would
    runSh(
      NS,
      'nft add table inet n; nft add chain inet n pre "{ type nat hook prerouting priority dstnat; }"; nft add chain inet n post "{ type nat hook postrouting priority srcnat; }"',
    );
  });
  afterAll(() => netnsDel(NS));

  describe("SCTP verification tags are the kernel's (the packets') value", () => {
    const SCTP = (src: string, orig: number, reply: number): string =>
      `-I -p sctp -s ${src} -d 192.0.2.2 --sport 1 --dport 2 --state ESTABLISHED --orig-vtag ${orig} --reply-vtag ${reply} -t 100`;
    const A = 305419896; // 0x12345678
    const B = 16909060; // 0x01020304

    it('-I --orig-vtag N stores N, and -o save prints it back; 1.4.7 byte-swaps both ways', () => {
      flush();
      expect(load('ours', [SCTP('192.0.2.1', A, B)]).status).toBe(0);
      expect(vtags(runOurs(NS, ['-L', '-o', 'save']).stdout)).toEqual([`--orig-vtag ${A} --reply-vtag ${B}`]);
      // 1.4.7 reads the kernel's value byte-swapped (on this little-endian machine) ...
      expect(vtags(runRef(NS, ['-L', '-o', 'save']).stdout)).toEqual([`--orig-vtag ${bswap32(A)} --reply-vtag ${bswap32(B)}`]);
      // ... and stores its -I value byte-swapped: each of the two is consistent with itself
      flush();
      expect(load('ref', [SCTP('192.0.2.1', A, B)]).status).toBe(0);
      expect(vtags(runRef(NS, ['-L', '-o', 'save']).stdout)).toEqual([`--orig-vtag ${A} --reply-vtag ${B}`]);
      expect(vtags(runOurs(NS, ['-L', '-o', 'save']).stdout)).toEqual([`--orig-vtag ${bswap32(A)} --reply-vtag ${bswap32(B)}`]);
    });

    it("our -L -o save restored by our -R sets the same vtags; restored by 1.4.7's -R (or ours from 1.4.7's save), swapped", () => {
      flush();
      load('ours', [SCTP('192.0.2.1', A, B), SCTP('192.0.2.3', 7, 0)]);
      const saved = runOurs(NS, ['-L', '-o', 'save']).stdout;
      const kernel = vtags(saved).sort();
      const restore = (tool: 'ref' | 'ours', lines: string): string[] => {
        flush();
        expect(load(tool, lines.split('\n').filter(Boolean)).status).toBe(0);
        return vtags(runOurs(NS, ['-L', '-o', 'save']).stdout).sort();
      };
      expect(restore('ours', saved)).toEqual(kernel);
      const swapped = kernel.map((v) => v.replace(/\d+/g, (n) => String(bswap32(Number(n))))).sort();
      expect(restore('ref', saved)).toEqual(swapped);
      // 1.4.7's own save round-trips through its own -R
      flush();
      load('ours', [SCTP('192.0.2.1', A, B), SCTP('192.0.2.3', 7, 0)]);
      const refSaved = runRef(NS, ['-L', '-o', 'save']).stdout;
      expect(restore('ref', refSaved)).toEqual(kernel);
      expect(restore('ours', refSaved)).toEqual(swapped);
    });
  });

  describe('--src-nat/--dst-nat/--any-nat with an IPv6 address compare the address', () => {
    const TABLE = [
      '-I -s 2001:db8::10 -d 2001:db8::20 -p tcp --sport 1 --dport 8080 --state ESTABLISHED -t 100 --dst-nat [2001:db8::1]:80',
      '-I -s 2001:db8::11 -d 2001:db8::20 -p tcp --sport 1 --dport 8080 --state ESTABLISHED -t 100 --dst-nat [2001:db8::2]:80',
      '-I -s 2001:db8::12 -d 2001:db8::20 -p tcp --sport 1 --dport 8080 --state ESTABLISHED -t 100 --dst-nat 2001:db8::1',
      '-I -s 2001:db8::13 -d 2001:db8::20 -p tcp --sport 1 --dport 8080 --state ESTABLISHED -t 100 --src-nat [2001:db8::1]:80',
      '-I -s 192.0.2.1 -d 192.0.2.2 -p tcp --sport 1 --dport 8080 --state ESTABLISHED -t 100 --dst-nat 192.0.2.9:80',
      '-I -s 192.0.2.3 -d 192.0.2.2 -p tcp --sport 1 --dport 8080 --state ESTABLISHED -t 100 --dst-nat 192.0.2.8:80',
    ];
    const reload = (): void => {
      flush();
      const r = load('ref', TABLE);
      if (r.status !== 0) throw new Error(`loading the NAT table failed: ${r.stderr}`);
    };

    for (const [args, ours, ref] of [
      [['--dst-nat', '[2001:db8::1]:80'], ['2001:db8::10'], ['2001:db8::10', '2001:db8::11']],
      [
        ['--dst-nat', '2001:db8::1'],
        ['2001:db8::10', '2001:db8::12'],
        ['2001:db8::10', '2001:db8::11', '2001:db8::12'],
      ],
      [['--dst-nat', '2001:db8::9'], [], ['2001:db8::10', '2001:db8::11', '2001:db8::12']],
      [['--src-nat', '[2001:db8::9]:80'], [], ['2001:db8::13']],
      [
        ['--any-nat', '[2001:db8::1]:80'],
        ['2001:db8::10', '2001:db8::13'],
        ['2001:db8::10', '2001:db8::11', '2001:db8::13'],
      ],
      // IPv4 addresses: the same as 1.4.7
      [['--dst-nat', '192.0.2.9:80'], ['192.0.2.1'], ['192.0.2.1']],
    ] as Array<[string[], string[], string[]]>) {
      // --any-nat is for -L (and -E, -U) only: -D says `Illegal option', as 1.4.7 does
      const del = args[0] !== '--any-nat';
      it(`-L${del ? ' and -D' : ''} ${args.join(' ')}`, () => {
        reload();
        const l = runOurs(NS, ['-L', ...args]);
        expect(sources(l.stdout)).toEqual(ours);
        expect(sources(runRef(NS, ['-L', ...args]).stdout)).toEqual(ref);
        if (existsSync(REF148)) expect(sources(run148(['-L', ...args]).stdout)).toEqual(ref); // not fixed in 1.4.8
        if (!del) return;
        const before = sources(runRef(NS, ['-L']).stdout);
        const d = runOurs(NS, ['-D', ...args]);
        expect(sources(d.stdout)).toEqual(ours);
        expect(d.status).toBe(ours.length ? 0 : 1);
        // exactly those are gone
        expect(sources(runRef(NS, ['-L']).stdout)).toEqual(before.filter((s) => !ours.includes(s)));
        reload();
        expect(sources(runRef(NS, ['-D', ...args]).stdout)).toEqual(ref);
      });
    }
  });

  it('-L > /dev/full: "write error: No space left on device", exit 1; 1.4.7 prints its summary and exits 0', () => {
    flush();
    load('ref', ['-I -s 192.0.2.1 -d 192.0.2.2 -p udp --sport 1 --dport 2 -t 100']);
    const ours = runSh(NS, `CONNTRACK_ARGV0=conntrack node ${REPO}/bin/conntrack -L > /dev/full; echo "rc=$?"`);
    expect(ours.stdout).toBe('rc=1\n');
    expect(ours.stderr).toBe('conntrack v1.4.7 (conntrack-tools): write error: No space left on device\n');
    const ref = runSh(NS, `${REF} -L > /dev/full; echo "rc=$?"`);
    expect(ref.stdout).toBe('rc=0\n');
    expect(ref.stderr).toBe('conntrack v1.4.7 (conntrack-tools): 1 flow entries have been shown.\n');
  });

  it('-L 2>&1 into one pipe: the summary comes after every entry; 1.4.7 puts it after its first 4096 bytes', () => {
    flush();
    const lines: string[] = [];
    for (let i = 0; i < 60; i++) lines.push(`-I -s 10.3.0.${i} -d 10.4.0.1 -p udp --sport 1 --dport 2 -t 100`);
    load('ref', lines);
    const summary = 'conntrack v1.4.7 (conntrack-tools): 60 flow entries have been shown.\n';
    const alone = runOurs(NS, ['-L']).stdout;
    expect(alone.length).toBeGreaterThan(4096);
    const ours = runSh(NS, `CONNTRACK_ARGV0=conntrack node ${REPO}/bin/conntrack -L 2>&1 | cat`).stdout;
    // the same entries (a timeout may tick between the two runs)
    expect(diffTolerant(sortedLines(alone).join('\n'), sortedLines(ours.slice(0, -summary.length)).join('\n'))).toBeUndefined();
    expect(ours.endsWith(summary)).toBe(true);
    // 1.4.7: stdout is block-buffered when not a terminal, the summary goes out as its first block fills
    const ref = runSh(NS, `${REF} -L 2>&1 | cat`).stdout;
    expect(ref.indexOf(summary)).toBe(4096);
    // and under 4 KiB, before all of the output
    flush();
    load('ref', lines.slice(0, 3));
    const small = runSh(NS, `${REF} -L 2>&1 | cat`).stdout;
    expect(small.startsWith('conntrack v1.4.7 (conntrack-tools): 3 flow entries have been shown.\n')).toBe(true);
    const oursSmall = runSh(NS, `CONNTRACK_ARGV0=conntrack node ${REPO}/bin/conntrack -L 2>&1 | cat`).stdout;
    expect(oursSmall.split('\n')).toHaveLength(5);
    expect(oursSmall.endsWith('conntrack v1.4.7 (conntrack-tools): 3 flow entries have been shown.\n')).toBe(true);
  });

  it.skipIf(!existsSync(REF148))('-I -m 0x11 -u SEEN_REPLY keeps the mark (1.4.8; 1.4.7 sets mark 2)', () => {
    const args = [
      '-I',
      '-s',
      '1.1.1.1',
      '-d',
      '2.2.2.2',
      '-p',
      'udp',
      '--sport',
      '1',
      '--dport',
      '2',
      '-t',
      '50',
      '-m',
      '0x11',
      '-u',
      'SEEN_REPLY',
    ];
    const markAfter = (run: (a: string[]) => Run): string => {
      flush();
      run(args);
      return / mark=(\d+)/.exec(runRef(NS, ['-L']).stdout)![1];
    };
    expect(markAfter((a) => runOurs(NS, a))).toBe('17');
    expect(markAfter(run148)).toBe('17');
    expect(markAfter((a) => runRef(NS, a))).toBe('2');
  });
});
