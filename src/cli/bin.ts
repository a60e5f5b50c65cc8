// The process side of the CLI: argv[0] as conntrack would see it, stdout/stderr, and the exit code.

import { accessSync, constants, realpathSync } from 'node:fs';
import { basename, delimiter, join } from 'node:path';
import { main } from './main.js';

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
  const argv0 = process.env.CONNTRACK_ARGV0 ?? invokedName(process.argv[1] ?? 'conntrack');
  main({ argv: [argv0, ...process.argv.slice(2)] }).then(
    (code) => {
      process.exitCode = code;
    },
    (e: unknown) => {
      process.stderr.write(`conntrack: internal error: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
      process.exitCode = 1;
    },
  );
}
