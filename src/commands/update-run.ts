// A run of consecutive -U lines of a -R file, answered from one dump (issue 15). conntrack runs each line as its
// own dump and update: line 2 sees the table that line 1 left, so an entry that line 1 changed may match line 2
// or no longer be changed by it (its new mark or status is already there), and an entry may be updated, and
// printed, by several lines. Here each dumped entry goes to the first line that would change it: that line
// updates it and reads it back (the GET of -U), and the kernel's answer, the entry as the line left it, goes on
// to the lines after it, and so on. So every line sees every entry as its own dump would have shown it, and the
// kernel, not a copy of its rules, says what an update did.
//
// A line's entries are printed in dump order (a line's own dump shows the entries in the same order: an update
// does not move an entry in the table, and a filtered dump keeps the order of the whole one), line after line,
// once the run is done: memory grows with the entries updated, not with the table.

import { FlowDecoder } from '../ctnetlink/decode.js';
import type { FlowSpec } from '../ctnetlink/flow-spec.js';
import type { Flow } from '../ctnetlink/model.js';
import type { DumpFilter } from '../ctnetlink/requests.js';
import { commonDumpFilter, kernelDumpFilter, matchesDumpFilter } from '../filter/kernel.js';
import { compileUpdateFilter, type FlowFilter } from '../filter/userspace.js';
import type { OutputSpec } from '../format/output.js';
import { flowPrinter, type FlowPrinter } from '../format/printer.js';
import { ByteSink } from '../format/sink.js';
import type { CommandContext, CommandResult } from './context.js';
import { LineIndex } from './line-index.js';
import type { FlowChange, UpdateRequest } from './request.js';
import { pairOutcome, UPDATE_BATCH, updateBatches, updatedEntry } from './update.js';

/** One -U line of the run, compiled, with what it has printed. */
interface RunLine {
  dump: DumpFilter;
  skip: FlowFilter;
  change: FlowChange;
  output: OutputSpec;
  /** its printed entries, end to end (created on its first) */
  text?: ByteSink;
  print?: FlowPrinter;
  /** the entries it updated: where each lies in `text`, and its place in the dump */
  updated: Printed[];
}

interface Printed {
  at: number;
  start: number;
  end: number;
}

/** A line's update of an entry: the new values, to be sent. */
interface Change {
  line: number;
  spec: FlowSpec;
}

/** An update and GET pair sent: whose it is, and what the entry goes on to once its answer is read. */
interface Pair {
  line: number;
  printed: Printed;
  next?: Change;
}

/**
 * Runs the -U lines in one dump. Returns the number of updates; a dump error comes back as `error`, a failing
 * update is thrown (as update() does) after what was updated has been printed.
 */
export async function updateRun(reqs: readonly UpdateRequest[], ctx: CommandContext): Promise<CommandResult> {
  const lines: RunLine[] = reqs.map((r) => ({
    dump: kernelDumpFilter(r.query),
    skip: compileUpdateFilter(r.query),
    change: r.change,
    output: r.output,
    updated: [],
  }));
  // -U always compares the original tuple (compileUpdateFilter): a line's exact addresses hold it
  const index = new LineIndex(reqs.map((r) => r.query.orig));
  const decoder = new FlowDecoder();
  const replyDecoder = new FlowDecoder();
  const batches = updateBatches(ctx);
  let counter = 0;
  // the pairs queued for the next datagram, in the order of their messages
  let pairs: Pair[] = [];

  /** The first of the candidate lines from line `from` on that would change the entry (1.4.8's update callback). */
  const firstChange = (candidates: readonly number[], from: number, flow: Flow): Change | undefined => {
    for (const k of candidates) {
      if (k < from) continue;
      const l = lines[k];
      if (!matchesDumpFilter(l.dump, flow) || l.skip(flow)) continue;
      // updatedEntry copies what it keeps: the decoder's reused flow will do
      const entry = updatedEntry(l.change, flow);
      if (entry) return { line: k, spec: { family: flow.family, entry } };
    }
    return undefined;
  };

  /** Queues line c.line's update of the entry at dump position `at`, and the GET whose answer it prints. */
  const queue = (c: Change, at: number): void => {
    const l = lines[c.line];
    const pair: Pair = { line: c.line, printed: { at, start: 0, end: 0 } };
    void batches.update(c.spec);
    void batches.get(c.spec, (b, o, len) => {
      const text = (l.text ??= new ByteSink(512));
      l.print ??= flowPrinter(l.output, { ...ctx, out: text }, 'update');
      const flow = replyDecoder.decode(b, o, len);
      pair.printed.start = text.pos;
      l.print.flow(flow);
      pair.printed.end = text.pos;
      // the entry as this line left it, for the lines after it (sent once this update is known to be done)
      pair.next = firstChange(index.candidates(b, o, len), c.line + 1, flow);
    });
    pairs.push(pair);
  };

  const send = (): Promise<void> | undefined => {
    const sent = pairs;
    pairs = [];
    return batches.send((results) => {
      for (let i = 0; i < sent.length; i++) {
        if (batches.fatal !== undefined) return false;
        const outcome = pairOutcome(batches, results[2 * i], results[2 * i + 1]);
        if (outcome === 'gone') continue;
        if (outcome === 'failed') return false;
        const p = sent[i];
        lines[p.line].updated.push(p.printed);
        counter++;
        // into the datagram being filled: sent with it, or after the dump (below)
        if (p.next) queue(p.next, p.printed.at);
      }
      return true;
    });
  };

  let at = 0;
  const dumpError = await batches.dumpOutcome(
    ctx.client.dumpRaw({ ...commonDumpFilter(lines.map((l) => l.dump)), threaded: true }, (buf, off, len) => {
      batches.checkOpen();
      const here = at++;
      const candidates = index.candidates(buf, off, len);
      if (candidates.length === 0) return undefined;
      const c = firstChange(candidates, 0, decoder.decode(buf, off, len));
      if (!c) return undefined;
      queue(c, here);
      // the dump pauses while too many batches are unanswered
      if (batches.length >= UPDATE_BATCH * 2) return send();
      return undefined;
    }),
  );
  // the last datagram, then those of the updates that its answers (and theirs) queued for later lines
  if (dumpError === undefined) {
    while (batches.length && !batches.ended) {
      void send();
      await batches.settle();
    }
  }
  try {
    await batches.finish();
  } finally {
    // line by line, each in dump order: what conntrack prints running them one after the other
    for (const l of lines) {
      const text = l.text;
      if (!text) continue;
      const updated = l.updated;
      if (updated.some((p, i) => i > 0 && updated[i - 1].at > p.at)) updated.sort((a, b) => a.at - b.at);
      for (const p of updated) ctx.out.bytes(text.buf.subarray(p.start, p.end));
    }
  }
  return { counter, error: dumpError };
}
