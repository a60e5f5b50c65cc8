// The library acting in a chosen network namespace (issue 21): entries created through a client in namespace A
// are what the reference sees there, and nothing of them is in B or in this process's own namespace; two clients
// in two namespaces at once; a threaded dump, a batch, statistics and expectations there; events of A reach A's
// subscribers only; the namespaces that cannot be used give ENOENT / EINVAL / EPERM; and this process never
// leaves its own namespace. Everything that changes a table runs in the test's own namespaces.

import { spawnSync } from 'node:child_process';
import { readlinkSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  diffTolerant,
  dropIds,
  netnsAdd,
  netnsDel,
  REF,
  REPO,
  runOurs,
  runRef,
  runSh,
  skipReason,
  waitListeners,
  waitUntil,
} from '../helpers/netns.js';

const A = `ctit-nsa-${process.pid}`;
const B = `ctit-nsb-${process.pid}`;

type Lib = typeof import('../../src/index.js');
let lib: Lib;

/** Where this process (its main thread and the test's thread) is. */
const whereAmI = (): string[] => [readlinkSync('/proc/self/ns/net'), readlinkSync('/proc/thread-self/ns/net')];

/** The reference's listing in a namespace, sorted, timeouts left out. */
function refList(ns: string): string[] {
  const r = runRef(ns, ['-L']);
  expect(r.status).toBe(0);
  return r.stdout
    .split('\n')
    .filter(Boolean)
    .map((l) => l.replace(/^(\S+\s+\d+\s)\d+ /, '$1# ').replace(/ use=\d+/, ''))
    .sort();
}

/** A TCP flow of the test's own addresses (TEST-NET-2). */
const tcp = (n: number, mark = 0) => ({
  orig: { src: `198.51.100.${n}`, dst: '203.0.113.1', protonum: 6, srcPort: 1000 + n, dstPort: 80 },
  reply: { src: '203.0.113.1', dst: `198.51.100.${n}`, protonum: 6, srcPort: 80, dstPort: 1000 + n },
  timeout: 300,
  mark,
  tcp: { state: 3 }, // ESTABLISHED
});

