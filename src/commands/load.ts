// -R FILE / --load-file FILE (conntrack.c ct_parse_file): every line is parsed first (a bad line stops
// everything before anything is applied), then the commands run in order; only -I, -A, -U, -D and -F may
// appear. No summary lines; the first failure ends the run with "Operation failed" and exit 1.
//
// Consecutive -I / -A lines are sent in batches instead of one round trip each. To keep conntrack's "the lines
// before a failure are applied, the ones after it are not", a batch is sent create-only (NLM_F_EXCL): -A lines
// that found their entry are then updated one by one in order, and after a failure the entries that later
// lines of the batch created are deleted again.

import { readFileSync } from 'node:fs';
import { CMD } from '../cli/commands.js';
import { err2str, otherProblem, parameterProblem } from '../cli/errors.js';
import { ParsedCommand, parseArgs, ParseOptions, ParseSession } from '../cli/parse.js';
import { ConntrackClient } from '../ctnetlink/client.js';
import { CTA, IPCTNL_MSG_CT } from '../ctnetlink/constants.js';
import { NFNL_SUBSYS, NLM_F } from '../netlink/constants.js';
import { ERRNO, strerror } from '../netlink/errno.js';
import { NetlinkError } from '../netlink/socket.js';
import { entryFromTemplate } from './create.js';
import { writeTuple } from '../ctnetlink/encode.js';
import { writeEntry } from '../ctnetlink/template.js';
import { NlWriter } from '../netlink/writer.js';
import { deleteConntrack } from './delete.js';
import { flush } from './get.js';
import { update } from './update.js';
import type { CommandContext } from './context.js';

const MAX_ARGC = 255;
const PARAM_MAX = 1024;
const LINE_MAX = 10240;
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

