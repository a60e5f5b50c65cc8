// -D [conntrack]: dump (kernel-filtered where possible), filter exactly as conntrack does, delete each match,
// print each deleted entry (conntrack.c CT_DELETE / mnl_nfct_delete_cb).
//
// conntrack sends one IPCTNL_MSG_CT_DELETE per entry and waits for its ACK. Here the deletes go out in batches
// of up to DELETE_BATCH messages per datagram, only the last one asking for an ACK (sendBatch): far fewer
// system calls and round trips, same result. The kernel handles a datagram inside the send, so its answers are
// read right after it (sendBatchNow: no turn of the event loop, nothing unanswered) while the dump, received on
// its own thread, goes on. Where they cannot be read at once, the dump pauses while a batch is unanswered, so
// the kernel's answers can never pile up past the socket's receive buffer (an overrun there takes the netlink
// addon down). Entries are printed in dump order once their batch is answered.

import { CMD } from './command-bits.js';
import { err2str, otherProblem } from './errors.js';
import { FlowDecoder } from '../ctnetlink/decode.js';
import { compileFilter, compileRawPrefilter } from '../filter/userspace.js';
import { kernelDumpFilter } from '../filter/kernel.js';
import { ERRNO, strerror } from '../ctnetlink/errors.js';
import { ByteSink } from '../format/sink.js';
import { flowPrinter } from '../format/printer.js';
import type { Batch } from '../ctnetlink/batch.js';
import type { CommandContext, CommandResult } from './context.js';
import type { DeleteRequest } from './request.js';

/**
 * Deletes per datagram. What a SIGKILL can leave deleted but unprinted is the batch being answered (its answers
 * are read as it is sent), or, where answers are not read at once, the unanswered batches: at most
 * 8 x DELETE_BATCH entries (any other signal lets them finish: batch.ts), so the batch is as small as
 * costs nothing measurable: 60k deletes took 435-600 ms at 128, 450-630 ms at 32 and 470-610 ms at 16 here (a
 * private netns on a shared 2-core machine; the kernel's delete and the dump dominate, not the datagrams).
 */
export const DELETE_BATCH = 32;
/** Room an error answer takes in the receive buffer (an echoed request in its own skb), with margin. */
const ANSWER_ROOM = 2048;

/** The pipelined deletes of a -D (and of a run of -R's -D lines: delete-run.ts). */
export function deleteBatches(ctx: CommandContext): Batch {
  return ctx.client.batch({
    // How many batches may be unanswered: if every delete in them failed, the error answers must still fit
    // in the receive buffer (the kernel doubles what was asked for, up to net.core.rmem_max).
    maxUnanswered: (rcvbuf) => Math.max(1, Math.min(8, Math.floor(rcvbuf / (ANSWER_ROOM * DELETE_BATCH)))),
    bufferSize: DELETE_BATCH * 256,
    stop: ctx.stop,
    afterAnswers: () => ctx.out.flush(),
  });
}

export async function deleteConntrack(req: DeleteRequest, ctx: CommandContext): Promise<CommandResult> {
  const client = ctx.client;
  const batches = deleteBatches(ctx);
  const { query } = req;
  const skip = compileFilter(query);
  const skipRaw = compileRawPrefilter(query);
  const decoder = new FlowDecoder({ wireAddresses: true });
  // each entry is formatted when dumped (its object is reused for the next one, its addresses written from the
  // message's bytes: WireTuple) and printed when deleted
  const lineOut = new ByteSink();
  const print = flowPrinter({ ...req.output, labelmap: undefined }, { ...ctx, out: lineOut }, 'delete');
  let counter = 0;
  let ends: number[] = [];

  // a batch's deletes go out as one datagram; its entries' lines wait, end to end, until it is answered (line i
  // ends at ends[i])
  const send = (): Promise<void> | undefined => {
    const text = lineOut.take();
    const batchEnds = ends;
    const answered = batches.send((results) => {
      // the lines of the entries deleted (or gone already) up to the first failure
      let printed = 0;
      for (; printed < results.length && batches.fatal === undefined; printed++) {
        const errno = results[printed];
        // ENOENT: the entry went away between dump and delete; conntrack 1.4.8 goes on and still reports it
        // (1.4.7 stopped with "such conntrack doesn't exist")
        if (errno !== 0 && errno !== ERRNO.ENOENT) {
          batches.fail(otherProblem(`Operation failed: ${err2str(errno, CMD.CT_DELETE, strerror)}`));
          break;
        }
      }
      if (printed > 0) ctx.out.bytes(text.subarray(0, batchEnds[printed - 1]));
      counter += printed;
    });
    ends = [];
    return answered;
  };

  const dumpError = await batches.dumpOutcome(
    client.dumpRaw({ ...kernelDumpFilter(query), threaded: true }, (buf, off, len) => {
      batches.checkOpen();
      if (skipRaw && skipRaw(buf, off, len)) return;
      const flow = decoder.decode(buf, off, len);
      if (skip && skip(flow)) return;
      void batches.deleteFromMessage(buf, off, len);
      print.flow(flow);
      ends.push(lineOut.pos);
      // the dump pauses while too many batches are unanswered
      if (batches.length >= DELETE_BATCH) return send();
      return undefined;
    }),
  );
  // the last batch; finish() waits for its answers
  if (dumpError === undefined && batches.length) void send();
  await batches.finish();
  return { counter, error: dumpError };
}
