// The README's library examples, exactly as they stand there: each runs as a program importing the package's main
// export (`conntrack-ts`), in a private network namespace, and what it did is checked with the reference conntrack:
// its event listener sees each change as it happens, its -L / -C the table left behind.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  diffTolerant,
  netnsAdd,
  netnsDel,
  REF,
  REPO,
  runRef,
  runSh,
  skipReason,
  sortedLines,
  waitListeners,
  waitUntil,
} from '../helpers/netns.js';

const NS = `ctit-lib-${process.pid}`;

/** The README's Library section: each `### title` followed by one js block. */
function readmeExamples(): Map<string, string> {
  const readme = readFileSync(join(REPO, 'README.md'), 'utf8');
  const from = readme.indexOf('\n## Library\n');
  const section = readme.slice(from, readme.indexOf('\n## ', from + 1));
  const examples = new Map<string, string>();
  for (const m of section.matchAll(/\n### ([^\n]+)\n\n```js\n(.*?)```/gs)) examples.set(m[1], m[2]);
  return examples;
}

const EXAMPLES = readmeExamples();
let dir = '';

interface ExampleRun {
  stdout: string;
  stderr: string;
  status: number;
  /** what the reference's `conntrack -E` (or `-E expect`) printed while the example ran */
  events: string[];
}

/**
 * Runs the README example with this title in the test's namespace, with the reference's event listener running
 * from before it starts until `untilEvents` of its lines are out (bounded). `before` runs once the listener is
 * subscribed: the kernel reports the end of an entry only to listeners that existed when it was created.
 */
function runExample(title: string, listen: 'conntrack' | 'expect', untilEvents: number, before = ''): ExampleRun {
  const code = EXAMPLES.get(title);
  if (code === undefined) throw new Error(`README has no library example "${title}"`);
  const file = join(dir, `${[...EXAMPLES.keys()].indexOf(title)}.mjs`);
  writeFileSync(file, code);
  const out = `${file}.out`;
  const ev = `${file}.events`;
  const r = runSh(
    NS,
    `${REF} -E ${listen === 'expect' ? 'expect ' : ''}> ${ev} 2>/dev/null & EV=$!
    ${waitListeners(1)}
    ${before}
    node ${file} > ${out}; echo $? > ${out}.rc
    ${waitUntil(`[ "$(wc -l < ${ev})" -ge ${untilEvents} ]`)}
    kill $EV; wait $EV 2>/dev/null; true`,
    { timeoutMs: 30_000 },
  );
  return {
    stdout: readFileSync(out, 'latin1'),
    stderr: r.stderr,
    status: Number(readFileSync(`${out}.rc`, 'utf8')),
    events: readFileSync(ev, 'latin1').split('\n').filter(Boolean),
  };
}

const refInsert = (args: string): void => {
  const r = runRef(NS, ['-I', ...args.split(' ')]);
  if (r.status !== 0) throw new Error(`conntrack -I ${args}: ${r.stderr}`);
};
const refCount = (): string => runRef(NS, ['-C']).stdout;

describe.skipIf(skipReason)('the README library examples, run against the kernel', () => {
  beforeAll(() => {
    netnsAdd(NS);
    dir = mkdtempSync(join(tmpdir(), 'ctit-lib-'));
    // the examples import the package by its name, as an installed package is imported
    mkdirSync(join(dir, 'node_modules'));
    symlinkSync(REPO, join(dir, 'node_modules', 'conntrack-ts'));
  });
  afterAll(() => {
    netnsDel(NS);
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('has the examples this test checks', () => {
    expect([...EXAMPLES.keys()]).toEqual([
      'Create, update, get and delete an entry',
      'Dump with a filter',
      'Flush',
      'Batch: many changes, pipelined',
      'Expectations',
      'Events',
    ]);
  });

  it('creates, updates, gets and deletes an entry', () => {
    runRef(NS, ['-F']);
    const r = runExample('Create, update, get and delete an entry', 'conntrack', 3);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const [got, ...rest] = r.stdout.split('\n');
    expect(rest).toEqual(['deleted', 'again: delete failed with errno 2: No such file or directory', '']);
    const tuples = 'src=192.0.2.1 dst=198.51.100.7 sport=40000 dport=443 [UNREPLIED] src=198.51.100.7 dst=192.0.2.1 sport=443 dport=40000';
    // each change came from this process: the reference prints its port, and names its program when the process
    // is still there as the event is read (1.4.7 looks it up then; this one exits right after its last request, so
    // under load the name of the last events may be missing, as with any short-lived requester)
    const userspace = / \[USERSPACE\] portid=\d+( progname=node)?$/;
    expect(r.events.every((l) => userspace.test(l))).toBe(true);
    expect(r.events.map((l) => l.replace(/ +\d+ (?=ESTABLISHED)/, ' T ').replace(userspace, ''))).toEqual([
      `    [NEW] tcp      6 T ESTABLISHED ${tuples} mark=1`,
      ` [UPDATE] tcp      6 T ESTABLISHED ${tuples} mark=2`,
      `[DESTROY] tcp      6 T ESTABLISHED ${tuples} mark=2`,
    ]);
    // what get() returned, formatted, is what the reference printed for the entry after the update
    expect(
      diffTolerant(`${r.events[1].replace(' [UPDATE] ', '').replace(userspace, '')}\n`, `${got.replace(/ use=\d+$/, '')}\n`),
    ).toBeUndefined();
    expect(refCount()).toBe('0\n');
  });

  it('dumps with a kernel filter', () => {
    runRef(NS, ['-F']);
    const base = '-s 10.1.0.1 -d 10.1.0.2 -t 300';
    refInsert(`${base} -p tcp --sport 1000 --dport 443 --state ESTABLISHED -m 1`);
    refInsert(`${base} -p tcp --sport 1001 --dport 443 --state ESTABLISHED -m 2`);
    refInsert(`${base} -p tcp --sport 1002 --dport 80 --state ESTABLISHED -m 1`);
    refInsert(`${base} -p udp --sport 1003 --dport 443 -m 1`);
    refInsert(`${base} -p tcp --sport 1004 --dport 443 --state SYN_SENT -m 1`);
    refInsert('-s 2001:db8::1 -d 2001:db8::2 -t 300 -p tcp --sport 1005 --dport 443 --state ESTABLISHED -m 1');
    const r = runExample('Dump with a filter', 'conntrack', 0);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const lines = r.stdout.split('\n');
    expect(lines.slice(-2)).toEqual(['2 of 6 entries are TCP to port 443 with mark 1', '']);
    const want = runRef(NS, ['-L', '-o', 'extended', '-f', 'ipv4', '-p', 'tcp', '--dport', '443', '-m', '1']);
    expect(want.stdout.split('\n').length).toBe(3);
    const got = `${lines.slice(0, -2).join('\n')}\n`;
    expect(diffTolerant(sortedLines(want.stdout).join('\n'), sortedLines(got).join('\n'))).toBeUndefined();
    expect(refCount()).toBe('6\n');
    // the original tuple's filter is the kernel's too (CTA_FILTER): dump() yields only what it selected
    const program = `import { ConntrackClient } from 'conntrack-ts';
      const c = ConntrackClient.open();
      for await (const f of c.dump({ family: 2, tuple: { l3: 2, protonum: 6, dstPort: 443 } })) console.log(f.orig.srcPort);
      c.close();`;
    writeFileSync(join(dir, 'tuple-filter.mjs'), program);
    const k = runSh(NS, `node ${join(dir, 'tuple-filter.mjs')}`);
    expect(k.stderr).toBe('');
    expect(sortedLines(k.stdout)).toEqual(['1000', '1001', '1004']);
  });

  it('flushes one family, then the table', () => {
    runRef(NS, ['-F']);
    const inserts = ['-s 10.1.0.1 -d 10.1.0.2 -p udp --sport 1 --dport 2', '-s 10.1.0.1 -d 10.1.0.2 -p udp --sport 3 --dport 4']
      .concat('-s 2001:db8::1 -d 2001:db8::2 -p udp --sport 5 --dport 6')
      .map((a) => `${REF} -I ${a} -t 300 2>/dev/null`)
      .join('; ');
    const r = runExample('Flush', 'conntrack', 6, inserts);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toBe('3 entries\n2 after flushing IPv6\n0 after flushing all\n');
    // the IPv6 entry went first, on its own
    expect(r.events.slice(3).map((l) => /^\[DESTROY\] udp +17 (?:\d+ )?src=(\S+)/.exec(l)?.[1])).toEqual([
      '2001:db8::1',
      '10.1.0.1',
      '10.1.0.1',
    ]);
    expect(refCount()).toBe('0\n');
  });

  it('creates and deletes in pipelined batches, deleting while it dumps', () => {
    runRef(NS, ['-F']);
    const r = runExample('Batch: many changes, pipelined', 'conntrack', 150);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toBe('100 created\n50 deleted, 50 left\n');
    expect(r.events.filter((l) => l.startsWith('    [NEW] udp ')).length).toBe(100);
    expect(r.events.filter((l) => l.startsWith('[DESTROY] udp ')).length).toBe(50);
    const left = runRef(NS, ['-L', '-p', 'udp', '--dport', '53']).stdout;
    const ports = [...left.matchAll(/^udp +17 \d+ src=192\.0\.2\.1 dst=198\.51\.100\.53 sport=(\d+) dport=53 /gm)].map((m) => Number(m[1]));
    expect(ports.sort((a, b) => a - b)).toEqual(Array.from({ length: 50 }, (_, k) => 20001 + 2 * k));
  });

  it('creates, lists, gets and deletes an expectation on a master with a helper', () => {
    runRef(NS, ['-F']);
    runRef(NS, ['-F', 'expect']);
    const r = runExample('Expectations', 'expect', 2);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const [listed, ...rest] = r.stdout.split('\n');
    expect(rest).toEqual(['expected: port 50000 of 198.51.100.21 (helper ftp)', '0 expectations left', '']);
    expect(r.events.length).toBe(2);
    expect(r.events[1]).toMatch(/^\[DESTROY\] \d+ proto=6 src=192\.0\.2\.1 dst=198\.51\.100\.21 sport=0 dport=50000 /);
    // what dumpExpect() gave, formatted, is what the reference printed as the expectation came
    expect(diffTolerant(`${r.events[0].replace('    [NEW] ', '')}\n`, `${listed}\n`)).toBeUndefined();
    expect(runRef(NS, ['-L', 'expect']).stdout).toBe('');
    // the master is left, with its helper
    expect(runRef(NS, ['-L', '-p', 'tcp', '--dport', '21']).stdout).toMatch(
      /^tcp +6 \d+ ESTABLISHED src=192\.0\.2\.1 dst=198\.51\.100\.21 sport=40021 dport=21 .* helper=ftp use=1\n$/,
    );
  });

  it('receives the events of its own changes, subscribed before it makes them', () => {
    runRef(NS, ['-F']);
    const r = runExample('Events', 'conntrack', 2);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toBe('new 192.0.2.1 -> 198.51.100.123 dport=123\ndestroy 192.0.2.1 -> 198.51.100.123 dport=123\n');
    expect(
      r.events.map((l) => /^ *\[(\w+)\] udp +17 (?:\d+ )?src=(\S+) dst=(\S+) sport=123 dport=123 /.exec(l)?.slice(1).join(' ')),
    ).toEqual(['NEW 192.0.2.1 198.51.100.123', 'DESTROY 192.0.2.1 198.51.100.123']);
    expect(refCount()).toBe('0\n');
  });
});
