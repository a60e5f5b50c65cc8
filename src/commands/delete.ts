// -D [conntrack]: dump (kernel-filtered where possible), filter exactly as conntrack does, delete each match,
// print each deleted entry (conntrack.c CT_DELETE / mnl_nfct_delete_cb).
//
// conntrack sends one IPCTNL_MSG_CT_DELETE per entry and waits for its ACK. Here the deletes go out in batches
// of up to DELETE_BATCH messages per datagram, only the last one asking for an ACK (sendBatch): far fewer
// system calls and round trips, same result. The dump (received on its own thread) pauses while a batch is
// unanswered, so the kernel's answers can never pile up past the socket's receive buffer (an overrun there
// takes the netlink addon down). Entries are printed in dump order once their batch is answered.

import type { ParsedCommand } from '../cli/parse.js';
import { OUT } from '../cli/commands.js';
import { otherProblem } from '../cli/errors.js';
import { err2str } from '../cli/errors.js';
import { ConntrackClient } from '../ctnetlink/client.js';
import { FlowDecoder } from '../ctnetlink/decode.js';
import { deleteFromMessage } from '../ctnetlink/requests.js';
import { compileFilter, compileRawPrefilter } from '../filter/userspace.js';
import { kernelDumpFilter } from '../filter/kernel.js';
import { ERRNO, strerror } from '../netlink/errno.js';
import { MemorySink } from '../cli/output.js';
import { flowPrinter } from '../format/printer.js';
import type { NfnlSocket } from '../netlink/socket.js';
import type { CommandContext, CommandResult } from './context.js';

export const DELETE_BATCH = 128;
/** Room an error answer takes in the receive buffer (an echoed request in its own skb), with margin. */
const ANSWER_ROOM = 2048;

/** What a command that changes entries needs beyond a CtClient: a second socket for the changes. */
export interface ModifierSource {
  modifier(): NfnlSocket;
}

interface Batch {
  msgs: Buffer[];
  seqs: number[];
  lines: string[];
}

export async function deleteConntrack(cmd: ParsedCommand, ctx: CommandContext): Promise<CommandResult> {
  const client = ctx.client;
  if (!(client instanceof ConntrackClient)) throw otherProblem("Can't open handler");
  const sock = client.modifier();
  // How many batches may be unanswered: if every delete in them failed, the error answers must still fit
  // in the receive buffer (the kernel doubles what was asked for, up to net.core.rmem_max).
  const maxUnanswered = Math.max(1, Math.min(8, Math.floor(sock.getRecvBufferSize() / (ANSWER_ROOM * DELETE_BATCH))));
  const unanswered: Promise<void>[] = [];
  // until one batch's lines have been written out, one batch at a time (a stdout that cannot be written
  // then stops us after the first batch)
  let outputWorks = false;
  const skip = compileFilter(cmd);
  const skipRaw = compileRawPrefilter(cmd);
  const decoder = new FlowDecoder();
  // each entry is formatted when dumped (its object is reused for the next one) and printed when deleted
  const lineOut = new MemorySink();
  const print = flowPrinter({ ...cmd, labelmap: undefined }, { ...ctx, out: lineOut }, 'delete');
  let counter = 0;
  let fatal: unknown;
  let batch: Batch = { msgs: [], seqs: [], lines: [] };
  let chain: Promise<void> = Promise.resolve();

  const send = (b: Batch): Promise<void> | undefined => {
    if (b.msgs.length === 0) return undefined;
    // only the last message of a batch asks for an ACK
    b.msgs[b.msgs.length - 1].writeUInt16LE(b.msgs[b.msgs.length - 1].readUInt16LE(6) | 0x4, 6);
    const answered = sock.sendBatch(b.msgs, b.seqs);
    chain = chain.then(async () => {
      let results: number[];
      try {
        results = await answered;
      } catch (e) {
        fatal ??= e;
        return;
      }
      for (let i = 0; i < results.length; i++) {
        const errno = results[i];
        // ENOENT: the entry went away between dump and delete; conntrack 1.4.8 goes on and still reports it
        // (1.4.7 stopped with "such conntrack doesn't exist")
        if (errno === 0 || errno === ERRNO.ENOENT) {
          if (fatal === undefined) {
            ctx.out.write(b.lines[i]);
            counter++;
          }
        } else {
          fatal ??= otherProblem(`Operation failed: ${err2str(errno, cmd.command, strerror)}`);
        }
      }
      // what was deleted is out before anything more is: when stdout cannot be written, deleting stops here
      try {
        ctx.out.flush();
        outputWorks = true;
      } catch (e) {
        fatal ??= e;
      }
    });
    return chain;
  };

  const dumpError = await client
    .dumpRaw({ ...kernelDumpFilter(cmd), threaded: true }, (buf, off, len) => {
      if (fatal !== undefined) return;
      if (skipRaw && skipRaw(buf, off, len)) return;
      const flow = decoder.decode(buf, off, len);
      if (skip && skip(flow)) return;
      const seq = sock.allocSeq();
      batch.msgs.push(deleteFromMessage(buf, off, len, seq, false));
      batch.seqs.push(seq);
      print.flow(flow);
      batch.lines.push(lineOut.take());
      if (batch.msgs.length >= DELETE_BATCH) {
        const answered = send(batch);
        batch = { msgs: [], seqs: [], lines: [] };
        if (answered) unanswered.push(answered);
        // pause the dump while too many batches are unanswered
        if (unanswered.length >= (outputWorks ? maxUnanswered : 1)) return unanswered.shift();
      }
      return undefined;
    })
    .then(
      () => undefined,
      (e: unknown) => e,
    );
  if (fatal === undefined && dumpError === undefined) send(batch);
  await chain;
  if (fatal !== undefined) {
    ctx.out.flush();
    throw fatal;
  }
  void OUT;
  return { counter, error: dumpError };
}