/** The lines as fgets() with a 10240-byte buffer reads them. */
function readLines(text: string): string[] {
  const out: string[] = [];
  for (const raw of text.split(/(?<=\n)/)) {
    for (let i = 0; i < raw.length; i += LINE_MAX - 1) out.push(raw.slice(i, i + LINE_MAX - 1));
  }
  return out;
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

export async function loadFile(fileName: string, ctx: CommandContext, popts: ParseOptions): Promise<void> {
  const path = fileName === '-' ? '/dev/stdin' : fileName;
  let text: string;
  try {
    text = readFileSync(path, 'latin1');
  } catch {
    throw parameterProblem(`Failed to open file ${path} for reading`);
  }
  const progname = popts.argv0 ? popts.argv0() : 'conntrack';
  const session = new ParseSession();
  // -I / -A lines are encoded as soon as they are parsed, into one arena: a long file then keeps a few bytes
  // per line alive instead of a parsed command
  const arena = new NlWriter(1 << 20);
  const lines: Line[] = [];
  for (let line of readLines(text)) {
    line = line.replace(/^[ \t]+/, '');
    if (line[0] === '\n' || line[0] === '#' || line.length === 0) continue;
    const cmd = parseArgs(tokenizeLine(line, progname), { ...popts, session });
    if (cmd.notes) ctx.err(cmd.notes);
    if (cmd.command === CMD.CT_CREATE || cmd.command === CMD.CT_ADD) {
      const e = entryFromTemplate(cmd);
      const a0 = arena.pos;
      writeEntry(arena, e);
      const u0 = arena.pos;
      if (e.orig) writeTuple(arena, CTA.TUPLE_ORIG, e.orig);
      if (e.zone !== undefined) arena.u16be(CTA.ZONE, e.zone);
      lines.push({ command: cmd.command, family: cmd.family, attrs: [a0, u0], undo: [u0, arena.pos] });
    } else lines.push({ command: cmd.command, family: cmd.family, cmd });
  }
  for (const l of lines) {
    if (!(l.command & (CMD.CT_CREATE | CMD.CT_ADD | CMD.CT_UPDATE | CMD.CT_DELETE | CMD.CT_FLUSH))) {
      const text = UNSUPPORTED.find(([c]) => c === l.command)?.[1] ?? 'unknown';
      throw parameterProblem(`Cannot use command \`${text}' with --load-file`);
    }
  }
  const client = ctx.client;
  if (!(client instanceof ConntrackClient)) throw otherProblem("Can't open handler");
  for (let i = 0; i < lines.length; ) {
    const l = lines[i];
    if (!l.cmd) {
      let j = i;
      while (j < lines.length && j - i < CREATE_BATCH && !lines[j].cmd) j++;
      await createBatch(client, arena.buf, lines.slice(i, j));
      i = j;
      continue;
    }
    const cmd = l.cmd;
    const r = cmd.command === CMD.CT_DELETE ? await deleteConntrack(cmd, ctx) : cmd.command === CMD.CT_UPDATE ? await update(cmd, ctx) : await flush(cmd, ctx);
    if (r.error !== undefined) {
      if (r.error instanceof NetlinkError) throw otherProblem(`Operation failed: ${err2str(r.error.errno, cmd.command, strerror)}`);
      throw r.error;
    }
    i++;
  }
}

/** A parsed line: -I / -A as byte ranges of the arena (the entry, and what deletes it again), others parsed. */
interface Line {
  command: number;
  family: number;
  cmd?: ParsedCommand;
  attrs?: [number, number];
  undo?: [number, number];
}

/** Appends a -I / -A line's IPCTNL_MSG_CT_NEW, its attributes copied from the arena. */
function writeCreate(w: NlWriter, arena: Buffer, l: Line, seq: number, excl: boolean, ack: boolean): void {
  const flags = NLM_F.CREATE | (excl ? NLM_F.EXCL : 0) | (ack ? NLM_F.ACK : 0);
  const start = w.beginMessage(NFNL_SUBSYS.CTNETLINK, IPCTNL_MSG_CT.NEW, flags, l.family, seq);
  w.raw(arena.subarray(l.attrs![0], l.attrs![1]));
  w.endMessage(start);
}

const batchWriter = new NlWriter();

async function createBatch(client: ConntrackClient, arena: Buffer, lines: Line[]): Promise<void> {
  const sock = client.modifier();
  const seqs = lines.map(() => sock.allocSeq());
  const w = batchWriter;
  lines.forEach((l, k) => writeCreate(w, arena, l, seqs[k], true, k === lines.length - 1));
  const results = await sock.sendBatch(w.take(), seqs);
  let failAt = -1;
  let failErrno = 0;
  for (let k = 0; k < lines.length && failAt < 0; k++) {
    const errno = results[k];
    if (errno === 0) continue;
    if (errno === ERRNO.EEXIST && lines[k].command === CMD.CT_ADD) {
      // -A on an existing entry: update it now, in order
      const seq = sock.allocSeq();
      writeCreate(w, arena, lines[k], seq, false, true);
      const r = await sock.sendBatch(w.take(), [seq]);
      if (r[0] === 0) continue;
      failErrno = r[0];
    } else failErrno = errno;
    failAt = k;
  }
  if (failAt < 0) return;
  // undo what the lines after the failing one created
  const undoSeqs: number[] = [];
  for (let k = failAt + 1; k < lines.length; k++) {
    if (results[k] !== 0) continue;
    const seq = sock.allocSeq();
    const start = w.beginMessage(NFNL_SUBSYS.CTNETLINK, IPCTNL_MSG_CT.DELETE, 0, lines[k].family, seq);
    w.raw(arena.subarray(lines[k].undo![0], lines[k].undo![1]));
    w.endMessage(start);
    undoSeqs.push(seq);
  }
  if (undoSeqs.length) {
    const undo = w.take();
    // the last delete asks for the ACK that says they are all done
    let off = 0;
    let last = 0;
    while (off < undo.length) {
      last = off;
      off += undo.readUInt32LE(off);
    }
    undo.writeUInt16LE(undo.readUInt16LE(last + 6) | NLM_F.ACK, last + 6);
    await sock.sendBatch(undo, undoSeqs);
  }
  throw otherProblem(`Operation failed: ${err2str(failErrno, lines[failAt].command, strerror)}`);
}
