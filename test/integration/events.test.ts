// -E against the reference: both listen at the same time in the same network namespace while the reference's
// -I/-U/-D and real traffic make events; their streams are compared (timeouts and event timestamps within a
// tolerance, progname= dropped: whether the requester is still alive when it is looked up is a race).

import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  diffTolerant,
  netnsAdd,
  netnsDel,
  REPO,
  runSh,
  skipReason,
  waitCaughtUp,
  waitExited,
  waitLine,
  waitListeners,
  waitUntil,
} from '../helpers/netns.js';

const NS = `ctit-ev-${process.pid}`;
const OUT = `/tmp/ctit-ev-${process.pid}`;

/** Events made while both listen: real ICMP over loopback (nft makes the netns track it) and ctnetlink changes. */
const TRAFFIC = [
  'conntrack -I -s 1.1.1.1 -d 2.2.2.2 -p tcp --sport 1 --dport 2 --state ESTABLISHED -t 50 -m 3 >/dev/null 2>&1',
  'conntrack -I -s 2001:db8::1 -d 2001:db8::2 -p udp --sport 5 --dport 6 -t 40 >/dev/null 2>&1',
  'conntrack -U -s 1.1.1.1 -m 5 >/dev/null 2>&1',
  'ping -c 1 -W 1 127.0.0.1 >/dev/null 2>&1 || true',
  'conntrack -D -s 1.1.1.1 >/dev/null 2>&1',
  'conntrack -D -f ipv6 >/dev/null 2>&1',
].join('; ');

/**
 * Starts ours and the reference with the same arguments, makes the events, waits until both have caught up, and
 * stops both (by pid) with the signal; each one's exit status is that of the listener itself.
 */
function listenBoth(
  args: string[],
  signal = 'INT',
): { ref: string; ours: string; refErr: string; oursErr: string; refRc: string; oursRc: string } {
  const a = args.map((x) => `'${x}'`).join(' ');
  const script = `
    cd ${OUT}
    : > ref.out; : > ours.out
    bash -c 'exec -a conntrack /usr/sbin/conntrack "$@"' _ ${a} > ref.out 2> ref.err & r=$!
    CONNTRACK_ARGV0=conntrack node ${REPO}/bin/conntrack ${a} > ours.out 2> ours.err & o=$!
    ${waitListeners(2)}
    ${TRAFFIC}
    ${waitCaughtUp(['ref.out', 'ours.out'])}
    kill -${signal} $r $o
    wait $r; echo $? > ref.rc
    wait $o; echo $? > ours.rc
  `;
  runSh(NS, script, { timeoutMs: 30_000 });
  const read = (f: string): string => readFileSync(join(OUT, f), 'latin1');
  return {
    ref: read('ref.out'),
    ours: read('ours.out'),
    refErr: read('ref.err'),
    oursErr: read('ours.err'),
    refRc: read('ref.rc'),
    oursRc: read('ours.rc'),
  };
}

const normalize = (s: string): string =>
  s
    .replace(/ progname=\S+/g, '')
    .replace(/^\[\d{8,}\.\d{6}\]\t/gm, '[TS]\t')
    .replace(/<when>.*?<\/when>/g, '<when/>');

