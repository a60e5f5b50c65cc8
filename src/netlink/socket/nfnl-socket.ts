// A NETLINK_NETFILTER socket with request/ACK, dump and multicast handling on top of the addon's socket
// (opened in raw-socket.ts, the one module that imports `netlink`); framing and errno decoding are ours
// (framing.ts, errno.ts). Threaded dumps are received by dump-worker.ts (what the two say: protocol.ts).

import { writeSync } from 'node:fs';
import { createRequire } from 'node:module';
import { DecodeError } from '../attributes.js';
import { NLMSG, NLMSG_HDRLEN, NLM_F } from '../constants.js';
import { ERRNO } from '../errno.js';
import { encodeRequest, forEachMessage, NfRequest } from '../framing.js';
import { inNetns, NetnsHandle } from './netns.js';
import {
  EMPTY,
  NetlinkError,
  type OpenOptions,
  type OpenSocket,
  openNetfilterSocket,
  quietReads,
  type RawSocket,
  readDatagram,
  toNetlinkError,
  unknownCause,
} from './raw-socket.js';
import { DUMP_BATCH_SIZE, DUMP_MAX_IN_FLIGHT, DumpControl, type DumpWorkerData, type DumpWorkerMessage } from './protocol.js';
import { phase } from '../../phases.js';

export { NetlinkError, toNetlinkError } from './raw-socket.js';

/**
 * Receives each non-control message of a reply: buf[off, off+len) is the whole nlmsghdr-framed message.
 * In a threaded dump it may return a promise: the rest of the dump waits until it settles (backpressure for
 * consumers that send requests of their own, such as -D).
 */
export type MessageHandler = (buf: Buffer, off: number, len: number, type: number, flags: number) => void | Promise<void>;

/**
 * The largest datagram the kernel builds for a dump is SKB_WITH_OVERHEAD(32768) when the reader offers that much
 * (net/netlink/af_netlink.c, max_recvmsg_len); offering 32 KiB makes dumps arrive in ~32 KiB datagrams instead of 4 KiB.
 */
export const RECV_CHUNK = 32768;

/** How long a threaded dump's handler may run without a turn of the event loop (signals wait meanwhile). */
const YIELD_EVERY_MS = 10;

/** A batch sent (sendBatch, sendBatchNow) and its answers. */
interface PendingBatch {
  /** each message's errno, complete once outcome is 'answered' */
  results: number[];
  answered: Promise<number[]>;
  outcome: 'answered' | 'failed' | undefined;
  fail(e: Error): void;
}

interface Pending {
  seq: number;
  onMessage?: MessageHandler;
  /** resolves on NLMSG_DONE (dump), on the ACK (when NLM_F_ACK), or after the datagram with the first reply */
  dump: boolean;
  ack: boolean;
  resolve: () => void;
  reject: (e: Error) => void;
}

export interface SocketOptions {
  /** multicast group numbers to join (NFNLGRP_*) */
  groups?: number[];
  recvBufferSize?: number;
  /** the largest datagram expected (the addon allocates, and zeroes, this much for each one it reads) */
  msgBufferSize?: number;
  /**
   * an open descriptor of the network namespace to open the socket in (netns.ts), and the threaded dump's receiver's
   * socket too; it must stay open while the socket may start a threaded dump
   */
  netnsFd?: number;
  /** find the socket's descriptor, so that sendBatchNow() can read the answers at once (see there) */
  answersNow?: boolean;
}

/** Opens a socket in the namespace of `netnsFd` (see netns.ts), or in this thread's own when it is undefined. */
export function openSocketIn(netnsFd: number | undefined, opts: OpenOptions): OpenSocket {
  return netnsFd === undefined ? openNetfilterSocket(opts) : inNetns(netnsFd, () => openNetfilterSocket(opts));
}

