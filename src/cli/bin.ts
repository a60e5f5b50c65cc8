// The process side of the CLI: argv[0] as conntrack would see it, stdout/stderr, and the exit code.

import { accessSync, constants, realpathSync } from 'node:fs';
import { basename, delimiter, join } from 'node:path';
import { main } from './main.js';
import { parseArgs } from './parse.js';
import { writeAll } from './output.js';
import { endBySignal, ProcessSignals } from './signals.js';

/**
 * conntrack prints argv[0] in its usage line. A script's original argv[0] is lost in the kernel's #! handling,
 * so this recovers the common case: when the script is what a PATH lookup of its own name finds, the user
 * most likely typed the bare name.
 */
export function invokedName(scriptPath: string, pathEnv = process.env.PATH ?? ''): string {
  const name = basename(scriptPath);
  try {
    const real = realpathSync(scriptPath);
    for (const dir of pathEnv.split(delimiter)) {
      if (!dir) continue;
      const candidate = join(dir, name);
      try {
        accessSync(candidate, constants.X_OK);
      } catch {
        continue;
      }
      return realpathSync(candidate) === real ? name : scriptPath;
    }
  } catch {
    // fall through
  }
  return scriptPath;
}

export function run(): void {
  const script = process.argv[1] ?? 'conntrack';
  const argv0 = (): string => process.env.CONNTRACK_ARGV0 ?? invokedName(script);
  // stderr through write(2): conntrack's stderr is unbuffered, and process.stderr costs start-up time
  const err = (s: string): void => {
    try {
      writeAll(2, Buffer.from(s, 'utf8'));
    } catch {
      // nowhere left to report to
    }
  };
  // first of all: the signals ignored when the process started are ignored again
  const signals = new ProcessSignals();
  main({ argv: [script, ...process.argv.slice(2)], err, argv0, signals }).then(
    (code) => {
      process.exitCode = code;
      // a command stopped by a signal has reported what it did; now it ends by that signal, as conntrack does
      if (signals.stoppedBy) endBySignal(signals.stoppedBy);
    },
    (e: unknown) => {
      err(`conntrack: internal error: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
      process.exitCode = 1;
    },
  );
}

/**
 * Runs the parser and formatters once on sample input, with no I/O, so that the build can store V8's code
 * cache with these functions already compiled (scripts/build-cli.mjs, bin/conntrack).
 */
export function warmUp(): void {
  for (const argv of [['-L'], ['-C'], ['-S'], ['-L', '-o', 'xml,extended,id'], ['-D', '-p', 'tcp', '--dport', '80'], ['-E', '-e', 'NEW']]) {
    try {
      parseArgs(['conntrack', ...argv]);
    } catch {
      // only compiling matters
    }
  }
}
