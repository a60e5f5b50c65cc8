// -D and -U interrupted by a signal, side by side with the reference, on a table of 50k entries: afterwards the
// entries changed (missing from the table, or carrying the new mark) are exactly the entries printed, the summary
// line counts them, and the exit status is the reference's (128 + signal where it dies, 0 where the signal was
// ignored from the start: a script's background job starts with SIGINT ignored). 1.4.7's -U fails on a table
// this large by itself (ENOBUFS after a few hundred entries), so for -U the reference is 1.4.8 (whose -U fixes we
// follow). Each tool is signalled by its pid once it has printed something, so the signal comes mid-run. An
// interrupted -R has applied the file's first lines and nothing after them, and ends as the reference does.

import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { netnsAdd, netnsDel, REF, REPO, runRef, runSh, skipReason, waitUntil, have148, REF148 } from '../helpers/netns.js';

const NS = `ctit-sig-${process.pid}`;
const N = 50000;
let DIR = '';

const srcOf = (i: number): string => `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`;

/** Empties the table and loads the N entries (mark 1) with the reference's -R. */
function reset(): void {
  runRef(NS, ['-F']);
  const r = runRef(NS, ['-R', join(DIR, 'table.txt')]);
  if (r.status !== 0) throw new Error(`loading the table failed: ${r.stderr}`);
}

/** The original source address of each line (each entry has a distinct one). */
const sources = (text: string): string[] =>
  text
    .split('\n')
    .filter(Boolean)
    .map((l) => /src=(\S+)/.exec(l)?.[1] ?? `?${l}`);

interface Interrupted {
  status: number;
  printed: string[];
  stderr: string;
}

type Tool = 'ref' | '1.4.8' | 'ours';
type How = 'SIGTERM' | 'SIGHUP' | 'SIGINT' | 'SIGINT in the background';

/**
 * Starts the tool as a job of a bash script, waits (bounded) until it has printed something (or `started` holds), signals it by pid
 * and waits for it. With job control on (set -m) the job keeps the script's dispositions; without it (a plain
 * `&`), bash starts it with SIGINT and SIGQUIT ignored.
 */
function interrupt(tool: Tool, args: string[], how: How, started = '[ -s out ]'): Interrupted {
  // a simple command, as an admin's script runs it (bash's own exec would restore the script's dispositions)
  const exe =
    tool === 'ours'
      ? `CONNTRACK_ARGV0=conntrack ${REPO}/bin/conntrack`
      : `bash -c 'exec -a conntrack "$0" "$@"' ${tool === 'ref' ? REF : REF148}`;
  const background = how === 'SIGINT in the background';
  const signal = background ? 'SIGINT' : how;
  const script = [
    `cd ${DIR}; rm -f out err rc`,
    background ? '' : 'set -m',
    `${exe} ${args.join(' ')} > out 2> err &`,
    'p=$!',
    'set +m',
    // a bounded wait for the first printed bytes (stdout is a file: the reference's fills 4 KiB first)
    waitUntil(started, 10, 0.005),
    `kill -${signal.slice(3)} $p`,
    'wait $p; echo $? > rc',
  ].join('\n');
  runSh(NS, script, { timeoutMs: 60_000 });
  return {
    status: Number(readFileSync(join(DIR, 'rc'), 'latin1').trim()),
    printed: sources(readFileSync(join(DIR, 'out'), 'latin1')),
    stderr: readFileSync(join(DIR, 'err'), 'latin1'),
  };
}

/** The sources of the entries left in the table, or of those with mark 2. */
const tableSources = (args: string[]): string[] => sources(runRef(NS, ['-L', ...args]).stdout);

const expectedStatus = (how: How): number => ({ SIGTERM: 143, SIGHUP: 129, SIGINT: 130, 'SIGINT in the background': 0 })[how];