export class NfnlSocket {
  private readonly raw: RawSocket;
  /** the socket's descriptor (answersNow), for sendBatchNow()'s write(2) and read(2) */
  private readonly fd?: number;
  /** where sendBatchNow() reads answers into (created on first use) */
  private answerBuf?: Buffer;
  private readonly msgBufferSize: number;
  private readonly pending = new Map<number, Pending>();
  private nextSeq: number;
  private closed = false;
  private readonly netnsFd?: number;
  /** multicast messages (nlmsg_seq 0, not a reply to us) */
  onMulticast?: (buf: Buffer, rinfoPort: number) => void;
  /** socket errors while no request is pending (e.g. ENOBUFS on an event socket) */
  onError?: (e: NetlinkError) => void;
  /** sees every datagram from the kernel before it is dispatched (fixture capture) */
  tap?: (datagram: Buffer) => void;

  constructor(opts: SocketOptions = {}) {
    this.netnsFd = opts.netnsFd;
    this.msgBufferSize = opts.msgBufferSize ?? RECV_CHUNK;
    const { socket, fd } = openSocketIn(opts.netnsFd, {
      msgBufferSize: this.msgBufferSize,
      recvBufferSize: opts.recvBufferSize,
      groups: opts.groups,
      findFd: opts.answersNow === true,
    });
    this.raw = socket;
    this.fd = fd;
    // conntrack sets nlmsg_seq = time(NULL); any start works, replies are matched by seq.
    this.nextSeq = Math.floor(Date.now() / 1000) >>> 0;
    this.raw.on('message', (buf: Buffer, rinfo: { port: number }) => void this.onDatagram(buf, rinfo.port));
    this.raw.on('truncatedMessage', () => this.failAll(new NetlinkError(ERRNO.EMSGSIZE, 'recvmsg')));
    this.raw.on('error', (e: unknown) => {
      const err = toNetlinkError(e, 'recvmsg');
      if (this.pending.size > 0) this.failAll(err);
      else this.onError?.(err);
    });
  }

  /** The socket's netlink port id (nl_pid). */
  get portId(): number {
    return this.raw.address().port;
  }

  getRecvBufferSize(): number {
    return this.raw.getRecvBufferSize();
  }
  setRecvBufferSize(n: number): void {
    this.raw.setRecvBufferSize(n);
  }

  /** Keeps the process alive while waiting (default) or not. */
  ref(): void {
    this.raw.ref();
  }
  unref(): void {
    this.raw.unref();
  }

  /**
   * Sends a request and settles when it is complete: on NLMSG_DONE for dumps, on the ACK when NLM_F_ACK is set,
   * else after the datagram that carried the first reply. Non-control reply messages go to onMessage.
   */
  request(req: NfRequest, onMessage?: MessageHandler): Promise<void> {
    if (this.closed) return Promise.reject(new NetlinkError(ERRNO.EBADF, 'sendmsg'));
    const seq = this.takeSeq();
    const msg = encodeRequest(req, seq);
    return new Promise<void>((resolve, reject) => {
      const p: Pending = {
        seq,
        onMessage,
        dump: (req.flags & NLM_F.DUMP) === NLM_F.DUMP && (req.flags & NLM_F.CREATE) === 0,
        ack: (req.flags & NLM_F.ACK) !== 0,
        resolve,
        reject,
      };
      this.pending.set(seq, p);
      phase?.('request');
      this.raw.send(msg, {}, (err?: unknown) => {
        if (err) {
          this.pending.delete(seq);
          reject(toNetlinkError(err, 'sendmsg'));
        }
      });
    });
  }

