// -R FILE / --load-file FILE (conntrack.c ct_parse_file): every line is parsed first (a bad line stops
// everything before anything is applied), then the commands run in order; only -I, -A, -U, -D and -F may
// appear. No summary lines; the first failure ends the run with "Operation failed" and exit 1.
//
// Consecutive -I / -A lines are sent in batches instead of one round trip each. To keep conntrack's "the lines
// before a failure are applied, the ones after it are not", a batch is sent create-only (NLM_F_EXCL): -A lines
// that found their entry are then updated one by one in order, and after a failure the entries that later
// lines of the batch created are deleted again.
//
// A run of consecutive -D lines is answered from one dump (delete-run.ts): each entry goes to the first line that
// matches it, which is what the dump per line that conntrack does leaves and prints. So is a run of -U lines
// (update-run.ts): an entry a line updated goes on, as the kernel answers it, to the lines after it.

import { readFileSync } from 'node:fs';
import { CMD } from './command-bits.js';
import { err2str, otherProblem, parameterProblem } from './errors.js';
import type { Batch } from '../ctnetlink/batch.js';
import { ERRNO, NetlinkError, strerror } from '../ctnetlink/errors.js';
import { type LineHandler, LineShapes, writeLine } from './load-shapes.js';
import { NlWriter } from '../ctnetlink/requests.js';
import { bytesOf, TEXT } from '../text.js';
import { deleteConntrack } from './delete.js';
import { deleteRun } from './delete-run.js';
import { flush } from './get.js';
import { update } from './update.js';
import { updateRun } from './update-run.js';
import type { CommandContext, CommandResult } from './context.js';
import type { CommandRequest, DeleteRequest, UpdateRequest } from './request.js';
import type { EntrySpec } from '../ctnetlink/template.js';

const MAX_ARGC = 255;
const PARAM_MAX = 1024;
const LINE_MAX = 10240;
/**
 * -I / -A lines per datagram. At 128 the per-datagram cost is already spread thin (-R of 100k lines runs at
 * 0.87-0.90x the reference's time); a stop request is honoured between batches, so this is also the most that
 * a signal lets finish after it arrives.
 */
const CREATE_BATCH = 128;

/** add_param_to_argv(): spaces, tabs and newlines separate; "..." quotes, with \ escapes inside quotes. */
export function tokenizeLine(line: string, progname: string): string[] {
  // the common line has no quotes and no long words: plain splitting gives the same words
  if (line.indexOf('"') < 0 && line.length < PARAM_MAX) {
    const words = line.split(/[ \t\n]+/).filter((w) => w !== '');
    if (words.length + 2 < MAX_ARGC) return [progname, ...words];
  }
  const argv = [progname];
  let quoteOpen = false;
  let escaped = false;
  let param = '';
  const add = (c: string): void => {
    param += c;
    if (param.length >= PARAM_MAX) throw parameterProblem('Parameter too long!');
  };
  const push = (): void => {
    if (argv.length + 1 >= MAX_ARGC) throw parameterProblem('too many arguments');
    argv.push(param);
    param = '';
  };
  for (const c of line) {
    if (quoteOpen) {
      if (escaped) {
        add(c);
        escaped = false;
        continue;
      } else if (c === '\\') {
        escaped = true;
        continue;
      } else if (c === '"') {
        quoteOpen = false;
      } else {
        add(c);
        continue;
      }
    } else if (c === '"') {
      quoteOpen = true;
      continue;
    }
    if (c === '"') continue;
    if (c === ' ' || c === '\t' || c === '\n') {
      if (!param.length) continue;
      push();
      continue;
    }
    add(c);
  }
  if (param.length) push();
  return argv;
}

const UNSUPPORTED: Array<[number, string]> = [
  [CMD.CT_LIST, '-L'],
  [CMD.CT_GET, '-G'],
  [CMD.CT_EVENT, '-E'],
  [CMD.CT_VERSION, '-V'],
  [CMD.CT_HELP, '-h'],
  [CMD.EXP_LIST, '-L expect'],
  [CMD.EXP_CREATE, '-C expect'],
  [CMD.EXP_DELETE, '-D expect'],
  [CMD.EXP_GET, '-G expect'],
  [CMD.EXP_FLUSH, '-F expect'],
  [CMD.EXP_EVENT, '-E expect'],
  [CMD.CT_COUNT, '-C'],
  [CMD.EXP_COUNT, '-C expect'],
  [CMD.CT_STATS, '-S'],
  [CMD.EXP_STATS, '-S expect'],
];

/**
 * What -R needs of the command line, supplied by cli/: a line's words parsed as conntrack parses a command line,
 * with the state conntrack keeps in globals from one line to the next (the protocol handler, the output mask).
 */
