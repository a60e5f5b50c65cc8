// Pipelined writes (-D, -U, -R, and library users): many change requests per datagram, only the last one asking
// for an ACK (the kernel answers the others only when they fail and handles a datagram's messages in order, so the
// last one's ACK or error means every one of them has been handled). The kernel handles a datagram inside the send,
// so where the transport can read the answers at once (sendBatchNow: the modifier socket's descriptor is known)
// they are handled before send() returns, and nothing is left unanswered. Answers are handled datagram by datagram in
// order; each datagram's `afterAnswers` (-D and -U flush what they printed) runs before the next one's answers are
// handled, so the entries already changed are exactly the ones reported. A caller that sends while a dump runs
// returns send()'s promise to the dump, which pauses while too many datagrams are unanswered, so the kernel's
// answers never pile up past the receive buffer (an overrun there takes the netlink addon down); until one
// datagram's afterAnswers has worked only one may be unanswered (a stdout that cannot be written stops a command
// after its first datagram).
//
// A stop request (a signal, cli/signals.ts) ends it the same way as a failure, without one: nothing new is sent,
// a dump is ended (checkOpen), and the datagrams in flight are waited for (at most STOP_WAIT_MS) and reported. Only
// a SIGKILL can still leave changes unreported: at most the unanswered datagrams.

import { ackLast } from '../netlink/framing.js';
import type { MessageHandler } from '../netlink/socket/nfnl-socket.js';
import { NlWriter } from '../netlink/writer.js';
import { type FlowInput, type FlowSpec, flowSpecOf, identityOf } from './flow-spec.js';
import type { Flow } from './model.js';
import { stampCreate, writeCreate, writeDelete, writeDeleteFromMessage, writeGet, writeUpdate } from './requests.js';
import { type EntrySpec, writeEntry } from './template.js';
import type { Transport } from './transport.js';

/** How long a stopped batch waits for the answers to its datagrams in flight (the kernel answers in microseconds). */
export const STOP_WAIT_MS = 5000;

/** A request to stop: nothing new is sent once it is set; what is in flight is finished and reported. */
export interface StopSignal {
  readonly requested: boolean;
  /** settles when the stop is requested (never, if it is not) */
  readonly whenRequested: Promise<void>;
}

export interface BatchOptions {
  /**
   * How many datagrams may be unanswered once afterAnswers has run once (until then, one); a function gets the
   * receive buffer's size (if every change of those datagrams failed, their error answers must still fit there).
   * Default 8.
   */
  maxUnanswered?: number | ((recvBufferSize: number) => number);
  /** Send a datagram as soon as this many messages are queued (library use); by default only send() sends. */
  size?: number;
  /** Room for the queued messages to start with (the buffer grows as needed). */
  bufferSize?: number;
  stop?: StopSignal;
  /** Runs after each datagram's answers were handled (-D and -U flush their output there); a throw ends the batch with it. */
  afterAnswers?: () => void;
}

/** Thrown by checkOpen() inside a dump callback: it ends the dump, and dumpOutcome() makes it no error. */
class DumpEnded extends Error {}
const DUMP_ENDED = new DumpEnded('dump ended');

export class Batch {
  /** the first failure: once set, nothing more is sent and finish() throws it */
  fatal: unknown;
  /** each request's errno (0: done), in order, for the datagrams sent without an onAnswers of their own */
  readonly outcomes: number[] = [];
  private chain: Promise<void> = Promise.resolve();
  private readonly unanswered: Promise<void>[] = [];
  /** datagrams sent whose answers have not been handled */
  private inFlight = 0;
  private answersWork = false;
  /** set by finish(): answers that come later (past STOP_WAIT_MS) are not handled */
  private finished = false;
  private readonly maxUnanswered: number;
  private readonly msgs: NlWriter;
  private seqs: number[] = [];
  private handlers: Array<MessageHandler | undefined> = [];

  constructor(
    private readonly transport: Transport,
    private readonly opts: BatchOptions = {},
  ) {
    const m = opts.maxUnanswered ?? 8;
    this.maxUnanswered = typeof m === 'function' ? m(transport.getRecvBufferSize()) : m;
    this.msgs = new NlWriter(opts.bufferSize ?? 1 << 14);
  }