  /**
   * Like request() for a dump, but the replies are received on a worker thread (dump-worker.ts) so that the
   * kernel's dump work overlaps with the caller's processing. Messages are dispatched here, in order.
   */
  requestThreaded(req: NfRequest, onMessage: MessageHandler, tuning: { recvBufferSize?: number } = {}): Promise<void> {
    if (this.closed) return Promise.reject(new NetlinkError(ERRNO.EBADF, 'sendmsg'));
    const seq = this.takeSeq();
    const control = new DumpControl();
    // the receiver is another thread: it enters the namespace itself, with a descriptor of its own (closed here
    // when it has exited: the client may be closed meanwhile)
    let netns: NetnsHandle | undefined;
    try {
      netns = this.netnsFd === undefined ? undefined : NetnsHandle.open(this.netnsFd);
    } catch (e) {
      return Promise.reject(e);
    }
    const workerData: DumpWorkerData = {
      netnsFd: netns?.fd,
      request: encodeRequest(req, seq),
      seq,
      recvChunk: RECV_CHUNK,
      recvBufferSize: tuning.recvBufferSize ?? 0,
      control: control.buffer,
      maxInFlight: DUMP_MAX_IN_FLIGHT,
      batchSize: DUMP_BATCH_SIZE,
    };
    return new Promise<void>((resolve, reject) => {
      // loaded on first use: most commands never start a thread, and start-up time counts
      const { Worker } = createRequire(import.meta.url)('node:worker_threads') as typeof import('node:worker_threads');
      phase?.('worker');
      const worker = new Worker(new URL('./dump-worker.js', import.meta.url), { workerData });
      if (phase) worker.once('online', () => phase?.('worker-online'));
      let outcome: { error?: Error } | undefined;
      let exited = false;
      const finishWith = (): void => {
        if (!outcome || !exited) return;
        if (outcome.error) reject(outcome.error);
        else resolve();
      };
      // The receiver is never terminated from here (tearing down a thread whose native socket is inside a
      // callback crashes the addon): it is told to stop and the promise settles once it has exited.
      const settle = (e?: Error): void => {
        if (outcome) return;
        phase?.('done');
        outcome = { error: e };
        this.pending.delete(seq);
        control.cancel();
        finishWith();
      };
      this.pending.set(seq, { seq, onMessage, dump: true, ack: false, resolve: () => settle(), reject: (e) => settle(e) });
      // batches are worked through in order; a handler's promise pauses the queue until it settles
      const queue: Array<Extract<DumpWorkerMessage, { kind: 'batch' }>> = [];
      let draining = false;
      let lastTurn = performance.now();
      const drain = async (): Promise<void> => {
        if (draining) return;
        draining = true;
        try {
          for (let m = queue.shift(); m; m = queue.shift()) {
            const all = Buffer.from(
              m.buffer,
              0,
              m.lengths.reduce((a, b) => a + b, 0),
            );
            let off = 0;
            for (const len of m.lengths) {
              if (outcome) break;
              const waits = this.onDatagram(all.subarray(off, off + len), 0);
              for (const w of waits) await w;
              off += len;
            }
            // hand the buffer back for reuse, then let the receiver go on
            if (!outcome) worker.postMessage(m.buffer, [m.buffer]);
            control.consumed();
            // The receiver's batches come faster than they are worked through, and the port hands over up to a
            // thousand per turn of the event loop: without a turn now and then, nothing else runs until the dump
            // ends, a signal's handler (a stop request: batch.ts) among it.
            if (performance.now() - lastTurn >= YIELD_EVERY_MS) {
              await new Promise<void>((resolve) => setImmediate(resolve));
              lastTurn = performance.now();
            }
          }
        } catch (e) {
          settle(e instanceof Error ? e : new Error(String(e)));
        } finally {
          draining = false;
        }
        if (exited && queue.length === 0) settle(receiverLeft());
        finishWith();
      };
      worker.on('message', (m: DumpWorkerMessage) => {
        if (m.kind === 'error') {
          settle(NetlinkError.from(m.cause));
          return;
        }
        queue.push(m);
        void drain();
      });
      worker.on('error', (e) => settle(e));
      worker.on('exit', () => {
        exited = true;
        netns?.close();
        // batches it posted before leaving may still be waiting here
        if (!draining && queue.length === 0) settle(receiverLeft());
        finishWith();
      });
    });
  }

  /** Reserves a sequence number for a message the caller encodes itself (sendBatch). */
  allocSeq(): number {
    return this.takeSeq();
  }

