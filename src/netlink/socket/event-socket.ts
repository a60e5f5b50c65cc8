// An event socket read in this process, for a subscription whose socket filter decides everything
// (ctnetlink/event-stream.ts chooses): the kernel drops what cannot match, so the few datagrams left need no
// receiver process of their own, no pipe and no second Node start.
//
// The netlink addon is only used to open the socket (raw-socket.ts): the filter goes on, the groups are joined,
// the buffer is forced, and then the socket is kept by a dup(2) of its descriptor and the addon's handle is
// closed. The addon polls its socket on the event loop, and aborts the whole process when an overrun flags it
// (EPOLLERR, see ctnetlink/event-stream.ts); here nothing polls but poll(2) on libuv's thread pool (sockopt.ts),
// which returns for an overrun like for a datagram, and recv(2) then says ENOBUFS.
//
// Woken for a datagram, it reads everything the socket holds, hands it on as one batch, and looks again after
// GATHER_MS: a stream of events costs one wakeup per GATHER_MS, not one per event, and a single event is
// handed on at once. Only when a look finds the socket empty does it wait in poll(2) again. The handler may
// ask for no pause after a batch (`gather()` false: it came from a sender not seen before, whose next events,
// or the next sender's, must be read while that sender is still there to be named): then it waits in poll(2)
// at once. stop() wakes that wait through an eventfd, so nothing keeps the process alive after it.

import { ERRNO } from '../errno.js';
import { type SocketCause, toNetlinkError } from './raw-socket.js';
import { openSocketIn } from './nfnl-socket.js';
import { PollFds, type SocketOptions } from './sockopt.js';

/** An event datagram is one message of well under a page; room for the largest the kernel sends. */
const MAX_DATAGRAM = 8192;
/** Datagrams are read into a buffer of this size; a full one is handed on. */
const BATCH_SIZE = 64 << 10;
/**
 * How long a stream of events gathers in the socket before it is read and handed on (the first after a quiet spell
 * goes at once). Each wakeup costs this process about as much as decoding a few events: a 1% match burst of 100k
 * events cost the listener about 60 ms of CPU with 20 ms, 50 ms with 50 ms, no less with 100 ms.
 */
const GATHER_MS = 50;

export interface EventSocketHandlers {
  /** one batch of datagrams: each at buf[offsets[i], offsets[i] + lengths[i]); the buffer is the handler's */
  datagrams(buf: Buffer, offsets: readonly number[], lengths: readonly number[]): void;
  /** after the batches of one look: whether the next look may wait GATHER_MS (default: it may) */
  gather?(): boolean;
  /** the kernel dropped events (ENOBUFS): the socket overran */
  loss(): void;
  /** reading failed for another cause: the socket is closed */
  failed(cause: SocketCause): void;
}

export interface EventSocketOptions {
  groups: readonly number[];
  /** the encoded struct sock_filter array (netlink/bpf.ts) */
  program: Buffer;
  /** SO_RCVBUFFORCE first when `force`, else SO_RCVBUF (capped by net.core.rmem_max) */
  recvBuffer: number;
  force: boolean;
}

export class EventSocket {
  private stopped = false;
  private waiting = false;
  private timer?: NodeJS.Timeout;
  private readonly staged = Buffer.allocUnsafeSlow(BATCH_SIZE);
  private stagedLen = 0;
  private offsets: number[] = [];
  private lengths: number[] = [];

  private constructor(
    private readonly lib: SocketOptions,
    private readonly fds: PollFds,
    /** the receive buffer size read back */
    readonly recvBufferSize: number,
    private readonly handlers: EventSocketHandlers,
  ) {}

  /**
   * Opens the socket (in the network namespace of `netnsFd`, when given) with its filter attached before it joins
   * its groups. A failure to open or join throws the
   * NetlinkError raw-socket.ts gives; a filter the kernel refuses returns its errno instead (the caller reads
   * another way, then).
   */
  static open(
    lib: SocketOptions,
    netnsFd: number | undefined,
    opts: EventSocketOptions,
    handlers: EventSocketHandlers,
  ): EventSocket | number {
    const { socket, fd } = openSocketIn(netnsFd, { msgBufferSize: MAX_DATAGRAM, findFd: true });
    let kept = -1;
    let wakeFd = -1;
    try {
      if (fd === undefined) return ERRNO.EBADF;
      const refused = lib.attachFilter(fd, opts.program);
      if (refused !== 0) return refused;
      for (const g of opts.groups) socket.addMembership(g);
      if (!opts.force || lib.forceRecvBuffer(fd, opts.recvBuffer) !== 0) socket.setRecvBufferSize(opts.recvBuffer);
      const size = socket.getRecvBufferSize();
      kept = lib.duplicate(fd);
      if (kept < 0) return -kept;
      wakeFd = lib.wakeDescriptor();
      if (wakeFd < 0) {
        lib.close(kept);
        return -wakeFd;
      }
      return new EventSocket(lib, new PollFds(kept, wakeFd), size, handlers);
    } catch (e) {
      if (kept >= 0) lib.close(kept);
      throw toNetlinkError(e, 'setsockopt');
    } finally {
      // the addon's handle goes; the socket stays open through `kept`
      socket.close();
    }
  }

  start(): void {
    this.look();
  }

  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    clearTimeout(this.timer);
    // a wait in poll() still holds the descriptors: it closes them when it returns
    if (this.waiting) this.lib.wake(this.fds.wakeFd);
    else this.close();
  }

  private close(): void {
    this.lib.close(this.fds.fd);
    this.lib.close(this.fds.wakeFd);
  }

  private wait(): void {
    this.waiting = true;
    this.lib.waitReadable(this.fds, () => {
      this.waiting = false;
      if (this.stopped) this.close();
      else this.look();
    });
  }

  /** Reads what the socket holds; then looks again after GATHER_MS, or waits when it held nothing. */
  private look(): void {
    this.timer = undefined;
    const n = this.drain();
    if (this.stopped) return;
    if (n > 0 && this.handlers.gather?.() !== false) this.timer = setTimeout(() => this.look(), GATHER_MS);
    else this.wait();
  }

  /** Reads every datagram the socket holds, handing them on in batches; returns how many. */
  private drain(): number {
    let n = 0;
    for (;;) {
      if (this.stagedLen + MAX_DATAGRAM > BATCH_SIZE) this.handOn();
      const r = this.lib.receive(this.fds.fd, this.staged, this.stagedLen, MAX_DATAGRAM);
      if (r === -ERRNO.EINTR) continue;
      if (r === -ERRNO.ENOBUFS) {
        // the socket overran and the kernel dropped events; what it still holds comes next
        this.handOn();
        this.handlers.loss();
        if (this.stopped) return n;
        continue;
      }
      if (r < 0) {
        this.handOn();
        if (r !== -ERRNO.EAGAIN && !this.stopped) {
          this.stop();
          this.handlers.failed({ kind: 'errno', errno: -r, syscall: 'recvmsg' });
        }
        return n;
      }
      n++;
      this.offsets.push(this.stagedLen);
      this.lengths.push(r);
      this.stagedLen += r;
    }
  }

  private handOn(): void {
    if (this.stagedLen === 0 || this.stopped) return;
    const batch = Buffer.from(this.staged.subarray(0, this.stagedLen));
    const { offsets, lengths } = this;
    this.stagedLen = 0;
    this.offsets = [];
    this.lengths = [];
    this.handlers.datagrams(batch, offsets, lengths);
  }
}
