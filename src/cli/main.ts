// The one place that turns results and errors into stderr text and an exit code (conntrack.c main(),
// do_command_ct(), print_stats(), exit_error()).

import { constants as osConstants } from 'node:os';
import { CMD, EVENT_EXIT_MSG, EXIT_MSG } from './commands.js';
import { CtError, err2str, EXIT, MESSAGE_PREFIX, otherProblem } from '../commands/errors.js';
import { FdSink, OutputClosed, OutputFailed, TextSink, writeText } from '../format/sink.js';
import { parseArgs, ParsedCommand, type ParseOptions, ParseSession } from './parse.js';
import { entryFromTemplate, resolveRequest } from './resolve.js';
import { usageText } from './usage.js';
import { takeNetns } from './netns-arg.js';
import { ConntrackClient, CtClient } from '../ctnetlink/client.js';
import { NetlinkError } from '../netlink/socket/nfnl-socket.js';
import { ERRNO, strerror } from '../netlink/errno.js';
import { causeErrno, causeOf } from '../netlink/socket/raw-socket.js';
import { Clock, systemClock } from '../format/clock.js';
import type { CommandContext, CommandResult } from '../commands/context.js';
import type { CommandRequest, EventsRequest } from '../commands/request.js';
import { listConntrack } from '../commands/list.js';
import { count, stats } from '../commands/stats.js';
import { deleteConntrack } from '../commands/delete.js';
import { flush, getConntrackEntry } from '../commands/get.js';
import { create } from '../commands/create.js';
import { update } from '../commands/update.js';
import { type LineParser, loadFile } from '../commands/load.js';
import { events, EventProcess, readInProcess } from '../commands/events.js';
import { tierUpLater } from './tiering.js';
import { watch } from '../commands/watch.js';
import { countExpect, createExpect, deleteExpectation, flushExpect, getExpectation, listExpect } from '../commands/expect.js';
import { type ProtoHandler, protoNameByNumber } from './protocols/index.js';
import { signalNumber, type StopGuard, type StopSignals } from './signals.js';

export interface MainIo {
  argv: string[];
  out?: TextSink;
  /** stderr writer */
  err?: (s: string) => void;
  clock?: Clock;
  /** opens the netlink client (in the namespace --netns names, if any); injectable for tests */
  openClient?: (opts: { netns?: string }) => CtClient;
  /** label map path (default /etc/xtables/connlabel.conf) */
  labelmapPath?: string;
  /** argv[0] as conntrack would print it, resolved only when needed (usage, some messages) */
  argv0?: () => string;
  /** SIGINT / SIGTERM, for -E */
  process?: EventProcess;
  /** SIGINT / SIGTERM / SIGHUP while -D, -U, -F or -R changes entries (none caught when absent) */
  signals?: StopSignals;
  /** false: no receiving thread for a dump, whatever its size (CommandContext.threadedDumps); absent: by the table's size */
  threadedDumps?: boolean;
}

/** The commands that catch a stop signal and finish their batches in flight (cli/signals.ts). */
const STOPPABLE = CMD.CT_DELETE | CMD.CT_UPDATE | CMD.CT_FLUSH;

const SIGPIPE_EXIT = 128 + 13;

/** The process's SIGINT and SIGTERM. */
const processSignals: EventProcess = {
  onStop(handler) {
    process.once('SIGINT', handler);
    process.once('SIGTERM', handler);
  },
};

export async function main(io: MainIo): Promise<number> {
  const out = io.out ?? new FdSink(1);
  const err = io.err ?? ((s: string) => writeText(2, s));
  try {
    return await run(io, out, err);
  } catch (e) {
    try {
      out.flush();
    } catch (flushError) {
      if (flushError instanceof OutputClosed) return SIGPIPE_EXIT;
    }
    if (e instanceof OutputClosed) return SIGPIPE_EXIT;
    if (e instanceof OutputFailed) {
      err(`${MESSAGE_PREFIX}write error: ${strerror(codeToErrno(e.code))}\n`);
      return EXIT.OTHER_PROBLEM;
    }
    if (e instanceof CtError) {
      err(e.render());
      return e.exitCode;
    }
    throw e;
  }
}

