// The process side of the CLI: argv[0] as conntrack would see it, stdout/stderr, and the exit code.

import { accessSync, closeSync, constants, openSync, readFileSync, realpathSync } from 'node:fs';
import { basename, delimiter, join } from 'node:path';
import { main } from './main.js';
import { parseArgs } from './parse.js';
import { resolveRequest } from './resolve.js';
import { FdSink, writeText } from '../format/sink.js';
import { endBySignal, ProcessSignals } from './signals.js';
import { bytesOf, fromUtf8, TEXT } from '../text.js';
import { phase, recordPhases } from '../phases.js';
import { ConntrackClient, type CtClient } from '../ctnetlink/client.js';
import { replayedEventStream } from '../ctnetlink/event-stream.js';

/**
 * conntrack prints argv[0] in its usage line. A script's original argv[0] is lost in the kernel's #! handling,
 * so this recovers the common case: when the script is what a PATH lookup of its own name finds, the user
 * most likely typed the bare name.
 */
export function invokedName(scriptPath: string, pathEnv = fromUtf8(process.env.PATH ?? '')): string {
  const name = basename(scriptPath);
  // the paths are text of bytes (src/text.ts): the file system gets them as bytes
  const real = (path: string): string => realpathSync(bytesOf(path), { encoding: TEXT });
  try {
    const script = real(scriptPath);
    for (const dir of pathEnv.split(delimiter)) {
      if (!dir) continue;
      const candidate = join(dir, name);
      try {
        accessSync(bytesOf(candidate), constants.X_OK);
      } catch {
        continue;
      }
      return real(candidate) === script ? name : scriptPath;
    }
  } catch {
    // fall through
  }
  return scriptPath;
}

/**
 * The arguments after the script as the bytes the process was given, as text (src/text.ts). Node decodes
 * argv as UTF-8 and turns bytes that are not UTF-8 into U+FFFD; /proc/self/cmdline still holds them. The
 * arguments are its last words (whatever node's own options before the script were), and they are taken from it
 * only when they decode to exactly what Node has; otherwise (no /proc, a changed command line) Node's decoding
 * stands. Only an argument with a U+FFFD in it costs the read.
 */
export function argvBytes(args: readonly string[], cmdline: () => string = readCmdline): string[] {
  const decoded = args.map(fromUtf8);
  if (!args.some((a) => a.includes('\ufffd'))) return decoded;
  let words: string[];
  try {
    words = cmdline().split('\0');
  } catch {
    return decoded;
  }
  // every word ends in a NUL, so the split leaves an empty last one
  if (words.pop() !== '' || words.length < args.length) return decoded;
  const raw = words.slice(words.length - args.length);
  for (let i = 0; i < raw.length; i++) if (Buffer.from(raw[i], TEXT).toString('utf8') !== args[i]) return decoded;
  return raw;
}

const readCmdline = (): string => readFileSync('/proc/self/cmdline', TEXT);

export function run(): void {
  // CONNTRACK_PHASES=FILE: when the run reached each phase goes to FILE at exit (src/phases.ts, bench/run.sh)
  const phasesFile = process.env.CONNTRACK_PHASES;
  if (phasesFile) {
    recordPhases(phasesFile);
    phase?.('cli');
  }
  const script = fromUtf8(process.argv[1] ?? 'conntrack');
  const argv0 = (): string => (process.env.CONNTRACK_ARGV0 !== undefined ? fromUtf8(process.env.CONNTRACK_ARGV0) : invokedName(script));
  // stderr through write(2): conntrack's stderr is unbuffered, and process.stderr costs start-up time
  const err = (s: string): void => {
    try {
      writeText(2, s);
    } catch {
      // nowhere left to report to
    }
  };
  // first of all: the signals ignored when the process started are ignored again
  const signals = new ProcessSignals();
  main({ argv: [script, ...argvBytes(process.argv.slice(2))], err, argv0, signals }).then(
    (code) => {
      process.exitCode = code;
      // a command stopped by a signal has reported what it did; now it ends by that signal, as conntrack does
      if (signals.stoppedBy) endBySignal(signals.stoppedBy);
      // No process.exit() here to save Node's teardown (about 2 ms): a listener's -E names the program behind a
      // request only while its socket is open, and ending at once left our -D's DESTROY events without a name
      // (events.test "[USERSPACE] ... progname=conntrack of another process's requests": 0 of 44 named).
    },
    (e: unknown) => {
      err(`conntrack: internal error: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
      process.exitCode = 1;
    },
  );
}

/**
 * Runs the parser once on sample input (no I/O), then one whole `-C` (a read-only statistics request to the
 * kernel of the build's own namespace; its output goes to /dev/null and a failure, such as EPERM without
 * CAP_NET_ADMIN, is only another path compiled), so that the build can store V8's code cache with the functions
 * a start needs already compiled: the socket, the client, the request and reply, the sink (scripts/build-cli.mjs,
 * bin/conntrack). Then -E, with and without a filter, on `eventDatagrams` (captured datagrams of conntrack
 * messages) replayed instead of a socket's: the event path's decoder, filter and formatter are compiled from the
 * cache too, not in the middle of the first burst.
 */
export async function warmUp(eventDatagrams: readonly Buffer[] = []): Promise<void> {
  for (const argv of [['-L'], ['-C'], ['-S'], ['-L', '-o', 'xml,extended,id'], ['-D', '-p', 'tcp', '--dport', '80'], ['-E', '-e', 'NEW']]) {
    try {
      // resolving is the last step of parsing: its functions go into the cache too
      resolveRequest(parseArgs(['conntrack', ...argv]));
    } catch {
      // only compiling matters
    }
  }
  let fd: number | undefined;
  try {
    fd = openSync('/dev/null', 'w');
    await main({ argv: ['conntrack', '-C'], out: new FdSink(fd), err: () => {}, argv0: () => 'conntrack' });
    if (eventDatagrams.length > 0) await warmUpEvents(fd, eventDatagrams);
  } catch {
    // only compiling matters
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

async function warmUpEvents(fd: number, datagrams: readonly Buffer[]): Promise<void> {
  const openClient = (o: { netns?: string }): CtClient => {
    const c = ConntrackClient.open(o);
    c.events = (sub, handlers) => replayedEventStream(sub, handlers, datagrams);
    return c;
  };
  // stopped as soon as the replayed batch is printed (its flush is the first immediate queued)
  const stopAtOnce = { onStop: (stop: () => void) => void setImmediate(stop) };
  // the receiver's path: the in-process one would change V8's flags (cli/tiering.ts), and a code cache made
  // under other flags is rejected at every start
  const setting = process.env.CONNTRACK_KERNEL_FILTER;
  process.env.CONNTRACK_KERNEL_FILTER = 'receiver';
  try {
    for (const argv of [['-E'], ['-E', '-p', 'tcp', '--dport', '443']]) {
      await main({
        argv: ['conntrack', ...argv],
        out: new FdSink(fd),
        err: () => {},
        argv0: () => 'conntrack',
        openClient,
        process: stopAtOnce,
      });
    }
  } finally {
    if (setting === undefined) delete process.env.CONNTRACK_KERNEL_FILTER;
    else process.env.CONNTRACK_KERNEL_FILTER = setting;
  }
}