  /**
   * Sends pre-encoded messages in one datagram and resolves with each one's errno (0 = done). Only the last
   * should carry NLM_F_ACK: the kernel answers the others only when they fail and handles a datagram's
   * messages in order, so the last one's ACK or error means every one of them has been handled.
   */
  sendBatch(msgs: Buffer[] | Buffer, seqs: number[], handlers?: Array<MessageHandler | undefined>): Promise<number[]> {
    if (this.closed) return Promise.reject(new NetlinkError(ERRNO.EBADF, 'sendmsg'));
    const batch = this.awaitAnswers(seqs, handlers);
    this.sendRaw(Buffer.isBuffer(msgs) ? msgs : msgs.length === 1 ? msgs[0] : Buffer.concat(msgs), batch);
    return batch.answered;
  }

  /**
   * sendBatch, answered before it returns: the kernel handles the messages of a datagram sent to it inside the
   * sendmsg() call (net/netlink/af_netlink.c netlink_unicast_kernel), so when write(2) returns their answers are
   * queued on this socket, and read(2) takes them at once, without a turn of the event loop. Handlers run as
   * their answers are read. Each message's errno; or sendBatch's promise when that cannot be done: no descriptor
   * (answersNow), or an answer that is not there (the addon's reading delivers it).
   */
  sendBatchNow(msgs: Buffer, seqs: number[], handlers?: Array<MessageHandler | undefined>): number[] | Promise<number[]> {
    const fd = this.fd;
    if (fd === undefined || this.closed) return this.sendBatch(msgs, seqs, handlers);
    const batch = this.awaitAnswers(seqs, handlers);
    phase?.('request');
    try {
      writeSync(fd, msgs, 0, msgs.length);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      // the addon waits until the socket takes it
      if (code === 'EAGAIN' || code === 'EWOULDBLOCK' || code === 'ENOBUFS' || code === 'EINTR') this.sendRaw(msgs, batch);
      else batch.fail(toNetlinkError(e, 'sendmsg'));
      return batch.answered;
    }
    const buf = (this.answerBuf ??= Buffer.allocUnsafe(Math.max(this.msgBufferSize, 1 << 16)));
    quietReads(() => {
      while (batch.outcome === undefined) {
        const r = readDatagram(fd, buf, 0, buf.length);
        if (r === EMPTY) return;
        if (typeof r !== 'number') {
          this.failAll(NetlinkError.from(r));
          return;
        }
        // a datagram that filled the buffer may have been cut (read(2) cannot tell): as the addon's truncatedMessage
        if (r === buf.length) {
          this.failAll(new NetlinkError(ERRNO.EMSGSIZE, 'recvmsg'));
          return;
        }
        // no handler here returns a promise (only a threaded dump waits for them)
        void this.onDatagram(buf.subarray(0, r), 0);
      }
    });
    return batch.outcome === 'answered' ? batch.results : batch.answered;
  }

  /** The pending entries of a batch's messages: `answered` resolves with each one's errno once the last is answered. */
  private awaitAnswers(seqs: number[], handlers?: Array<MessageHandler | undefined>): PendingBatch {
    const results = new Array<number>(seqs.length).fill(0);
    const last = seqs.length - 1;
    let resolve!: (r: number[]) => void;
    let reject!: (e: Error) => void;
    const answered = new Promise<number[]>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    const batch: PendingBatch = {
      results,
      answered,
      outcome: undefined,
      fail: (e) => {
        for (const s of seqs) this.pending.delete(s);
        batch.outcome = 'failed';
        reject(e);
      },
    };
    const done = (): void => {
      for (const s of seqs) this.pending.delete(s);
      batch.outcome = 'answered';
      resolve(results);
    };
    seqs.forEach((seq, i) => {
      const onError = (e: Error): void => {
        if (!(e instanceof NetlinkError)) {
          batch.fail(e);
          return;
        }
        results[i] = e.errno;
        if (i === last) done();
      };
      this.pending.set(seq, {
        seq,
        onMessage: handlers?.[i],
        dump: false,
        ack: true,
        resolve: i === last ? done : () => {},
        reject: onError,
      });
    });
    return batch;
  }

