// A run of consecutive -D lines of a -R file, answered from one dump (issue 15). conntrack runs each line as its
// own dump and delete; an entry that line 1 deletes is gone when line 2 dumps, so "each entry is deleted by the
// first line that matches it" leaves exactly the table, and prints exactly the entries, that line after line
// would. Each line's entries are kept (as printed text) until the dump ends, then printed line by line in line
// order: memory grows with the entries deleted, not with the table.
//
// Every line's own filter runs here in userspace, its kernel dump filter too (the one dump carries only what they
// all ask for: filter/kernel.ts commonDumpFilter, matchesDumpFilter). Lines that compare an exact original address are
// looked up by it (line-index.ts).

import { CMD } from './command-bits.js';
import { err2str, otherProblem } from './errors.js';
import { FlowDecoder } from '../ctnetlink/decode.js';
import { compileFilter, compileRawPrefilter, type FlowFilter } from '../filter/userspace.js';
import { commonDumpFilter, kernelDumpFilter, matchesDumpFilter } from '../filter/kernel.js';
import { ERRNO, strerror } from '../ctnetlink/errors.js';
import type { DumpFilter } from '../ctnetlink/requests.js';
import type { Flow } from '../ctnetlink/model.js';
import { ByteSink } from '../format/sink.js';
import { flowPrinter, type FlowPrinter } from '../format/printer.js';
import { DELETE_BATCH, deleteBatches } from './delete.js';
import type { CommandContext, CommandResult } from './context.js';
import type { DeleteRequest } from './request.js';
import { LineIndex } from './line-index.js';

type RawSkip = (buf: Buffer, off: number, len: number) => boolean;

/** One -D line of the run, compiled. */
interface RunLine {
  dump: DumpFilter;
  skipRaw?: RawSkip;
  skip?: FlowFilter;
  print: FlowPrinter;
}

/**
 * Runs the -D lines in one dump. Returns each line's count; a dump error comes back as `error`, a failing delete
 * is thrown (as deleteConntrack does) after what was deleted has been printed.
 */
export async function deleteRun(reqs: readonly DeleteRequest[], ctx: CommandContext): Promise<CommandResult> {
  const batches = deleteBatches(ctx);
  // each line's deleted entries, printed once the dump is done (created on its first entry)
  const lineText: Array<ByteSink | undefined> = [];
  // an entry is formatted when dumped (its object is reused) into the batch's text; entry i is line lineOf[i]
  // of the run and ends at ends[i]
  const batchText = new ByteSink();
  const lines: RunLine[] = reqs.map((r) => ({
    dump: kernelDumpFilter(r.query),
    skipRaw: compileRawPrefilter(r.query),
    skip: compileFilter(r.query),
    print: flowPrinter({ ...r.output, labelmap: undefined }, { ...ctx, out: batchText }, 'delete'),
  }));
  // only a compared template holds the entry to its addresses (nfct_cmp runs only with CT_COMPARISON)
  const index = new LineIndex(reqs.map((r) => (r.query.compare ? r.query.orig : {})));
  const decoder = new FlowDecoder();
  let counter = 0;
  let ends: number[] = [];
  let lineOf: number[] = [];

  const send = (): Promise<void> | undefined => {
    const text = batchText.take();
    const batchEnds = ends;
    const batchLines = lineOf;
    const answered = batches.send((results) => {
      for (let i = 0; i < results.length && batches.fatal === undefined; i++) {
        const errno = results[i];
        // ENOENT: gone between dump and delete; reported all the same (1.4.8, as deleteConntrack)
        if (errno !== 0 && errno !== ERRNO.ENOENT) {
          batches.fail(otherProblem(`Operation failed: ${err2str(errno, CMD.CT_DELETE, strerror)}`));
          break;
        }
        const k = batchLines[i];
        const sink = (lineText[k] ??= new ByteSink(512));
        sink.bytes(text.subarray(i === 0 ? 0 : batchEnds[i - 1], batchEnds[i]));
        counter++;
      }
    });
    ends = [];
    lineOf = [];
    return answered;
  };

  const dumpError = await batches.dumpOutcome(
    ctx.client.dumpRaw({ ...commonDumpFilter(lines.map((l) => l.dump)), threaded: true }, (buf, off, len) => {
      batches.checkOpen();
      const candidates = index.candidates(buf, off, len);
      if (candidates.length === 0) return undefined;
      const flow = decoder.decode(buf, off, len);
      const k = firstMatch(lines, candidates, flow, buf, off, len);
      if (k < 0) return undefined;
      void batches.deleteFromMessage(buf, off, len);
      lines[k].print.flow(flow);
      ends.push(batchText.pos);
      lineOf.push(k);
      // the dump pauses while too many batches are unanswered
      if (batches.length >= DELETE_BATCH) return send();
      return undefined;
    }),
  );
  if (dumpError === undefined && batches.length) void send();
  try {
    await batches.finish();
  } finally {
    // line by line, in line order: what conntrack prints running them one after the other
    for (const t of lineText) if (t) ctx.out.bytes(t.buf.subarray(0, t.pos));
  }
  return { counter, error: dumpError };
}

function firstMatch(lines: readonly RunLine[], candidates: readonly number[], flow: Flow, buf: Buffer, off: number, len: number): number {
  for (const k of candidates) {
    const l = lines[k];
    if (!matchesDumpFilter(l.dump, flow)) continue;
    if (l.skipRaw?.(buf, off, len)) continue;
    if (l.skip?.(flow)) continue;
    return k;
  }
  return -1;
}