  /** The messages queued for the next datagram. */
  get length(): number {
    return this.seqs.length;
  }

  // ---- queueing: each returns send()'s backpressure promise when `size` made it send ----

  /** IPCTNL_MSG_CT_DELETE of a flow (by its tuples and zone). */
  delete(flow: Flow | FlowInput | FlowSpec): Promise<void> | undefined {
    const { family, entry } = identityOf(flow);
    const seq = this.transport.allocSeq();
    writeDelete(this.msgs, family, encodedIdentity(entry), seq);
    return this.queued(seq);
  }

  /**
   * IPCTNL_MSG_CT_DELETE of the entry in a dumped message, its identifying attributes copied as the kernel sent
   * them (-D's fast path: nothing is decoded or encoded again).
   */
  deleteFromMessage(buf: Buffer, off: number, len: number): Promise<void> | undefined {
    const seq = this.transport.allocSeq();
    writeDeleteFromMessage(this.msgs, buf, off, len, seq);
    return this.queued(seq);
  }

  /** IPCTNL_MSG_CT_NEW without NLM_F_CREATE: the entry gets what the flow sets; ENOENT when it is gone. */
  update(flow: FlowInput | FlowSpec): Promise<void> | undefined {
    const { family, entry } = flowSpecOf(flow);
    const seq = this.transport.allocSeq();
    writeUpdate(this.msgs, family, entry, seq);
    return this.queued(seq);
  }

  /** IPCTNL_MSG_CT_GET of the flow's entry (original tuple and zone); its answer goes to onAnswer as it arrives. */
  get(flow: FlowInput | FlowSpec, onAnswer: MessageHandler): Promise<void> | undefined {
    const { family, entry } = flowSpecOf(flow);
    const seq = this.transport.allocSeq();
    writeGet(this.msgs, family, entry.orig, entry.zone, seq);
    return this.queued(seq, onAnswer);
  }

  /** IPCTNL_MSG_CT_NEW with NLM_F_CREATE (and NLM_F_EXCL when exclusive: EEXIST if the entry is there). */
  create(flow: FlowInput | FlowSpec, opts: { exclusive?: boolean } = {}): Promise<void> | undefined {
    const { family, entry } = flowSpecOf(flow);
    const seq = this.transport.allocSeq();
    const at = this.msgs.pos;
    writeCreate(this.msgs, family, entry);
    stampCreate(this.msgs.buf, at, seq, opts.exclusive === true, false);
    return this.queued(seq);
  }

  private queued(seq: number, handler?: MessageHandler): Promise<void> | undefined {
    this.seqs.push(seq);
    this.handlers.push(handler);
    if (this.opts.size !== undefined && this.seqs.length >= this.opts.size) return this.send();
    return undefined;
  }

  // ---- sending ----

  fail(e: unknown): void {
    this.fatal ??= e;
  }

  /** True once a failure or a stop request has ended the batch: nothing more is sent. */
  get ended(): boolean {
    return this.fatal !== undefined || this.opts.stop?.requested === true;
  }

  /** For a dump callback: ends the dump (by throwing) once the batch has ended. */
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
   * Sends the queued messages as one datagram. `onAnswers(results)` runs, in datagram order, with each message's
   * errno (0 for success); returning false skips afterAnswers. Without it the results go to `outcomes`. Where the
   * transport can read the answers at once (sendBatchNow) and no datagram before is unanswered, they are handled
   * before send() returns. Otherwise returns a promise for a dump callback to return (the dump waits for it)
   * while too many datagrams are unanswered.
   */
  send(onAnswers?: (results: number[]) => boolean | void): Promise<void> | undefined {
    const msgs = this.msgs.take();
    const seqs = this.seqs;
    const handlers = this.handlers;
    this.seqs = [];
    this.handlers = [];
    // after a stop, the messages being queued are neither sent nor reported
    if (msgs.length === 0 || this.ended) return undefined;
    ackLast(msgs);
    const withHandlers = handlers.some((h) => h !== undefined) ? handlers : undefined;
    let answered: Promise<number[]>;
    if (this.inFlight === 0 && this.transport.sendBatchNow) {
      const now = this.transport.sendBatchNow(msgs, seqs, withHandlers);
      if (Array.isArray(now)) {
        this.answers(now, onAnswers);
        return undefined;
      }
      answered = now;
    } else answered = this.transport.sendBatch(msgs, seqs, withHandlers);
    this.inFlight++;
    this.chain = this.chain.then(async () => {
      let results: number[];
      try {
        results = await answered;
      } catch (e) {
        this.fail(e);
        return;
      } finally {
        this.inFlight--;
      }
      this.answers(results, onAnswers);
    });
    this.unanswered.push(this.chain);
    if (this.unanswered.length >= (this.answersWork ? this.maxUnanswered : 1)) return this.unanswered.shift();
    return undefined;
  }

