// When a run reached each of its phases (the fixed cost of a command made visible: bench/run.sh, bench/README.md).
// The CLI turns recording on when CONNTRACK_PHASES names a file (src/cli/bin.ts); until then `phase` is undefined
// and each place that marks one costs a test of an undefined binding. Times are milliseconds since the process
// started (performance.timeOrigin), written to the file when the process exits.

import { writeFileSync } from 'node:fs';

/** Marks a phase: its first and last time and how often it was reached are kept. */
export type PhaseMark = (name: string) => void;

export let phase: PhaseMark | undefined;

/**
 * Records phases from now on and writes them to `file` at exit, one tab-separated line per phase:
 * `name first_ms last_ms count`, in the order first reached, after `origin <epoch ms of the process's start>` and
 * `node <ms when Node's bootstrap was complete>`.
 */
export function recordPhases(file: string): void {
  const first = new Map<string, number>();
  const last = new Map<string, number>();
  const count = new Map<string, number>();
  phase = (name) => {
    const t = performance.now();
    if (!first.has(name)) first.set(name, t);
    last.set(name, t);
    count.set(name, (count.get(name) ?? 0) + 1);
  };
  process.once('exit', () => {
    phase?.('exit');
    const ms = (t: number): string => t.toFixed(3);
    const lines = [`origin\t${ms(performance.timeOrigin)}`, `node\t${ms(performance.nodeTiming.bootstrapComplete)}`];
    for (const [name, t] of first) lines.push(`${name}\t${ms(t)}\t${ms(last.get(name) ?? t)}\t${count.get(name)}`);
    try {
      writeFileSync(file, `${lines.join('\n')}\n`);
    } catch {
      // a diagnostic: the run's own outcome stands
    }
  });
}
