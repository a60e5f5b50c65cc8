// Change requests sent in batches while a dump runs (-D, -U). Only a batch's last message asks for an ACK
// (sendBatch collects the answers of all of them); the answers are handled batch by batch in order, and what a
// batch changed is written out and flushed before the next batch's answers are handled, so the entries already
// changed are exactly the ones printed. The dump pauses while too many batches are unanswered, so the kernel's
// answers never pile up past the socket's receive buffer (an overrun there takes the netlink addon down), and
// until one batch's output has been flushed only one batch may be unanswered: a stdout that cannot be written
// stops the command after its first batch.
//
// A stop request (a signal, cli/signals.ts) ends it the same way as a failure, without one: no new batch is
// sent, the dump is ended, and the batches in flight are waited for (at most STOP_WAIT_MS) and reported, so an
// interrupted -D or -U has printed exactly the entries it changed, then its summary line. Only a SIGKILL can
// still leave changes unreported: at most the unanswered batches, maxUnanswered x the command's batch size.

import type { TextSink } from '../format/sink.js';
import { ackLast } from '../netlink/framing.js';
import type { MessageHandler } from '../netlink/socket.js';
import type { Transport } from '../ctnetlink/transport.js';
import type { StopRequest } from './context.js';

/** How long a stopped command waits for the answers to its batches in flight (the kernel answers in microseconds). */
export const STOP_WAIT_MS = 5000;

/** Thrown by checkOpen() inside the dump callback: it ends the dump, and dumpOutcome() makes it no error. */
class DumpEnded extends Error {}
const DUMP_ENDED = new DumpEnded('dump ended');

export class AnsweredBatches {
  /** the first failure: once set, nothing more is printed and the command ends with it */
  fatal: unknown;
  private chain: Promise<void> = Promise.resolve();
  private readonly unanswered: Promise<void>[] = [];
  private outputWorks = false;
  /** set by finish(): answers that come later (past STOP_WAIT_MS) are not printed */
  private finished = false;

  constructor(
    private readonly sock: Transport,
    private readonly out: TextSink,
    /** how many batches may be unanswered once output is known to work */
    private readonly maxUnanswered: number,
    private readonly stop?: StopRequest,
  ) {}

  fail(e: unknown): void {
    this.fatal ??= e;
  }

  /** True once a failure or a stop request has ended the command: nothing more is sent. */
  get ended(): boolean {
    return this.fatal !== undefined || this.stop?.requested === true;
  }

  /** For the dump callback: ends the dump (by throwing) once the command has ended. */
  checkOpen(): void {
    if (this.ended) throw DUMP_ENDED;
  }

  /** The dump's error, or undefined when it ran to its end or checkOpen() ended it. */
  dumpOutcome(dump: Promise<void>): Promise<unknown> {
    return dump.then(
      () => undefined,
      (e: unknown) => (e === DUMP_ENDED ? undefined : e),
    );
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
    // after a stop, the entries of the batch being filled are neither changed nor printed
    if (msgs.length === 0 || this.ended) return undefined;
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
      if (this.finished) return;
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
    await this.answersInFlight();
    this.finished = true;
    if (this.fatal !== undefined) {
      this.out.flush();
      throw this.fatal;
    }
  }

  /** Every batch's answer; after a stop, no longer than STOP_WAIT_MS more (what is unanswered then is not printed). */
  private async answersInFlight(): Promise<void> {
    if (!this.stop) return this.chain;
    let timer: NodeJS.Timeout | undefined;
    const bound = this.stop.whenRequested.then(
      () =>
        new Promise<void>((resolve) => {
          timer = setTimeout(resolve, STOP_WAIT_MS);
        }),
    );
    try {
      await Promise.race([this.chain, bound]);
    } finally {
      clearTimeout(timer);
    }
  }
}