/** The errno a failed write reported (its code names it, e.g. ENOSPC); a code that names no errno is an I/O error. */
function codeToErrno(code: string): number {
  return (osConstants.errno as Record<string, number>)[code] ?? ERRNO.EIO;
}

async function run(io: MainIo, out: TextSink, err: (s: string) => void): Promise<number> {
  // --netns (ours): the rest of the command line runs as conntrack would inside that namespace
  const { argv, netns } = takeNetns(io.argv);
  // conntrack opens its netlink socket before parsing; a failure there ends everything
  let client: CtClient;
  try {
    client = (io.openClient ?? ((o) => ConntrackClient.open(o)))(netns === undefined ? {} : { netns });
  } catch (e) {
    if (netns !== undefined && e instanceof NetlinkError && (e.syscall === 'open' || e.syscall === 'setns')) {
      throw otherProblem(`Can't enter network namespace \`${netns}': ${strerror(e.errno)}`);
    }
    err(`mnl_socket_open: ${strerror(causeErrno(causeOf(e, 'socket')))}\n`);
    throw otherProblem("Can't open handler");
  }
  try {
    const argv0 = io.argv0 ?? (() => argv[0]);
    const ctx: CommandContext = { client, out, err, clock: io.clock ?? systemClock, threadedDumps: io.threadedDumps };
    // -R / --load-file is recognised only as the first argument, and only with a file after it
    if (argv.length > 2 && (argv[1] === '-R' || argv[1] === '--load-file')) {
      return await stoppable(io.signals, async (stop) => {
        await loadFile(argv[2], { ...ctx, stop }, loadLineParser({ labelmapPath: io.labelmapPath, argv0 }));
        out.flush();
        return EXIT.OK;
      });
    }
    const cmd = parseArgs(argv, { labelmapPath: io.labelmapPath, argv0 });
    if (cmd.notes) err(cmd.notes);
    const signals = cmd.command & STOPPABLE ? io.signals : undefined;
    return await stoppable(signals, async (stop) => {
      const result = await dispatch(cmd, { ...ctx, stop }, argv0, io.process ?? processSignals);
      out.flush();
      if (result.error !== undefined) throw operationFailed(result.error, cmd.command);
      return printStats(cmd, result.counter, err);
    });
  } finally {
    client.close();
  }
}

/**
 * Runs a command that changes entries with the stop signals caught: once it has finished what was in flight and
 * printed its summary, a caught signal makes the exit code conntrack's death by it (bin.ts then re-raises it).
 */
async function stoppable(signals: StopSignals | undefined, body: (stop: CommandContext['stop']) => Promise<number>): Promise<number> {
  const guard: StopGuard | undefined = signals?.catchStop();
  try {
    const code = await body(guard?.stop);
    return guard?.signal ? 128 + signalNumber(guard.signal) : code;
  } finally {
    guard?.release();
  }
}

export function operationFailed(e: unknown, command: number): Error {
  if (e instanceof NetlinkError) return otherProblem(`Operation failed: ${err2str(e.errno, command, strerror)}`);
  return e instanceof Error ? e : new Error(String(e));
}

/** print_stats(): the summary line; a zero counter fails every command but -L, -L expect and -A. */
function printStats(cmd: ParsedCommand, counter: number, err: (s: string) => void): number {
  const msg = cmd.command ? (EXIT_MSG[cmd.cmd] ?? EVENT_EXIT_MSG[cmd.cmd]) : undefined;
  if (!msg) return EXIT.OK;
  err(MESSAGE_PREFIX + msg.replace('%d', String(counter)));
  // -E ends on a signal, and conntrack's handler always exits 0
  if (counter === 0 && !(cmd.command & (CMD.CT_LIST | CMD.EXP_LIST | CMD.CT_EVENT | CMD.EXP_EVENT))) return EXIT.OTHER_PROBLEM;
  return EXIT.OK;
}