  /** A datagram's answers: to onAnswers (or outcomes), then afterAnswers. */
  private answers(results: number[], onAnswers: ((results: number[]) => boolean | void) | undefined): void {
    if (this.finished) return;
    try {
      if (onAnswers) {
        if (onAnswers(results) === false) return;
      } else this.outcomes.push(...results);
      this.opts.afterAnswers?.();
      this.answersWork = true;
    } catch (e) {
      this.fail(e);
    }
  }

  /**
   * Waits for the answers to what has been sent (after a stop, no longer than STOP_WAIT_MS), without ending the
   * batch: answers may queue more (-R's -U run updates an entry again for a later line), to be sent after.
   */
  settle(): Promise<void> {
    return this.answersInFlight();
  }

  /** Waits for every answer; throws the first failure (after afterAnswers, so what was reported is out). */
  async finish(): Promise<void> {
    await this.answersInFlight();
    this.finished = true;
    if (this.fatal !== undefined) {
      this.opts.afterAnswers?.();
      throw this.fatal;
    }
  }

  /** Sends what is queued and waits for every answer: each request's errno, in order (library use). */
  async commit(): Promise<number[]> {
    void this.send();
    await this.finish();
    return this.outcomes;
  }

  /**
   * Sends IPCTNL_MSG_CT_NEW messages that writeCreate() wrote end to end into buf, from starts[0] to end, as one
   * datagram straight from where they lie (-R's lines: no copy), their flags and sequence numbers stamped in place
   * (NLM_F_EXCL when exclusive, NLM_F_ACK on the last). Resolves with each one's errno, in order.
   */
  createEncoded(buf: Buffer, starts: readonly number[], end: number, exclusive: boolean): Promise<number[]> {
    const seqs: number[] = [];
    for (let k = 0; k < starts.length; k++) {
      const seq = this.transport.allocSeq();
      seqs.push(seq);
      stampCreate(buf, starts[k], seq, exclusive, k === starts.length - 1);
    }
    return this.transport.sendBatch(buf.subarray(starts[0], end), seqs);
  }

  /** Queues the IPCTNL_MSG_CT_DELETE of an entry whose identifying attributes were encoded before (writeIdentity). */
  deleteEncoded(family: number, identityAttrs: Uint8Array): void {
    const seq = this.transport.allocSeq();
    writeDelete(this.msgs, family, identityAttrs, seq);
    this.seqs.push(seq);
    this.handlers.push(undefined);
  }

  /** Sends what is queued as one datagram and resolves with each message's errno, outside the ordered chain (-R). */
  exchange(): Promise<number[]> {
    const msgs = this.msgs.take();
    const seqs = this.seqs;
    this.seqs = [];
    this.handlers = [];
    if (seqs.length === 0) return Promise.resolve([]);
    ackLast(msgs);
    return this.transport.sendBatch(msgs, seqs);
  }

  /** Every datagram's answer; after a stop, no longer than STOP_WAIT_MS more (what is unanswered then is not handled). */
  private async answersInFlight(): Promise<void> {
    const stop = this.opts.stop;
    if (!stop) return this.chain;
    let timer: NodeJS.Timeout | undefined;
    const bound = stop.whenRequested.then(
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

const identityWriter = new NlWriter(1 << 10);

/** The identifying attributes of an entry (both tuples, the zone), encoded as writeEntry() writes them. */
function encodedIdentity(e: EntrySpec): Uint8Array {
  writeEntry(identityWriter, { orig: e.orig, reply: e.reply, zone: e.zone });
  return identityWriter.take();
}
