// CONNTRACK_PHASES=FILE (src/phases.ts, read by bench/run.sh): a run writes when it reached each phase, in order,
// and prints exactly what it prints without it. In a private network namespace of a few entries.

import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { netnsAdd, netnsDel, REPO, runRef, runSh, shq, skipReason } from '../helpers/netns.js';

const NS = `ctit-phases-${process.pid}`;
let dir: string;

/** Runs ours with CONNTRACK_PHASES (or without it) and returns its output and the phases written. */
function run(args: string, file?: string): { out: string; phases: Map<string, number[]> } {
  const env = file ? `CONNTRACK_PHASES=${shq(file)} ` : '';
  const r = runSh(NS, `${env}${shq(process.execPath)} ${shq(join(REPO, 'bin/conntrack'))} ${args} 2>&1`);
  const phases = new Map<string, number[]>();
  if (file) {
    for (const line of readFileSync(file, 'latin1').trim().split('\n')) {
      const [name, ...times] = line.split('\t');
      phases.set(name, times.map(Number));
    }
  }
  return { out: `${r.status} ${r.stdout}`, phases };
}

describe.skipIf(skipReason)('CONNTRACK_PHASES', () => {
  beforeAll(() => {
    netnsAdd(NS);
    dir = mkdtempSync(join(tmpdir(), 'ctphases-'));
    for (const n of [1, 2, 3]) {
      const r = runRef(NS, [
        '-I',
        '-s',
        `198.51.100.${n}`,
        '-d',
        '203.0.113.1',
        '-p',
        'udp',
        '--sport',
        '1000',
        '--dport',
        '53',
        '-t',
        '300',
      ]);
      expect(r.status).toBe(0);
    }
  });
  afterAll(() => {
    netnsDel(NS);
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('-C: node, cli, request, reply, done, stdout, exit in order, the output unchanged', () => {
    const file = join(dir, 'count.tsv');
    const plain = run('-C');
    const marked = run('-C', file);
    expect(marked.out).toBe(plain.out);
    expect(marked.out).toBe('0 3\n');
    const names = [...marked.phases.keys()];
    expect(names).toEqual(['origin', 'node', 'cli', 'request', 'reply', 'done', 'stdout', 'exit']);
    // the epoch of the start, then times since it, each phase after the one before
    expect(Math.abs((marked.phases.get('origin')?.[0] ?? 0) - Date.now())).toBeLessThan(60_000);
    const firsts = names.slice(1).map((n) => marked.phases.get(n)?.[0] ?? Number.NaN);
    for (let i = 1; i < firsts.length; i++) expect(firsts[i]).toBeGreaterThanOrEqual(firsts[i - 1]);
    expect(firsts[0]).toBeGreaterThan(0);
    // first, last, count
    expect(marked.phases.get('request')?.slice(2)).toEqual([1]);
  });

  it('-D of a threaded dump: the receiver thread and the last reply after the first', () => {
    const file = join(dir, 'delete.tsv');
    const marked = run('-D -s 198.51.100.2', file);
    expect(marked.out).toMatch(/^0 udp {6}17 \d+ src=198\.51\.100\.2 .*\n.*1 flow entries have been deleted\.\n$/);
    for (const name of ['cli', 'worker', 'worker-online', 'reply', 'done', 'stdout', 'stderr', 'exit'])
      expect(marked.phases.has(name), name).toBe(true);
    const [first, last] = marked.phases.get('reply') ?? [];
    expect(last).toBeGreaterThanOrEqual(first);
    expect(marked.phases.get('worker')?.[0]).toBeLessThan(marked.phases.get('exit')?.[0] ?? 0);
    // no file without the variable
    const plain = run('-C');
    expect(plain.phases.size).toBe(0);
    expect(plain.out).toBe('0 2\n');
  });
});
