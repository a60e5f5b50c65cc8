// The typed ctnetlink client: the library API that the CLI uses and other programs can import.

import { NetlinkError, NfnlSocket, SocketOptions } from '../netlink/socket.js';
import { ERRNO } from '../netlink/errno.js';
import { decodeCpuStats, decodeFlow, decodeGlobalStats } from './decode.js';
import type { CpuStats, Flow, GlobalStats } from './model.js';
import { dumpConntrack, dumpCpuStats, dumpExpectCpuStats, DumpFilter, DumpTable, ExpectSpec, getGlobalStats } from './requests.js';
import { ExpectHandler, ExpectOperations } from './expect-ops.js';
import { EventSource, EventStreamHandlers, EventSubscription, openEventStream } from './event-stream.js';
import type { TupleTemplate } from './template.js';
import type { Transport } from './transport.js';

export interface DumpOptions extends DumpFilter {
  table?: DumpTable;
  /** zero the counters while dumping (IPCTNL_MSG_CT_GET_CTRZERO) */
  zero?: boolean;
  /**
   * receive on a worker thread so the kernel's dump work overlaps with the caller's: true, false, or 'auto'
   * (when the table holds at least THREADED_DUMP_MIN entries; a worker costs some milliseconds to start)
   */
  threaded?: boolean | 'auto';
}

/** Below this many entries a dump is faster on one thread. */
export const THREADED_DUMP_MIN = 20000;

/** Raw message sink for the hot path: buf[off, off+len) is one conntrack message. */
/** In a threaded dump the handler may return a promise: the dump waits for it (see MessageHandler). */
export type RawFlowHandler = (buf: Buffer, off: number, len: number) => void | Promise<void>;

/** What commands need from a client; ConntrackClient is the kernel-backed one, tests replay captured bytes. */
export interface CtClient {
  dumpRaw(opts: DumpOptions, onMessage: RawFlowHandler): Promise<void>;
  globalStats(): Promise<GlobalStats>;
  count(): Promise<number | undefined>;
  cpuStats(): Promise<CpuStats[]>;
  expectCpuStats(): Promise<CpuStats[]>;
  // expectations (expect-ops.ts)
  forEachExpect(family: number, onExpect: ExpectHandler): Promise<void>;
  queryExpect(family: number, master: TupleTemplate, onExpect: ExpectHandler): Promise<void>;
  createExpect(spec: ExpectSpec): Promise<void>;
  deleteExpect(tuple: TupleTemplate, family?: number): Promise<void>;
  flushExpect(family?: number): Promise<void>;
  // events
  events(sub: EventSubscription, handlers: EventStreamHandlers): EventSource;
  close(): void;
}

/** The kernel-backed client; the expectation operations (dumpExpect, getExpect, ...) come from ExpectOperations. */
export class ConntrackClient extends ExpectOperations implements CtClient {
  private modifierTransport?: Transport;
  private constructor(
    readonly transport: Transport,
    private readonly openModifier: () => Transport,
  ) {
    super(transport);
  }

  /** A second socket for changes made while a dump runs on the first (conntrack's "modifier" socket). */
  modifier(): Transport {
    return (this.modifierTransport ??= this.openModifier());
  }

  /** A client on its own NETLINK_NETFILTER socket (a second one is opened when a change runs beside a dump). */
  static open(opts: SocketOptions = {}): ConntrackClient {
    // The modifier gets a large receive buffer: answers to batched changes arrive while the dump keeps the thread
    // busy. Each answer is one message (an ACK, an error echoing one request, one entry for -U's GET), well under
    // 8 KiB; the addon zeroes a buffer of msgBufferSize for every datagram, so the dump's 32 KiB would cost 4x more.
    return new ConntrackClient(new NfnlSocket(opts), () => new NfnlSocket({ recvBufferSize: 4 << 20, msgBufferSize: 8192 }));
  }

  /**
   * A client over any transport (a scripted one in tests, a socket with a tap when capturing); `modifier` is the
   * transport for changes made while a dump runs (by default the same one).
   */
  static over(transport: Transport, modifier: Transport | (() => Transport) = transport): ConntrackClient {
    return new ConntrackClient(transport, typeof modifier === 'function' ? modifier : () => modifier);
  }

  /** Streams the raw messages of a dump; nothing is kept in memory. */
  async dumpRaw(opts: DumpOptions, onMessage: RawFlowHandler): Promise<void> {
    const req = dumpConntrack(opts, opts.table, opts.zero);
    let threaded = opts.threaded === true;
    if (opts.threaded === 'auto' && (opts.table ?? 'conntrack') === 'conntrack') {
      const n = await this.count().catch(() => undefined);
      threaded = n !== undefined && n >= THREADED_DUMP_MIN;
    }
    const run = (r: typeof req): Promise<void> =>
      threaded ? this.transport.requestThreaded(r, onMessage) : this.transport.request(r, onMessage);
    if (!opts.tuple) return run(req);
    // a kernel without CTA_FILTER support (< 5.8) rejects the request before sending anything: retry without it
    return run(req).catch((e: unknown) => {
      if (e instanceof NetlinkError && (e.errno === ERRNO.EINVAL || e.errno === ERRNO.EOPNOTSUPP || e.errno === ERRNO.ENOTSUPP)) {
        return run(dumpConntrack({ ...opts, tuple: undefined }, opts.table, opts.zero));
      }
      throw e;
    });
  }

  /** Streams decoded entries of a dump. */
  dump(opts: DumpOptions, onFlow: (flow: Flow) => void): Promise<void> {
    return this.dumpRaw(opts, (buf, off, len) => onFlow(decodeFlow(buf, off, len)));
  }

  /** Collects a dump into an array (for small tables and tests). */
  async list(opts: DumpOptions = {}): Promise<Flow[]> {
    const out: Flow[] = [];
    await this.dump(opts, (f) => out.push(f));
    return out;
  }

  async globalStats(): Promise<GlobalStats> {
    let stats: GlobalStats = {};
    await this.transport.request(getGlobalStats(), (buf, off, len) => {
      stats = decodeGlobalStats(buf, off, len);
    });
    return stats;
  }

  /** The number of entries (conntrack -C). */
  async count(): Promise<number | undefined> {
    return (await this.globalStats()).entries;
  }

  async cpuStats(): Promise<CpuStats[]> {
    const out: CpuStats[] = [];
    await this.transport.request(dumpCpuStats(), (buf, off, len) => {
      out.push(decodeCpuStats(buf, off, len));
    });
    return out;
  }

  async expectCpuStats(): Promise<CpuStats[]> {
    const out: CpuStats[] = [];
    await this.transport.request(dumpExpectCpuStats(), (buf, off, len) => {
      out.push(decodeCpuStats(buf, off, len));
    });
    return out;
  }

  // expectations: inherited from ExpectOperations, sent on this.transport

  // events

  /** The conntrack or expectation events of a subscription; call start() on what it returns. */
  events(sub: EventSubscription, handlers: EventStreamHandlers): EventSource {
    return openEventStream(sub, handlers);
  }

  close(): void {
    this.transport.close();
    if (this.modifierTransport !== this.transport) this.modifierTransport?.close();
  }
}