describe.skipIf(skipReason)('conntrack -E: ours and the reference listening side by side', () => {
  beforeAll(() => {
    netnsAdd(NS);
    runSh(
      NS,
      'ip link set lo up; nft add table ip t; nft add chain ip t o "{ type filter hook output priority 0; }"; nft add rule ip t o ct state new accept',
    );
    runSh(NS, `mkdir -p ${OUT}`);
  });
  afterAll(() => {
    netnsDel(NS);
  });

  for (const args of [
    ['-E'],
    ['-E', '-o', 'extended,id'],
    ['-E', '-o', 'timestamp'],
    ['-E', '-o', 'xml'],
    ['-E', '-o', 'xml,timestamp'],
    ['-E', '-o', 'save'],
    ['-E', '-e', 'NEW'],
    ['-E', '-e', 'UPDATES,DESTROY'],
    ['-E', '-p', 'tcp'],
    ['-E', '-f', 'ipv6'],
    ['-E', '-s', '1.1.1.1', '-o', 'userspace'],
    ['-E', '-m', '5'],
  ]) {
    it(`conntrack ${args.join(' ')}`, () => {
      const r = listenBoth(args);
      expect(r.ref.split('\n').length).toBeGreaterThan(1);
      expect(diffTolerant(normalize(r.ref).replace(/ id=\d+/g, ''), normalize(r.ours).replace(/ id=\d+/g, ''))).toBeUndefined();
      expect(r.oursErr).toBe(r.refErr);
      expect(r.oursRc.trim()).toBe('0');
      expect(r.refRc.trim()).toBe('0');
    });
  }

  // A requester in another process (test/helpers/staying-requester.mjs, named conntrack: 150 entries created, then
  // deleted) makes 300 events while both listen, all through one socket it keeps open until both listeners have
  // them: every line of both names it. (A requester that exits at once is named only by a listener that reads its
  // first event before it goes, a race no listener wins every time: event-names.test.ts. The reference may lose
  // some of these events to ENOBUFS: the lines it has are compared with ours for the same entry.)
  for (const opts of [[], ['-o', 'userspace'], ['-o', 'save'], ['-o', 'xml,extended'], ['-e', 'DESTROY', '-o', 'timestamp']]) {
    it(`conntrack -E ${opts.join(' ')}: [USERSPACE] portid=N progname=conntrack of another process's requests`, () => {
      const n = 150;
      const want = opts.includes('DESTROY') ? n : 2 * n;
      const a = ['-E', ...opts].map((x) => `'${x}'`).join(' ');
      runSh(
        NS,
        `cd ${OUT}; rm -f prog-ref.out prog-ours.out prog.done
        bash -c 'exec -a conntrack /usr/sbin/conntrack "$@"' _ ${a} > prog-ref.out 2> prog-ref.err & R=$!
        CONNTRACK_ARGV0=conntrack node ${REPO}/bin/conntrack ${a} > prog-ours.out 2>/dev/null & O=$!
        ${waitListeners(2)}
        node ${REPO}/test/helpers/staying-requester.mjs ${REPO}/dist ${n} ${OUT}/prog.done & Q=$!
        ${waitUntil(`[ "$(grep -c USERSPACE prog-ours.out)" -ge ${want} ] && { [ "$(grep -c USERSPACE prog-ref.out)" -ge ${want} ] || grep -q ENOBUFS prog-ref.err; }`, 20)}
        touch prog.done; wait $Q
        kill -INT $R $O; wait $R $O`,
        { timeoutMs: 40_000 },
      );
      const entries = (file: string): Map<string, string> => {
        const m = new Map<string, string>();
        for (const l of readFileSync(`${OUT}/${file}`, 'latin1').split('\n')) {
          if (!l.includes(' [USERSPACE] ')) continue;
          // an event is its kind and its entry's source address
          m.set(`${/NEW|DESTROY|"new"|"destroy"|^-A|^-D/.exec(l)?.[0]} ${/10\.5\.\d+\.\d+/.exec(l)?.[0]}`, l);
        }
        return m;
      };
      const ref = entries('prog-ref.out');
      const ours = entries('prog-ours.out');
      expect(ours.size).toBe(want);
      expect(ref.size).toBeGreaterThan(0);
      for (const l of ours.values()) expect(l).toMatch(/ \[USERSPACE\] portid=\d+ progname=conntrack$/);
      for (const [k, r] of ref) {
        expect(r).toMatch(/ \[USERSPACE\] portid=\d+ progname=conntrack$/);
        const o = ours.get(k);
        expect(o, k).toBeDefined();
        expect(diffTolerant(normalize(r), normalize(o!))).toBeUndefined();
      }
    });
  }

  it('SIGTERM ends the stream with the summary line and exit 0', () => {
    const r = listenBoth(['-E', '-o', 'xml'], 'TERM');
    expect(r.oursErr).toBe(r.refErr);
    expect(r.ours.endsWith('</conntrack>\n')).toBe(true);
    expect(r.oursRc.trim()).toBe('0');
  });

  it('the event receiver of an -E killed outright (SIGKILL) goes away by itself', () => {
    const r = runSh(
      NS,
      `node ${REPO}/bin/conntrack -E > /dev/null 2>&1 & p=$!; ${waitListeners(1)}; c=$(pgrep -P $p); echo "child=$c";` +
        ` kill -9 $p; ${waitExited('c')}`,
      { timeoutMs: 20_000 },
    );
    expect(r.stdout).toMatch(/^child=\d+\n/);
    expect(r.stdout).toMatch(/gone\n$/);
  });

  it('-b sizes the event socket and says so', () => {
    const r = listenBoth(['-E', '-b', '1000000']);
    expect(r.oursErr.split('\n')[0]).toBe('NOTICE: Netlink socket buffer size has been set to 2000000 bytes.');
    expect(r.oursErr).toBe(r.refErr);
  });

  it('-E | head -n 2 ends quietly when head goes away', () => {
    // head has gone once it has written its two lines; the events that follow make ours write into the closed pipe
    const r = runSh(
      NS,
      `cd ${OUT}; : > head.out; (sh -c 'echo $$ > head.pid; exec node ${REPO}/bin/conntrack -E' 2>head.err | head -n 2 > head.out) &` +
        ` ${waitListeners(1)}; ${TRAFFIC}; ${waitUntil('[ "$(wc -l < head.out)" -ge 2 ]')};` +
        ` ${TRAFFIC}; p=$(cat head.pid); ${waitExited('p')}; wait`,
      { timeoutMs: 30_000 },
    );
    expect(r.stdout).toBe('gone\n');
    expect(readFileSync(`${OUT}/head.out`, 'latin1').split('\n').filter(Boolean)).toHaveLength(2);
    expect(readFileSync(`${OUT}/head.err`, 'latin1')).toBe('');
  });

  it('a burst that overruns the socket: the ENOBUFS warning, and the stream goes on', () => {
    const lines: string[] = [];
    for (let i = 0; i < 40000; i++) lines.push(`-I -s 10.9.${i >> 8}.${i & 255} -d 10.8.0.1 -p udp --sport 1 --dport 2 -t 30`);
    writeFileSync(`${OUT}/burst.txt`, lines.join('\n') + '\n');
    runSh(
      NS,
      `cd ${OUT}; : > burst.out; CONNTRACK_ARGV0=conntrack node ${REPO}/bin/conntrack -E -e NEW > burst.out 2> burst.err & p=$!; ${waitListeners(1)};` +
        ` conntrack -R burst.txt; conntrack -F 2>/dev/null; ${waitCaughtUp(['burst.out'], 30)};` +
        ` conntrack -I -s 7.7.7.7 -d 8.8.8.8 -p udp --sport 1 --dport 2 -t 5 >/dev/null 2>&1; ${waitLine('burst.out', 'src=7\\.7\\.7\\.7 ', 20)}; kill -INT $p; wait $p; echo $? > burst.rc`,
      { timeoutMs: 60_000 },
    );
    const out = readFileSync(`${OUT}/burst.out`, 'latin1');
    expect(readFileSync(`${OUT}/burst.rc`, 'latin1').trim()).toBe('0');
    expect(out).toMatch(/src=7\.7\.7\.7/); // still listening after the burst
    expect(out.split('\n').length).toBeGreaterThan(1000); // (the reference keeps about a quarter of such a burst)
    const err = readFileSync(`${OUT}/burst.err`, 'latin1');
    expect(err).toMatch(/flow events have been shown\.\n$/);
    expect(err).not.toMatch(/terminate called|Error:|\n\s+at /);
  });

  it('a socket far too small for a burst (-b 4096): ENOBUFS warnings, the events read are printed, the stream goes on', () => {
    const lines: string[] = [];
    for (let i = 0; i < 5000; i++) lines.push(`-I -s 10.7.${i >> 8}.${i & 255} -d 10.8.0.1 -p udp --sport 1 --dport 2 -t 30`);
    writeFileSync(`${OUT}/small.txt`, lines.join('\n') + '\n');
    runSh(
      NS,
      `cd ${OUT}; : > small.out; CONNTRACK_ARGV0=conntrack node ${REPO}/bin/conntrack -E -b 4096 > small.out 2> small.err & p=$!; ${waitListeners(1)};` +
        ` conntrack -R small.txt; conntrack -F 2>/dev/null; ${waitCaughtUp(['small.out'], 30)};` +
        ` conntrack -I -s 7.7.7.8 -d 8.8.8.8 -p udp --sport 1 --dport 2 -t 5 >/dev/null 2>&1; ${waitLine('small.out', 'src=7\\.7\\.7\\.8 ', 20)}; kill -INT $p; wait $p; echo $? > small.rc`,
      { timeoutMs: 60_000 },
    );
    const out = readFileSync(`${OUT}/small.out`, 'latin1').split('\n').filter(Boolean);
    const err = readFileSync(`${OUT}/small.err`, 'latin1');
    expect(readFileSync(`${OUT}/small.rc`, 'latin1').trim()).toBe('0');
    expect(out.at(-1)).toMatch(/src=7\.7\.7\.8/); // still listening after the burst
    expect(err).toMatch(/^NOTICE: Netlink socket buffer size has been set to \d+ bytes\.\n/);
    expect(err).toContain('WARNING: We have hit ENOBUFS! We are losing events.\n');
    // every event line printed is counted in the summary
    expect(err).toMatch(new RegExp(`\n?conntrack v1\\.4\\.7 \\(conntrack-tools\\): ${out.length} flow events have been shown\\.\n$`));
    expect(err).not.toMatch(/terminate called|Error:|\n\s+at /);
  });
});