export interface LineParser {
  /** argv[0] for the words of each line */
  progname(): string;
  parse(argv: string[]): ParsedLine;
  /** a line written from a trusted shape leaves the handler its parse would have left */
  keepHandler(handler: LineHandler | undefined): void;
}

/** One parsed line of a -R file. */
export interface ParsedLine {
  /** the command, as a CMD bit */
  command: number;
  family: number;
  /** warnings the parse printed (stderr) */
  notes: string;
  /** the protocol handler the line leaves behind */
  handler?: LineHandler;
  /** -I / -A: the entry to create */
  entry(): EntrySpec;
  /** -D, -U, -F: the typed request, resolved only when the line runs (its own checks fail it then) */
  resolve(): CommandRequest;
}

export async function loadFile(fileName: string, ctx: CommandContext, parser: LineParser): Promise<void> {
  const path = fileName === '-' ? '/dev/stdin' : fileName;
  let text: string;
  try {
    // the name and the lines are text of bytes (src/text.ts), as conntrack reads them
    text = readFileSync(bytesOf(path), TEXT);
  } catch {
    throw parameterProblem(`Failed to open file ${path} for reading`);
  }
  const progname = parser.progname();
  // -I / -A lines are encoded as soon as they are parsed, end to end in one arena, so that a batch is sent
  // as it lies there; a long file then keeps a few bytes per line alive instead of a parsed command
  const messages = new NlWriter(Math.max(1 << 20, 2 * text.length));
  const undo = new NlWriter(Math.max(1 << 16, text.length));
  const lines = new LineTable();
  const shapes = new LineShapes();
  const parseLine = (line: string): void => {
    const cmd = parser.parse(tokenizeLine(line, progname));
    if (cmd.notes) ctx.err(cmd.notes);
    if (cmd.command === CMD.CT_CREATE || cmd.command === CMD.CT_ADD) {
      const e = cmd.entry();
      const m0 = messages.pos;
      const u0 = undo.pos;
      writeLine(messages, undo, e, cmd.family);
      lines.add(cmd.command, cmd.family, m0, messages.pos, u0, undo.pos);
      if (!cmd.notes) shapes.learn(e, cmd.family, cmd.handler, messages.buf.subarray(m0, messages.pos), undo.buf.subarray(u0, undo.pos));
    } else lines.add(cmd.command, cmd.family, 0, 0, 0, 0, cmd);
  };
  // the lines as fgets() with a 10240-byte buffer reads them: a longer line is read as several
  for (let start = 0; start < text.length; ) {
    const nl = text.indexOf('\n', start);
    const end = nl < 0 ? text.length : nl + 1;
    if (end - start > LINE_MAX - 1) {
      for (let i = start; i < end; i += LINE_MAX - 1) {
        const line = text.slice(i, Math.min(i + LINE_MAX - 1, end)).replace(/^[ \t]+/, '');
        if (line[0] !== '\n' && line[0] !== '#' && line.length !== 0) parseLine(line);
      }
      start = end;
      continue;
    }
    let s = start;
    while (s < end && (text.charCodeAt(s) === 32 || text.charCodeAt(s) === 9)) s++;
    const c = text.charCodeAt(s);
    if (s === end || c === 10 || c === 35 /* # */) {
      start = end;
      continue;
    }
    const m0 = messages.pos;
    const u0 = undo.pos;
    const fast = shapes.write(text, s, end, messages, undo);
    if (fast) {
      // a line of a shape the parser has confirmed: what the parser would leave in conntrack's globals too
      parser.keepHandler(fast.handler);
      lines.add(fast.command === '-I' ? CMD.CT_CREATE : CMD.CT_ADD, fast.family, m0, messages.pos, u0, undo.pos);
    } else parseLine(text.slice(s, end));
    start = end;
  }
  for (let i = 0; i < lines.length; i++) {
    const command = lines.command[i];
    if (!(command & (CMD.CT_CREATE | CMD.CT_ADD | CMD.CT_UPDATE | CMD.CT_DELETE | CMD.CT_FLUSH))) {
      const text = UNSUPPORTED.find(([c]) => c === command)?.[1] ?? 'unknown';
      throw parameterProblem(`Cannot use command \`${text}' with --load-file`);
    }
  }
  const batch = ctx.client.batch();
  // a stop request (a signal) ends the run between two batches or lines: what was sent has been applied
  for (let i = 0; i < lines.length && !ctx.stop?.requested; ) {
    const cmd = lines.parsed.get(i);
    if (!cmd) {
      let j = i;
      while (j < lines.length && j - i < CREATE_BATCH && !lines.parsed.has(j)) j++;
      await createBatch(batch, messages.buf, undo.buf, lines, i, j);
      i = j;
      continue;
    }
    if ((cmd.command === CMD.CT_DELETE || cmd.command === CMD.CT_UPDATE) && lines.parsed.get(i + 1)?.command === cmd.command) {
      i = await runOfLines(lines, i, ctx);
      continue;
    }
    // resolved only now: a line's own checks (--mask-src without --src) fail it after the lines before it ran
    failIfError(await runLine(cmd.resolve(), ctx), cmd.command);
    i++;
  }
}