async function until(what: string, cond: () => boolean, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe.skipIf(skipReason)('the library in a chosen network namespace', () => {
  let home: string[];
  beforeAll(async () => {
    lib = (await import(join(REPO, 'dist/index.js'))) as Lib;
    netnsAdd(A);
    netnsAdd(B);
    home = whereAmI();
  });
  afterAll(() => {
    netnsDel(A);
    netnsDel(B);
  });

  it('creates in A what the reference sees in A, and nothing of it is in B or here', async () => {
    const a = lib.ConntrackClient.open({ netns: A });
    const b = lib.ConntrackClient.open({ netns: `/run/netns/${B}` });
    try {
      for (const n of [1, 2, 3]) await a.create(tcp(n, 7), { exclusive: true });
      await b.create(tcp(9));
      expect(whereAmI()).toEqual(home);
      const inA = refList(A);
      expect(inA).toHaveLength(3);
      for (const n of [1, 2, 3])
        expect(inA.some((l) => l.includes(`src=198.51.100.${n} dst=203.0.113.1 sport=${1000 + n} dport=80`))).toBe(true);
      expect(refList(B)).toHaveLength(1);
      expect(refList(B)[0]).toContain('src=198.51.100.9 ');
      // this process's own namespace: read only (-L), and none of the test's addresses
      const own = spawnSync(REF, ['-L'], { encoding: 'utf8' });
      expect(own.stdout).not.toContain('198.51.100.');
      // two clients at once, each sees its own table only
      const [la, lb] = await Promise.all([a.list(), b.list()]);
      expect(la.map((f) => f.orig?.src).sort()).toEqual(['198.51.100.1', '198.51.100.2', '198.51.100.3']);
      expect(lb.map((f) => f.orig?.src)).toEqual(['198.51.100.9']);
      expect(await b.get(tcp(1))).toBeUndefined();
      expect((await a.get(tcp(1)))?.mark).toBe(7);
      expect([await a.count(), await b.count()]).toEqual([3, 1]);
      expect((await a.stats()).length).toBeGreaterThan(0);
      expect(await a.expectCount()).toBe(0);
      expect(whereAmI()).toEqual(home);
    } finally {
      a.close();
      b.close();
    }
  });

  it('a threaded dump (its receiver is another thread) and a batch (the modifier socket) act in the namespace', async () => {
    const a = lib.ConntrackClient.open({ netns: A });
    const b = lib.ConntrackClient.open({ netns: B });
    try {
      const dumped = async (c: typeof a): Promise<string[]> => {
        const out: string[] = [];
        for await (const f of c.dump({ threaded: true })) out.push(f.orig?.src ?? '');
        return out.sort();
      };
      const [da, db] = await Promise.all([dumped(a), dumped(b)]);
      expect(da).toEqual(['198.51.100.1', '198.51.100.2', '198.51.100.3']);
      expect(db).toEqual(['198.51.100.9']);
      // -D's shape: deletes on the modifier socket while a dump runs on the first
      const batch = a.batch();
      for await (const f of a.dump({ threaded: true })) if (f.orig?.src !== '198.51.100.1') batch.delete(f);
      expect(await batch.commit()).toEqual([0, 0]);
      expect(refList(A)).toHaveLength(1);
      expect(refList(B)).toHaveLength(1);
      expect(whereAmI()).toEqual(home);
    } finally {
      a.close();
      b.close();
    }
  });

  it("events made in A reach A's subscribers only", async () => {
    const a = lib.ConntrackClient.open({ netns: A });
    const seenA: string[] = [];
    const seenB: string[] = [];
    const seenRawA: string[] = [];
    let readyA = false;
    const subA = lib.subscribeEvents((f, kind) => seenA.push(`${kind} ${f.orig?.src}`), { netns: A });
    const subB = lib.subscribeEvents((f, kind) => seenB.push(`${kind} ${f.orig?.src}`), { netns: B });
    const raw = a.events(
      { table: 'conntrack', events: { new: true, update: false, destroy: false } },
      {
        message: (buf, off, len) => seenRawA.push(lib.decodeFlow(buf, off, len).orig?.src ?? ''),
        ready: () => (readyA = true),
        failed: (kind, errno) => seenRawA.push(`failed ${kind} ${errno}`),
      },
    );
    raw.start();
    try {
      await until('the raw stream in A', () => readyA);
      // all three listeners of A, and B's one, subscribed in their namespaces
      expect(runSh(A, `${waitListeners(2)}; awk '$2 == 12 && $4 != "00000000"' /proc/net/netlink | wc -l`).stdout.trim()).toBe('2');
      expect(runSh(B, `${waitListeners(1)}; awk '$2 == 12 && $4 != "00000000"' /proc/net/netlink | wc -l`).stdout.trim()).toBe('1');
      expect(runRef(A, ['-I', '-s', '192.0.2.1', '-d', '192.0.2.2', '-p', 'udp', '--sport', '1', '--dport', '2', '-t', '30']).status).toBe(
        0,
      );
      await until("A's events", () => seenA.includes('new 192.0.2.1') && seenRawA.includes('192.0.2.1'));
      // a marker in B: once B's subscriber has it, it would have had A's event before it
      expect(runRef(B, ['-I', '-s', '192.0.2.9', '-d', '192.0.2.2', '-p', 'udp', '--sport', '1', '--dport', '2', '-t', '30']).status).toBe(
        0,
      );
      await until("B's marker", () => seenB.includes('new 192.0.2.9'));
      expect(seenB).toEqual(['new 192.0.2.9']);
      expect(seenA).toEqual(['new 192.0.2.1']);
      expect(seenRawA).toEqual(['192.0.2.1']);
      expect(whereAmI()).toEqual(home);
    } finally {
      subA.stop();
      subB.stop();
      raw.stop();
      a.close();
    }
  });

  it('a namespace that cannot be used: ENOENT, EINVAL, EPERM, and nothing changes', () => {
    const before = refList(A);
    const errnoOf = (netns: string | number): [number, string | undefined] => {
      try {
        lib.ConntrackClient.open({ netns }).close();
      } catch (e) {
        expect(e).toBeInstanceOf(lib.NetlinkError);
        return [(e as InstanceType<Lib['NetlinkError']>).errno, (e as InstanceType<Lib['NetlinkError']>).syscall];
      }
      return [0, undefined];
    };
    expect(errnoOf(`ctit-missing-${process.pid}`)).toEqual([2, 'open']);
    expect(errnoOf('/proc/self/ns/mnt')).toEqual([22, 'setns']);
    expect(errnoOf('/etc/hostname')).toEqual([22, 'setns']);
    expect(() => lib.subscribeEvents(() => {}, { netns: `ctit-missing-${process.pid}` })).toThrow(lib.NetlinkError);
    expect(whereAmI()).toEqual(home);
    // without CAP_SYS_ADMIN (root otherwise): EPERM, and that process stayed where it was too
    const script = `
      const { ConntrackClient } = await import(${JSON.stringify(join(REPO, 'dist/index.js'))});
      const { readlinkSync } = await import('node:fs');
      const before = readlinkSync('/proc/thread-self/ns/net');
      try { ConntrackClient.open({ netns: ${JSON.stringify(A)} }); console.log('opened'); }
      catch (e) { console.log(e.name, e.errno, e.syscall); }
      console.log(readlinkSync('/proc/thread-self/ns/net') === before ? 'home' : 'moved');`;
    const r = spawnSync('capsh', ['--drop=cap_sys_admin', '--', '-c', `exec ${process.execPath} --input-type=module -e "$0"`, script], {
      encoding: 'utf8',
    });
    expect(r.stdout).toBe('NetlinkError 1 setns\nhome\n');
    expect(refList(A)).toEqual(before);
  });
});

/** Ours with --netns, from this process's namespace (where a bug that ignored --netns would act). */
function oursIn(ns: string, args: string[], input?: string): { stdout: string; stderr: string; status: number } {
  const r = spawnSync(process.execPath, [join(REPO, 'bin/conntrack'), '--netns', ns, ...args], {
    encoding: 'latin1',
    env: { ...process.env, CONNTRACK_ARGV0: 'conntrack', TZ: 'UTC', LC_ALL: 'C' },
    input,
    timeout: 30_000,
  });
  return { stdout: r.stdout, stderr: r.stderr, status: r.status ?? -1 };
}
// equal but for the time-dependent fields (timeouts, use=: a second may pass between the runs) and ids
const sameListing = (want: string, got: string): string | undefined => diffTolerant(dropIds(want), dropIds(got));

describe.skipIf(skipReason)('conntrack --netns against ip netns exec conntrack', () => {
  const C = `ctit-nsc-${process.pid}`;
  const SEED = [
    [
      '-I',
      '-s',
      '10.1.0.1',
      '-d',
      '10.1.0.2',
      '-p',
      'tcp',
      '--sport',
      '11',
      '--dport',
      '22',
      '--state',
      'ESTABLISHED',
      '-t',
      '300',
      '-m',
      '1',
    ],
    ['-I', '-s', '10.1.0.3', '-d', '10.1.0.2', '-p', 'udp', '--sport', '33', '--dport', '44', '-t', '300', '-m', '2'],
  ];
  const seed = (): void => {
    spawnSync('ip', ['netns', 'exec', C, REF, '-F'], { encoding: 'utf8' });
    for (const a of SEED) expect(runRef(C, a).status).toBe(0);
  };
  beforeAll(() => netnsAdd(C));
  afterAll(() => netnsDel(C));

  it('-L and -C: the same bytes and exit, read from the namespace (checked first: they change nothing)', () => {
    seed();
    for (const args of [['-L'], ['-L', '-o', 'extended'], ['-C'], ['-L', '-p', 'udp'], ['-S'], ['-L', 'expect']]) {
      for (const other of [runRef, runOurs]) {
        const ref = other(C, args);
        const ours = oursIn(C, args);
        expect(sameListing(ref.stdout, ours.stdout), args.join(' ')).toBeUndefined();
        expect([ours.stderr, ours.status], args.join(' ')).toEqual([ref.stderr, ref.status]);
      }
    }
    expect(oursIn(C, ['-C']).stdout).toBe('2\n');
  });

  it('-I, -D, -U and -F act in the namespace: the same output and table as ip netns exec', () => {
    const writes = [
      ['-I', '-s', '10.9.0.1', '-d', '10.9.0.2', '-p', 'tcp', '--sport', '1', '--dport', '2', '--state', 'SYN_SENT', '-t', '100'],
      ['-I', '-s', '10.1.0.1', '-d', '10.1.0.2', '-p', 'tcp', '--sport', '11', '--dport', '22', '--state', 'ESTABLISHED', '-t', '300'],
      ['-D', '-s', '10.1.0.1'],
      ['-D', '-s', '10.77.0.1'],
      ['-U', '-p', 'udp', '-m', '9'],
      ['-F'],
    ];
    // against ours under ip netns exec, and the reference (whose -U fails with EOPNOTSUPP in a fresh namespace
    // of this kernel, where ours updates: for -U the comparison is with ours only)
    for (const args of writes) {
      for (const other of args[0] === '-U' ? [runOurs] : [runOurs, runRef]) {
        seed();
        const ref = other(C, args);
        const refTable = refList(C);
        seed();
        const ours = oursIn(C, args);
        expect(sameListing(ref.stdout, ours.stdout), args.join(' ')).toBeUndefined();
        expect([ours.stderr, ours.status], args.join(' ')).toEqual([ref.stderr, ref.status]);
        expect(refList(C), args.join(' ')).toEqual(refTable);
      }
    }
    // this process's own namespace (read only): none of the test's addresses
    expect(spawnSync(REF, ['-L'], { encoding: 'utf8' }).stdout).not.toMatch(/10\.(1|9)\.0\./);
  });

  it('-E: the events of the namespace, as ip netns exec conntrack -E prints them', () => {
    const out = `/tmp/ctit-nsev-${process.pid}`;
    const r = runSh(
      C,
      `${REF} -F 2>/dev/null
      CONNTRACK_ARGV0=conntrack ${process.execPath} ${join(REPO, 'bin/conntrack')} --netns ${C} -E -e NEW > ${out}.ours 2>&1 & o=$!
      ${REF} -E -e NEW > ${out}.ref 2>&1 & r=$!
      ${waitListeners(2)}
      ${REF} -I -s 10.5.0.1 -d 10.5.0.2 -p udp --sport 1 --dport 2 -t 30 >/dev/null 2>&1
      ${waitUntil(`grep -q 10.5.0.1 ${out}.ours && grep -q 10.5.0.1 ${out}.ref`)}
      kill -INT $o $r; wait $o; echo "ours $?"; wait $r; echo "ref $?"
      echo ---; cat ${out}.ours; echo ---; cat ${out}.ref; rm -f ${out}.ours ${out}.ref`,
      { timeoutMs: 30_000 },
    );
    const [status, ours, ref] = r.stdout.split('---\n');
    expect(status).toBe('ours 0\nref 0\n');
    expect(ours).toContain('[NEW] udp      17 30 src=10.5.0.1 dst=10.5.0.2 sport=1 dport=2');
    // progname= is a race (whether the requester is still there when it is looked up), as in events.test.ts
    const noProgname = (t: string): string => t.replace(/ progname=\S*/g, '');
    expect(noProgname(ours)).toBe(noProgname(ref));
  });

  it('a namespace that cannot be entered: a message, exit 1, nothing changed; a missing value: exit 2', () => {
    seed();
    const before = refList(C);
    expect(oursIn(`ctit-missing-${process.pid}`, ['-F'])).toEqual({
      stdout: '',
      stderr: `conntrack v1.4.7 (conntrack-tools): Can't enter network namespace \`ctit-missing-${process.pid}': No such file or directory\n`,
      status: 1,
    });
    expect(oursIn('/proc/self/ns/mnt', ['-L'])).toEqual({
      stdout: '',
      stderr: "conntrack v1.4.7 (conntrack-tools): Can't enter network namespace `/proc/self/ns/mnt': Invalid argument\n",
      status: 1,
    });
    const noCap = spawnSync(
      'capsh',
      ['--drop=cap_sys_admin', '--', '-c', `exec ${process.execPath} ${join(REPO, 'bin/conntrack')} --netns ${C} -F`],
      { encoding: 'utf8', env: { ...process.env, CONNTRACK_ARGV0: 'conntrack' } },
    );
    expect([noCap.stderr, noCap.status]).toEqual([
      `conntrack v1.4.7 (conntrack-tools): Can't enter network namespace \`${C}': Operation not permitted\n`,
      1,
    ]);
    const missing = spawnSync(process.execPath, [join(REPO, 'bin/conntrack'), '-L', '--netns'], { encoding: 'utf8' });
    expect(missing.status).toBe(2);
    expect(refList(C)).toEqual(before);
  });

  it('-L and -C without --netns load nothing new (koffi only with it)', () => {
    const loads = (args: string[]): string =>
      spawnSync('ip', ['netns', 'exec', C, process.execPath, join(REPO, 'bin/conntrack'), ...args], {
        encoding: 'utf8',
        env: { ...process.env, NODE_DEBUG: 'module' },
      }).stderr;
    expect(loads(['-L'])).not.toContain('koffi');
    expect(loads(['-C'])).not.toContain('koffi');
    expect(loads(['--netns', C, '-C'])).toContain('koffi');
  });
});
