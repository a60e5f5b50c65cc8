// -U: update every matching entry (conntrack.c CT_UPDATE / mnl_nfct_update_cb), with the fixes of 1.4.8 (each
// entry's own family, vanished entries skipped, failures fatal) and one of our own: the entry's zone is sent
// along, so entries in a non-default zone can be updated (every conntrack release fails on them).
//
// Per entry: the original tuple plus the new values (CT_NEW without NLM_F_CREATE), then a GET whose answer is
// printed. The pairs go out in batches, the dump pausing while a batch is unanswered (as -D does).

import { CMD } from './command-bits.js';
import { err2str, otherProblem } from './errors.js';
import { ByteSink, type TextSink } from '../format/sink.js';
import { IPPROTO } from '../ctnetlink/constants.js';
import { FlowDecoder } from '../ctnetlink/decode.js';
import type { TupleSpec } from '../ctnetlink/encode.js';
import type { Flow, Tuple } from '../ctnetlink/model.js';
import { EntrySpec, labelBitmap } from '../ctnetlink/template.js';
import { compileUpdateFilter } from '../filter/userspace.js';
import { kernelDumpFilter } from '../filter/kernel.js';
import { flowPrinter } from '../format/printer.js';
import { ERRNO, strerror } from '../ctnetlink/errors.js';
import { tupleSpecOf } from '../ctnetlink/flow-spec.js';
import type { Batch } from '../ctnetlink/batch.js';
import type { CommandContext, CommandResult } from './context.js';
import type { FlowChange, UpdateRequest } from './request.js';

export const UPDATE_BATCH = 64; // entries, two messages each; 2 batches unanswered: a SIGKILL leaves at most 128 updated unprinted
/** Room for a batch's printed lines to start with (the buffer grows as needed). */
const BATCH_TEXT = UPDATE_BATCH * 256;

/** The encoder's tuple of a dumped entry's tuple (its own family as the layer-3 protocol). */
const tupleOf = (t: Tuple): TupleSpec => tupleSpecOf(t, t.family);

const labelBit = (b: Uint8Array | undefined, i: number): boolean =>
  b !== undefined && i < b.length * 8 && ((b[i >> 3] >> (i & 7)) & 1) === 1;

/** The changed entry (nfct_copy ORIG + META, copy_mark, copy_status, copy_label), or undefined if unchanged. */
export function updatedEntry(c: FlowChange, ct: Flow): EntrySpec | undefined {
  if (!ct.orig) return undefined;
  const e: EntrySpec = { orig: tupleOf(ct.orig) };
  let changed = false;
  if (c.timeout !== undefined) {
    e.timeout = c.timeout;
    if (ct.timeout !== c.timeout) changed = true;
  }
  if (c.status !== undefined) {
    e.status = ((ct.status ?? 0) | c.status) >>> 0;
    // status compares as a subset: the new bits must already be there
    if (ct.status === undefined || (e.status & ct.status) >>> 0 !== e.status) changed = true;
  }
  if (c.mark) {
    e.mark = (((ct.mark ?? 0) & ~c.mark.mask) ^ c.mark.value) >>> 0;
    if ((ct.mark ?? 0) !== e.mark) changed = true;
  }
  if (c.tcpState !== undefined) {
    e.tcpState = c.tcpState;
    if (ct.tcp?.state !== c.tcpState) changed = true;
  }
  if (c.tcpFlags !== undefined && ct.orig.protonum === IPPROTO.TCP) e.tcpFlags = c.tcpFlags;
  if (c.sctpState !== undefined) {
    e.sctpState = c.sctpState;
    if (ct.sctp?.state !== c.sctpState) changed = true;
  }
  if (c.sctpVtagOrig !== undefined) e.sctpVtagOrig = c.sctpVtagOrig;
  if (c.sctpVtagReply !== undefined) e.sctpVtagReply = c.sctpVtagReply;
  if (c.dccpState !== undefined) {
    e.dccpState = c.dccpState;
    if (ct.dccp?.state !== c.dccpState) changed = true;
  }
  if (c.addLabels || c.deleteLabels) {
    const have = ct.labels;
    const modify = c.addLabels ?? (c.deleteLabels === 'all' ? undefined : c.deleteLabels);
    if (c.addLabels) {
      if (!have) {
        e.labels = labelBitmap(modify ?? []);
      } else {
        // same size as the kernel's bitmap; set bits in both labels and mask, old bits zero in both
        const size = have.length;
        const labels = new Uint8Array(size);
        const mask = new Uint8Array(size);
        for (let i = 0; i < size * 8; i++) {
          if (modify?.has(i)) {
            labels[i >> 3] |= 1 << (i & 7);
            mask[i >> 3] |= 1 << (i & 7);
          }
        }
        e.labels = labels;
        e.labelsMask = mask;
      }
      changed = true;
    } else if (have) {
      if (!modify) {
        e.labels = new Uint8Array(4); // an empty bitmap: all labels go
      } else {
        // the kernel sets each word to (old & ~mask) ^ labels (nf_connlabels_replace): the bits to clear go in
        // the mask, with zeros for them in the labels. (conntrack sends the entry's labels less those bits, and
        // a mask only when it happens to be as long: then that XOR clears every other label too.)
        const size = have.length;
        const mask = new Uint8Array(size);
        for (const b of modify) {
          if (labelBit(have, b)) mask[b >> 3] |= 1 << (b & 7);
        }
        e.labels = new Uint8Array(size);
        e.labelsMask = mask;
      }
      // conntrack's unchanged test (nfct_cmp) sees the labels mask it set on every labelled entry: each one is
      // updated and printed, whether or not it had the label
      changed = true;
    }
  }
  if (!changed) return undefined;
  if (ct.zone !== undefined) e.zone = ct.zone;
  return e;
}