function failIfError(r: CommandResult, command: number): void {
  if (r.error === undefined) return;
  if (r.error instanceof NetlinkError) throw otherProblem(`Operation failed: ${err2str(r.error.errno, command, strerror)}`);
  throw r.error;
}

/**
 * The run of -D (or -U) lines from line `from`, answered from one dump (delete-run.ts, update-run.ts); returns the
 * line after it. A line whose own checks fail ends the run: the lines before it run, then its error is thrown, as
 * line by line.
 */
async function runOfLines(lines: LineTable, from: number, ctx: CommandContext): Promise<number> {
  const command = lines.command[from];
  const reqs: CommandRequest[] = [];
  let lineError: { e: unknown } | undefined;
  let i = from;
  for (let cmd = lines.parsed.get(i); cmd?.command === command; cmd = lines.parsed.get(++i)) {
    try {
      reqs.push(cmd.resolve());
    } catch (e) {
      lineError = { e };
      break;
    }
  }
  if (reqs.length === 1) failIfError(await runLine(reqs[0], ctx), command);
  else if (reqs.length) failIfError(await runMany(reqs, ctx), command);
  if (lineError) throw lineError.e;
  return i;
}

/** Several -D lines, or several -U lines, in one dump. */
function runMany(reqs: CommandRequest[], ctx: CommandContext): Promise<CommandResult> {
  if (reqs.every((r): r is DeleteRequest => r.kind === 'delete')) return deleteRun(reqs, ctx);
  if (reqs.every((r): r is UpdateRequest => r.kind === 'update')) return updateRun(reqs, ctx);
  throw otherProblem('unknown command');
}

/** A -D, -U or -F line (the only ones kept as parsed: the others were refused or are sent in batches). */
function runLine(req: CommandRequest, ctx: CommandContext): Promise<CommandResult> {
  switch (req.kind) {
    case 'delete':
      return deleteConntrack(req, ctx);
    case 'update':
      return update(req, ctx);
    case 'flush':
      return flush(req, ctx);
    default:
      throw otherProblem('unknown command');
  }
}

/**
 * The parsed lines, one column per field: -I / -A lines as byte ranges (their message, and the attributes
 * that delete the entry again), the other commands as parsed.
 */
class LineTable {
  length = 0;
  readonly command: number[] = [];
  readonly family: number[] = [];
  readonly msgStart: number[] = [];
  readonly msgEnd: number[] = [];
  readonly undoStart: number[] = [];
  readonly undoEnd: number[] = [];
  /** the lines that are not -I / -A, by index */
  readonly parsed = new Map<number, ParsedLine>();

  add(command: number, family: number, m0: number, m1: number, u0: number, u1: number, cmd?: ParsedLine): void {
    if (cmd) this.parsed.set(this.length, cmd);
    this.command.push(command);
    this.family.push(family);
    this.msgStart.push(m0);
    this.msgEnd.push(m1);
    this.undoStart.push(u0);
    this.undoEnd.push(u1);
    this.length++;
  }
}

/** Lines [from, to) of the table, all -I / -A, sent as one datagram straight from the arena. */
async function createBatch(batch: Batch, msgs: Buffer, undos: Buffer, lines: LineTable, from: number, to: number): Promise<void> {
  const results = await batch.createEncoded(msgs, lines.msgStart.slice(from, to), lines.msgEnd[to - 1], true);
  let failAt = -1;
  let failErrno = 0;
  for (let k = 0; k < to - from && failAt < 0; k++) {
    const errno = results[k];
    if (errno === 0) continue;
    if (errno === ERRNO.EEXIST && lines.command[from + k] === CMD.CT_ADD) {
      // -A on an existing entry: update it now, in order (the same message, without NLM_F_EXCL)
      const r = await batch.createEncoded(msgs, [lines.msgStart[from + k]], lines.msgEnd[from + k], false);
      if (r[0] === 0) continue;
      failErrno = r[0];
    } else failErrno = errno;
    failAt = k;
  }
  if (failAt < 0) return;
  // undo what the lines after the failing one created; the last delete asks for the ACK that says they are all done
  for (let k = failAt + 1; k < to - from; k++) {
    if (results[k] === 0) batch.deleteEncoded(lines.family[from + k], undos.subarray(lines.undoStart[from + k], lines.undoEnd[from + k]));
  }
  await batch.exchange();
  throw otherProblem(`Operation failed: ${err2str(failErrno, lines.command[from + failAt], strerror)}`);
}
