// The command/option compatibility matrix, replayed from conntrack 1.4.7's own behaviour
// (fixtures/matrix/cases.json, captured by scripts/capture-matrix.ts in throwaway network namespaces).
//
// For each captured argv:
// - the reference failed on its parameters (exit 2), or printed the help or version text: our main() must print
//   the same stdout and stderr, byte for byte, and exit with the same code;
// - otherwise the reference reached the kernel (its empty namespace), which our replay client does not imitate
//   command by command: our parser must accept the argv with the same warnings the reference printed first
//   (WARNING: lines, nfct_labelmap_new perror), or fail at parse time with exactly the reference's stderr and
//   exit code (1.4.7's parse-time OTHER_PROBLEMs, such as `-o save,xml`);
// - cases marked `differs` are where we deliberately differ from 1.4.7 (README, "Differences from conntrack
//   1.4.7") or where it crashes: we only require a clean result (exit 0, 1 or 2, no exception).

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CMD } from '../../src/cli/commands.js';
import { CtError, MESSAGE_PREFIX } from '../../src/commands/errors.js';
import { main } from '../../src/cli/main.js';
import { MemorySink } from '../../src/format/sink.js';
import { parseArgs, ParsedCommand } from '../../src/cli/parse.js';
import { selectQuery, updateQuery } from '../../src/cli/resolve.js';
import { compileFilter, compileUpdateFilter } from '../../src/filter/userspace.js';
import { fixedClock } from '../../src/format/clock.js';
import { ReplayClient } from '../helpers/replay.js';

interface MatrixCase {
  argv: string[];
  stdout: string;
  stderr: string;
  exit: number;
  differs?: string;
}

const FIXTURES = join(__dirname, '../../fixtures');
const NO_LABELMAP = join(FIXTURES, 'no-such-connlabel.conf');
const cases = JSON.parse(readFileSync(join(FIXTURES, 'matrix', 'cases.json'), 'utf8')) as MatrixCase[];

const HELP_HEAD = 'Command line interface for the connection tracking system. Version 1.4.7\n';
const VERSION_TEXT = 'conntrack v1.4.7 (conntrack-tools)\n';
const staticStdout = (s: string): boolean => s === VERSION_TEXT || s.startsWith(HELP_HEAD);

async function runOurs(argv: string[]): Promise<{ stdout: string; stderr: string; exit: number }> {
  const out = new MemorySink();
  let stderr = '';
  const exit = await main({
    argv: ['conntrack', ...argv],
    out,
    err: (s) => (stderr += s),
    clock: fixedClock(0),
    labelmapPath: NO_LABELMAP,
    argv0: () => 'conntrack',
    openClient: () => new ReplayClient([]),
  });
  return { stdout: out.text, stderr, exit };
}

/** The parser alone: its warnings when it accepts, else its rendered error. */
function parseOurs(argv: string[]): { notes: string } | { stderr: string; exit: number } {
  try {
    return { notes: parseArgs(['conntrack', ...argv], { labelmapPath: NO_LABELMAP, argv0: () => 'conntrack' }).notes };
  } catch (e) {
    if (e instanceof CtError) return { stderr: e.render(), exit: e.exitCode };
    throw e;
  }
}

/** What the reference printed while parsing: its leading warning and perror() lines. */
const parseNotes = (stderr: string): string => /^(?:(?:WARNING: |nfct_labelmap_new: ).*\n)*/.exec(stderr)![0];

/**
 * The replay client is not a real socket, so commands that change the table (-D, -U, -G, ...) stop with
 * "Can't open handler" under it. For those, the checks the command makes before it sends anything (conntrack's
 * nfct_filter_init(): `--mask-src` without `--src`, ...) are run directly on the parsed command.
 */
const NO_HANDLER = { stdout: '', stderr: `${MESSAGE_PREFIX}Can't open handler\n`, exit: 1 };
const BEFORE_SENDING: Partial<Record<number, (cmd: ParsedCommand) => unknown>> = {
  [CMD.CT_DELETE]: (cmd) => compileFilter(selectQuery(cmd)),
  [CMD.CT_GET]: (cmd) => compileFilter(selectQuery(cmd)),
  [CMD.CT_UPDATE]: (cmd) => compileUpdateFilter(updateQuery(cmd)),
};

function checksBeforeSending(argv: string[]): { stdout: string; stderr: string; exit: number } | undefined {
  const cmd = parseArgs(['conntrack', ...argv], { labelmapPath: NO_LABELMAP, argv0: () => 'conntrack' });
  const check = BEFORE_SENDING[cmd.command];
  if (!check) return undefined;
  try {
    check(cmd);
  } catch (e) {
    if (e instanceof CtError) return { stdout: '', stderr: cmd.notes + e.render(), exit: e.exitCode };
    throw e;
  }
  return undefined;
}

const title = (c: MatrixCase): string => `${JSON.stringify(c.argv)} → ${c.exit}`;

// one describe per leading word (the command, mostly), one it per case
const groups = new Map<string, MatrixCase[]>();
for (const c of cases) {
  const key = c.argv[0] ?? '(no arguments)';
  const list = groups.get(key) ?? [];
  list.push(c);
  groups.set(key, list);
}

describe('command/option matrix of conntrack 1.4.7', () => {
  it('has the captured matrix', () => {
    expect(cases.length).toBeGreaterThan(1000);
  });

  for (const [key, list] of groups) {
    describe(key, () => {
      for (const c of list) {
        if (c.differs) {
          it(`${title(c)} (differs: ${c.differs})`, async () => {
            const ours = await runOurs(c.argv);
            expect([0, 1, 2]).toContain(ours.exit);
          });
        } else if (c.exit === 2 || staticStdout(c.stdout)) {
          it(title(c), async () => {
            let ours = await runOurs(c.argv);
            if (ours.stderr === NO_HANDLER.stderr && ours.exit === NO_HANDLER.exit) ours = checksBeforeSending(c.argv) ?? ours;
            expect(ours).toEqual({ stdout: c.stdout, stderr: c.stderr, exit: c.exit });
          });
        } else {
          it(`${title(c)} (accepted by the parser)`, () => {
            const ours = parseOurs(c.argv);
            if ('notes' in ours) expect(ours.notes).toBe(parseNotes(c.stderr));
            else expect(ours).toEqual({ stderr: c.stderr, exit: c.exit });
          });
        }
      }
    });
  }
});