/**
 * What the answers to an entry's update and GET say: 'done'; 'gone' when the entry vanished in the middle (skipped,
 * as 1.4.8 does); 'failed' when either failed otherwise, and then the batch has failed with conntrack's message.
 */
export function pairOutcome(batches: Batch, upd: number, get: number): 'done' | 'gone' | 'failed' {
  if (upd === ERRNO.ENOENT || get === ERRNO.ENOENT) return 'gone';
  const errno = upd || get;
  if (!errno) return 'done';
  batches.fail(otherProblem(`Operation failed: ${err2str(errno, CMD.CT_UPDATE, strerror)}`));
  return 'failed';
}

/** The pipelined update and GET pairs of a -U (and of a run of -R's -U lines: update-run.ts). */
export function updateBatches(ctx: CommandContext): Batch {
  return ctx.client.batch({ maxUnanswered: 2, bufferSize: UPDATE_BATCH * 1024, stop: ctx.stop, afterAnswers: () => ctx.out.flush() });
}

export async function update(req: UpdateRequest, ctx: CommandContext): Promise<CommandResult> {
  const client = ctx.client;
  const { query, change } = req;
  const skip = compileUpdateFilter(query);
  const decoder = new FlowDecoder();
  const replyDecoder = new FlowDecoder();
  // Each entry's answer to its GET is formatted as it arrives, into its batch's bytes (entry k's text is
  // [starts[k], ends[k])); a batch's text is written once the whole batch is answered. The printer writes to
  // the batch whose answer it is formatting.
  let batchText = new ByteSink(BATCH_TEXT);
  let target = batchText;
  const toTarget: TextSink = {
    write: (s) => target.write(s),
    str: (s) => target.str(s),
    num: (n) => target.num(n),
    ipv4: (b, at) => target.ipv4(b, at),
    dropLast: () => target.dropLast(),
    bytes: (b) => target.bytes(b),
    flush: () => {},
  };
  const print = flowPrinter(req.output, { ...ctx, out: toTarget }, 'update');
  let counter = 0;
  const batches = updateBatches(ctx);
  let starts: number[] = [];
  let ends: number[] = [];

  const send = (): Promise<void> | undefined => {
    const batchStarts = starts;
    const batchEnds = ends;
    const text = batchText;
    const answered = batches.send((results) => {
      for (let i = 0; i < results.length; i += 2) {
        const [upd, get] = [results[i], results[i + 1]];
        if (batches.fatal !== undefined) return false;
        const outcome = pairOutcome(batches, upd, get);
        if (outcome === 'gone') continue;
        if (outcome === 'failed') return false;
        const from = batchStarts[i / 2];
        const to = batchEnds[i / 2];
        if (to > from) ctx.out.bytes(text.buf.subarray(from, to));
        counter++;
      }
      return true;
    });
    starts = [];
    ends = [];
    batchText = new ByteSink(BATCH_TEXT);
    return answered;
  };

  const dumpError = await batches.dumpOutcome(
    client.dumpRaw({ ...kernelDumpFilter(query), threaded: true }, (buf, off, len) => {
      batches.checkOpen();
      const flow = decoder.decode(buf, off, len);
      if (skip(flow)) return undefined;
      // updatedEntry copies what it keeps, and the entry is encoded right away: the reused flow will do
      const e = updatedEntry(change, flow);
      if (!e) return undefined;
      const l3 = flow.family; // each entry's own family (1.4.8); 1.4.7 sent the command's, often AF_UNSPEC
      const spec = { family: l3, entry: e };
      void batches.update(spec);
      // where this entry's text lies in its batch's bytes, once its answer has come
      const k = starts.length;
      const sink = batchText;
      const batchStarts = starts;
      const batchEnds = ends;
      batchStarts.push(0);
      batchEnds.push(0);
      void batches.get(spec, (b, o, l) => {
        target = sink;
        batchStarts[k] = sink.pos;
        print.flow(replyDecoder.decode(b, o, l));
        batchEnds[k] = sink.pos;
      });
      // the dump pauses while too many batches are unanswered
      if (batches.length >= UPDATE_BATCH * 2) return send();
      return undefined;
    }),
  );
  // the last batch; finish() waits for its answers
  if (dumpError === undefined) void send();
  await batches.finish();
  return { counter, error: dumpError };
}