async function dispatch(cmd: ParsedCommand, ctx: CommandContext, argv0: () => string, proc: EventProcess): Promise<CommandResult> {
  // what is only text of the command line itself, answered here
  if (!cmd.extras.watch) {
    switch (cmd.command) {
      case CMD.CT_VERSION:
        ctx.out.write('conntrack v1.4.7 (conntrack-tools)\n');
        return { counter: 0 };
      case CMD.CT_HELP:
        ctx.out.write(usageText(argv0()));
        if (cmd.handler) ctx.out.write(extensionHelp(cmd));
        return { counter: 0 };
      case 0:
        ctx.out.write(usageText(argv0()));
        return { counter: 0 };
    }
  }
  return runRequest(resolveRequest(cmd), ctx, proc);
}

/**
 * CONNTRACK_KERNEL_FILTER=off: every event reaches userspace (to compare, or on a kernel that misjudges);
 * `receiver`: the filter stays, but the receiver process reads what passes it (to compare with the in-process reader).
 */
function withKernelFilterSetting(req: EventsRequest, setting: string | undefined): EventsRequest {
  if (setting === 'off') return { ...req, kernelFilter: false };
  return setting === 'receiver' ? { ...req, inProcess: false } : req;
}

/** The command of a request. */
function runRequest(req: CommandRequest, ctx: CommandContext, proc: EventProcess): Promise<CommandResult> {
  switch (req.kind) {
    case 'watch':
      return watch(req, ctx, proc);
    case 'events': {
      const r = withKernelFilterSetting(req, process.env.CONNTRACK_KERNEL_FILTER);
      // few events will come: V8's optimizing compiler would cost more than it saves (cli/tiering.ts)
      if (readInProcess(r)) tierUpLater();
      return events(r, ctx, proc);
    }
    case 'expect-list':
      return listExpect(req, ctx);
    case 'expect-count':
      return countExpect(req, ctx);
    case 'expect-flush':
      return flushExpect(req, ctx);
    case 'expect-get':
      return getExpectation(req, ctx);
    case 'expect-delete':
      return deleteExpectation(req, ctx);
    case 'expect-create':
      return createExpect(req, ctx);
    case 'list':
      return listConntrack(req, ctx);
    case 'delete':
      return deleteConntrack(req, ctx);
    case 'create':
      return create(req, ctx);
    case 'update':
      return update(req, ctx);
    case 'get':
      return getConntrackEntry(req, ctx);
    case 'flush':
      return flush(req, ctx);
    case 'count':
      return count(ctx);
    case 'stats':
      return stats(ctx, false);
    case 'expect-stats':
      return stats(ctx, true);
  }
}

/** extension_help(): "Proto `NAME' help:" then the extension's text; the unknown handler names the protocol. */
function extensionHelp(cmd: ParsedCommand): string {
  const h = cmd.handler!;
  const name = h.name === 'unknown' ? (protoNameByNumber(cmd.protonum) ?? h.name) : h.name;
  return `Proto \`${name}' help:\n` + h.help;
}

/** -R's lines parsed as command lines, with conntrack's globals kept from one line to the next. */
function loadLineParser(popts: ParseOptions): LineParser {
  const session = new ParseSession();
  const options = { ...popts, session };
  return {
    progname: () => (popts.argv0 ? popts.argv0() : 'conntrack'),
    parse(argv) {
      const cmd = parseArgs(argv, options);
      return {
        command: cmd.command,
        family: cmd.family,
        notes: cmd.notes,
        handler: cmd.handler,
        entry: () => entryFromTemplate(cmd),
        resolve: () => resolveRequest(cmd),
      };
    },
    keepHandler(handler) {
      // the handlers the shapes hand back are the ones parse() gave them
      session.handler = handler as ProtoHandler | undefined;
    },
  };
}