describe.skipIf(skipReason)('-D and -U interrupted by a signal: what changed is what was printed', () => {
  let can148 = false;
  beforeAll(() => {
    can148 = have148(); // the -U reference; in beforeAll: only where the integration tests run
    netnsAdd(NS);
    DIR = mkdtempSync(join(tmpdir(), 'ct-sig-'));
    const lines: string[] = [];
    for (let i = 0; i < N; i++) lines.push(`-I -s ${srcOf(i)} -d 10.200.0.1 -p udp --sport 1 --dport 2 -t 600 -m 1`);
    writeFileSync(join(DIR, 'table.txt'), lines.join('\n') + '\n');
  });
  afterAll(() => {
    netnsDel(NS);
    if (DIR) rmSync(DIR, { recursive: true, force: true });
  });

  const all = new Set(Array.from({ length: N }, (_, i) => srcOf(i)));

  describe.each<How>(['SIGTERM', 'SIGHUP', 'SIGINT', 'SIGINT in the background'])('%s', (how) => {
    it('-D: the entries deleted are the entries printed, then the summary; exit as 1.4.7', () => {
      reset();
      const ref = interrupt('ref', ['-D', '-p', 'udp'], how);
      const refLeft = tableSources([]);
      reset();
      const ours = interrupt('ours', ['-D', '-p', 'udp'], how);
      const left = tableSources([]);

      expect(ours.status).toBe(ref.status);
      expect(ours.status).toBe(expectedStatus(how));
      // the signal came mid-run for both (or was ignored, and both deleted everything)
      if (how === 'SIGINT in the background') {
        expect(refLeft).toHaveLength(0);
        expect(left).toHaveLength(0);
      } else {
        expect(refLeft.length).toBeGreaterThan(0);
        expect(left.length).toBeGreaterThan(0);
        expect(ours.printed.length).toBeGreaterThan(0);
      }
      // what is gone is what was printed, each once
      const printed = new Set(ours.printed);
      expect(printed.size).toBe(ours.printed.length);
      for (const s of left) expect(printed.has(s)).toBe(false);
      expect(printed.size + left.length).toBe(N);
      for (const s of printed) expect(all.has(s)).toBe(true);
      expect(ours.stderr).toBe(`conntrack v1.4.7 (conntrack-tools): ${printed.size} flow entries have been deleted.\n`);
    });

    it('-U: the entries updated are the entries printed, then the summary; exit as 1.4.8', (ctx) => {
      if (!can148) ctx.skip();
      const args = ['-U', '-f', 'ipv4', '-p', 'udp', '-m', '2'];
      reset();
      const ref = interrupt('1.4.8', args, how);
      const refUpdated = tableSources(['-m', '2']);
      reset();
      const ours = interrupt('ours', args, how);
      const updated = tableSources(['-m', '2']);

      expect(ours.status).toBe(ref.status);
      expect(ours.status).toBe(expectedStatus(how));
      if (how === 'SIGINT in the background') {
        expect(refUpdated).toHaveLength(N);
        expect(updated).toHaveLength(N);
      } else {
        expect(refUpdated.length).toBeLessThan(N);
        expect(updated.length).toBeLessThan(N);
        expect(ours.printed.length).toBeGreaterThan(0);
      }
      expect([...ours.printed].sort()).toEqual([...updated].sort());
      expect(new Set(ours.printed).size).toBe(ours.printed.length);
      expect(
        readFileSync(join(DIR, 'out'), 'latin1')
          .split('\n')
          .filter(Boolean)
          .every((l) => l.includes(' mark=2 ')),
      ).toBe(true);
      expect(ours.stderr).toBe(`conntrack v1.4.7 (conntrack-tools): ${ours.printed.length} flow entries have been updated.\n`);
    });
  });

  it('-R: SIGTERM ends the load between batches, the lines applied are the first ones; exit as 1.4.7', () => {
    const load = ['-R', join(DIR, 'table.txt')];
    const started = `[ "$(${REF} -C)" -gt 1000 ]`;
    runRef(NS, ['-F']);
    const ref = interrupt('ref', load, 'SIGTERM', started);
    runRef(NS, ['-F']);
    const ours = interrupt('ours', load, 'SIGTERM', started);
    const loaded = tableSources([]);

    expect(ours.status).toBe(ref.status);
    expect(ours.status).toBe(143);
    expect(ours.stderr).toBe('');
    expect(loaded.length).toBeGreaterThan(0);
    expect(loaded.length).toBeLessThan(N);
    const want = Array.from({ length: loaded.length }, (_, i) => srcOf(i)).sort();
    expect([...loaded].sort()).toEqual(want);
  });
});
