// Change requests sent in batches while a dump runs (-D, -U). Only a batch's last message asks for an ACK
// (sendBatch collects the answers of all of them); the answers are handled batch by batch in order, and what a
// batch changed is written out and flushed before the next batch's answers are handled, so the entries already
// changed are exactly the ones printed. The dump pauses while too many batches are unanswered, so the kernel's
// answers never pile up past the socket's receive buffer (an overrun there takes the netlink addon down), and
// until one batch's output has been flushed only one batch may be unanswered: a stdout that cannot be written
// stops the command after its first batch.

import type { TextSink } from '../cli/output.js';
import { ackLast } from '../netlink/framing.js';
import type { MessageHandler, NfnlSocket } from '../netlink/socket.js';

export class AnsweredBatches {
  /** the first failure: once set, nothing more is printed and the command ends with it */
  fatal: unknown;
  private chain: Promise<void> = Promise.resolve();
  private readonly unanswered: Promise<void>[] = [];
  private outputWorks = false;

  constructor(
    private readonly sock: NfnlSocket,
    private readonly out: TextSink,
    /** how many batches may be unanswered once output is known to work */
    private readonly maxUnanswered: number,
  ) {}

  fail(e: unknown): void {
    this.fatal ??= e;
  }

  /**
   * Sends one batch, its messages end to end in one buffer. `onAnswers(results)` runs, in batch order, with
   * each message's errno (0 for success); returning false skips the flush that follows it. Returns a promise for the dump callback to return (the
   * dump waits for it) while too many batches are unanswered, otherwise undefined.
   */
  send(
    msgs: Buffer,
    seqs: number[],
    handlers: Array<MessageHandler | undefined> | undefined,
    onAnswers: (results: number[]) => boolean | void,
  ): Promise<void> | undefined {
    if (msgs.length === 0) return undefined;
    ackLast(msgs);
    const answered = this.sock.sendBatch(msgs, seqs, handlers);
    this.chain = this.chain.then(async () => {
      let results: number[];
      try {
        results = await answered;
      } catch (e) {
        this.fail(e);
        return;
      }
      if (onAnswers(results) === false) return;
      try {
        this.out.flush();
        this.outputWorks = true;
      } catch (e) {
        this.fail(e);
      }
    });
    this.unanswered.push(this.chain);
    if (this.unanswered.length >= (this.outputWorks ? this.maxUnanswered : 1)) return this.unanswered.shift();
    return undefined;
  }

  /** Waits for every answer; throws the first failure after flushing what was printed. */
  async finish(): Promise<void> {
    await this.chain;
    if (this.fatal !== undefined) {
      this.out.flush();
      throw this.fatal;
    }
  }
}
