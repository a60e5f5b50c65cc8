// The only module that imports the `netlink` package. A NETLINK_NETFILTER socket with request/ACK, dump and
// multicast handling on top of RawNetlinkSocket; framing and errno decoding are ours (framing.ts).

import { createRequire } from 'node:module';
import type { RawNetlinkSocket as RawSocketType } from 'netlink';
import { DecodeError } from './attributes.js';
import { NETLINK_NETFILTER, NLMSG, NLMSG_HDRLEN, NLM_F } from './constants.js';
import { ERRNO, strerror } from './errno.js';
import { encodeRequest, forEachMessage, NfRequest } from './framing.js';
import type { DumpWorkerData, DumpWorkerMessage } from './dump-worker.js';

/** A failure reported by the kernel (NLMSG_ERROR) or by a socket call, with a positive errno. */
export class NetlinkError extends Error {
  /** the client operation that failed ('create', 'delete', 'dump', ...), set by the client (ctnetlink/client.ts) */
  operation?: string;
  constructor(
    readonly errno: number,
    readonly syscall?: string,
  ) {
    super(strerror(errno));
    this.name = 'NetlinkError';
  }
}

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
}

let rawSocketClass: typeof RawSocketType | undefined;
function loadRawSocket(): typeof RawSocketType {
  // Loaded lazily (and through require: the package is CommonJS with a native addon).
  if (!rawSocketClass)
    rawSocketClass = (createRequire(import.meta.url)('netlink/dist/raw.js') as typeof import('netlink')).RawNetlinkSocket;
  return rawSocketClass;
}

export class NfnlSocket {
  private readonly raw: RawSocketType;
  private readonly pending = new Map<number, Pending>();
  private nextSeq: number;
  private closed = false;
  /** multicast messages (nlmsg_seq 0, not a reply to us) */
  onMulticast?: (buf: Buffer, rinfoPort: number) => void;
  /** socket errors while no request is pending (e.g. ENOBUFS on an event socket) */
  onError?: (e: NetlinkError) => void;
  /** sees every datagram from the kernel before it is dispatched (fixture capture) */
  tap?: (datagram: Buffer) => void;

  constructor(opts: SocketOptions = {}) {
    const Raw = loadRawSocket();
    try {
      this.raw = new Raw(NETLINK_NETFILTER, {
        messagePeeking: false,
        msgBufferSize: opts.msgBufferSize ?? RECV_CHUNK,
        recvBufferSize: opts.recvBufferSize ?? 0,
        sendBufferSize: 0,
      });
    } catch (e) {
      throw toNetlinkError(e, 'socket');
    }
    for (const g of opts.groups ?? []) {
      try {
        this.raw.addMembership(g);
      } catch (e) {
        this.raw.close();
        throw toNetlinkError(e, 'setsockopt');
      }
    }
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
    const control = new SharedArrayBuffer(8);
    const ctl = new Int32Array(control);
    const workerData: DumpWorkerData = {
      request: encodeRequest(req, seq),
      seq,
      recvChunk: RECV_CHUNK,
      recvBufferSize: tuning.recvBufferSize ?? 0,
      control,
      maxInFlight: 8,
      batchSize: 1 << 18,
    };
    return new Promise<void>((resolve, reject) => {
      // loaded on first use: most commands never start a thread, and start-up time counts
      const { Worker } = createRequire(import.meta.url)('node:worker_threads') as typeof import('node:worker_threads');
      const worker = new Worker(new URL('./dump-worker.js', import.meta.url), { workerData });
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
        outcome = { error: e };
        this.pending.delete(seq);
        Atomics.store(ctl, 1, 1);
        Atomics.notify(ctl, 0);
        finishWith();
      };
      this.pending.set(seq, { seq, onMessage, dump: true, ack: false, resolve: () => settle(), reject: (e) => settle(e) });
      // batches are worked through in order; a handler's promise pauses the queue until it settles
      const queue: Array<Extract<DumpWorkerMessage, { kind: 'batch' }>> = [];
      let draining = false;
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
            Atomics.sub(ctl, 0, 1);
            Atomics.notify(ctl, 0);
          }
        } catch (e) {
          settle(e instanceof Error ? e : new Error(String(e)));
        } finally {
          draining = false;
        }
        // the receiver left without the dump's end reaching us
        if (exited && queue.length === 0) settle(new NetlinkError(ERRNO.EIO, 'recvmsg'));
        finishWith();
      };
      worker.on('message', (m: DumpWorkerMessage) => {
        if (m.kind === 'error') {
          settle(new NetlinkError(m.errno, m.syscall));
          return;
        }
        queue.push(m);
        void drain();
      });
      worker.on('error', (e) => settle(e));
      worker.on('exit', () => {
        exited = true;
        // batches it posted before leaving may still be waiting here
        if (!draining && queue.length === 0) settle(new NetlinkError(ERRNO.EIO, 'recvmsg'));
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
    const results = new Array<number>(seqs.length).fill(0);
    const last = seqs.length - 1;
    return new Promise<number[]>((resolve, reject) => {
      const done = (): void => {
        for (const s of seqs) this.pending.delete(s);
        resolve(results);
      };
      seqs.forEach((seq, i) => {
        const onError = (e: Error): void => {
          if (!(e instanceof NetlinkError)) {
            for (const s of seqs) this.pending.delete(s);
            reject(e);
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
      // one datagram, one buffer: cheaper for the addon than an iovec per message
      this.raw.send(Buffer.isBuffer(msgs) ? msgs : msgs.length === 1 ? msgs[0] : Buffer.concat(msgs), {}, (err?: unknown) => {
        if (err) {
          for (const s of seqs) this.pending.delete(s);
          reject(toNetlinkError(err, 'sendmsg'));
        }
      });
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
      if (this.pending.delete(p.seq)) p.resolve();
    }
    return waits;
  }
}

export function toNetlinkError(e: unknown, syscall: string): NetlinkError {
  if (e instanceof NetlinkError) return e;
  const errno =
    typeof e === 'object' && e !== null && typeof (e as { errno?: unknown }).errno === 'number'
      ? (e as { errno: number }).errno
      : ERRNO.EIO;
  return new NetlinkError(Math.abs(errno), syscall);
}