  /** Sends a batch's datagram through the addon (its callback reports a failure to send). */
  private sendRaw(datagram: Buffer, batch: PendingBatch): void {
    phase?.('request');
    // one datagram, one buffer: cheaper for the addon than an iovec per message
    this.raw.send(datagram, {}, (err?: unknown) => {
      if (err) batch.fail(toNetlinkError(err, 'sendmsg'));
    });
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    // not from inside the socket's own callback (a promise settled there runs its continuations before the
    // addon's read loop goes on): close on the next turn of the event loop
    setImmediate(() => this.raw.close());
  }

  private takeSeq(): number {
    const s = this.nextSeq;
    this.nextSeq = (this.nextSeq + 1) >>> 0 || 1;
    return s;
  }

  private failAll(e: Error): void {
    const all = [...this.pending.values()];
    this.pending.clear();
    for (const p of all) p.reject(e);
  }

  /** Dispatches one datagram; returns the promises handlers returned (threaded dumps wait for them). */
  private onDatagram(buf: Buffer, port: number): Promise<void>[] {
    const waits: Promise<void>[] = [];
    if (port !== 0) return waits; // only the kernel (port 0) talks to us
    phase?.('reply');
    this.tap?.(buf);
    const settleAfterDatagram = new Set<Pending>();
    try {
      forEachMessage(buf, (off, len, type, flags, seq) => {
        const p = seq === 0 ? undefined : this.pending.get(seq);
        if (!p) {
          if (seq === 0 && this.onMulticast) {
            this.onMulticast(buf.subarray(off, off + len), port);
          }
          return; // a late reply to a request that already settled
        }
        if (type === NLMSG.ERROR) {
          if (len < NLMSG_HDRLEN + 4) throw new DecodeError('truncated NLMSG_ERROR');
          const errno = -buf.readInt32LE(off + NLMSG_HDRLEN);
          this.pending.delete(seq);
          phase?.('done');
          if (errno === 0) p.resolve();
          else p.reject(new NetlinkError(errno));
          return;
        }
        if (flags & NLM_F.DUMP_INTR) {
          // libmnl's mnl_cb_run turns NLM_F_DUMP_INTR into EINTR: the dump was inconsistent.
          this.pending.delete(seq);
          p.reject(new NetlinkError(ERRNO.EINTR));
          return false;
        }
        if (type === NLMSG.DONE) {
          this.pending.delete(seq);
          phase?.('done');
          const errno = len >= NLMSG_HDRLEN + 4 ? -buf.readInt32LE(off + NLMSG_HDRLEN) : 0;
          if (errno > 0) p.reject(new NetlinkError(errno));
          else p.resolve();
          return;
        }
        if (type < 0x10) return; // NLMSG_NOOP / OVERRUN
        const w = p.onMessage?.(buf, off, len, type, flags);
        if (w) waits.push(w);
        if (!p.dump && !p.ack) {
          // like conntrack's nfct_mnl_talk(): a request without ACK reads one reply datagram. The kernel marks
          // some single replies NLM_F_MULTI without a NLMSG_DONE (ctnetlink_stat_ct), so MULTI proves nothing.
          settleAfterDatagram.add(p);
        }
      });
    } catch (e) {
      this.failAll(e instanceof Error ? e : new Error(String(e)));
      return waits;
    }
    for (const p of settleAfterDatagram) {
      if (this.pending.delete(p.seq)) {
        phase?.('done');
        p.resolve();
      }
    }
    return waits;
  }
}

/** The dump's receiver exited without the dump's end (or an error) reaching the main thread. */
function receiverLeft(): NetlinkError {
  return NetlinkError.from(unknownCause('recvmsg', "the threaded dump's receiver exited before the end of the dump"));
}
