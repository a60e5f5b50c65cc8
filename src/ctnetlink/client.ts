// The typed ctnetlink client: the library API that the CLI uses and other programs can import.

import { readFileSync } from 'node:fs';
import { NetlinkError, NfnlSocket, SocketOptions } from '../netlink/socket/nfnl-socket.js';
import { NetnsHandle, type NetnsSpec } from '../netlink/socket/netns.js';
import { ERRNO } from '../netlink/errno.js';
import { AF } from '../netlink/constants.js';
import type { NfRequest } from '../netlink/framing.js';
import { u16be } from '../netlink/attributes.js';
import { CTA } from './constants.js';
import { decodeCpuStats, decodeFlow, decodeGlobalStats } from './decode.js';
import type { CpuStats, Flow, GlobalStats } from './model.js';
import {
  deleteConntrack,
  dumpConntrack,
  dumpCpuStats,
  dumpExpectCpuStats,
  DumpFilter,
  DumpTable,
  ExpectSpec,
  flushConntrack,
  getConntrack,
  getGlobalStats,
  newConntrack,
  updateConntrack,
} from './requests.js';
import { Batch, type BatchOptions } from './batch.js';
import { type FlowInput, type FlowSpec, flowSpecOf, identityOf, lookupTuples } from './flow-spec.js';
import { ExpectHandler, ExpectOperations } from './expect-ops.js';
import { EventSource, EventStreamHandlers, EventSubscription, openEventStream } from './event-stream.js';
import type { TupleTemplate } from './template.js';
import type { Transport } from './transport.js';
import { streamOf } from './stream.js';

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

export interface FlushFilter {
  /** the family to empty; AF_UNSPEC (the default): all */
  family?: number;
  /** send the family as conntrack -F does: the kernel then empties every family, whatever `family` says */
  asConntrack?: boolean;
}

/**
 * Below this many entries a dump is faster on one thread: the worker's start (tens of milliseconds on a busy
 * 2-core machine) outweighs the overlap. bench/run.sh A/B of -L at 100k entries, 2026-12-07 16:00 UTC: one
 * thread 0.91x (>/dev/null) and 0.84x (-o extended) of the threaded dump; at 1M the thread won (0.90x).
 */
export const THREADED_DUMP_MIN = 250000;

/** Raw message sink for the hot path: buf[off, off+len) is one conntrack message. */
/** In a threaded dump the handler may return a promise: the dump waits for it (see MessageHandler). */
export type RawFlowHandler = (buf: Buffer, off: number, len: number) => void | Promise<void>;

/** What the library's callbacks and the commands' lookups get: one decoded entry. */
export type FlowHandler = (flow: Flow) => void;

/** What commands need from a client; ConntrackClient is the kernel-backed one, tests replay captured bytes. */
export interface CtClient {
  dumpRaw(opts: DumpOptions, onMessage: RawFlowHandler): Promise<void>;
  /** -G: the entries the kernel answers a lookup by these tuples with (raw); ENOENT when there is none */
  queryRaw(family: number, orig: TupleTemplate, reply: TupleTemplate, onMessage: RawFlowHandler): Promise<void>;
  create(flow: FlowInput | FlowSpec, opts?: { exclusive?: boolean }): Promise<void>;
  flush(filter?: FlushFilter): Promise<void>;
  /** pipelined changes on the modifier socket (-D, -U, -R) */
  batch(opts?: BatchOptions): Batch;
  globalStats(): Promise<GlobalStats>;
  count(): Promise<number | undefined>;
  stats(): Promise<CpuStats[]>;
  expectCpuStats(): Promise<CpuStats[]>;
  // expectations (expect-ops.ts)
  forEachExpect(family: number, onExpect: ExpectHandler): Promise<void>;
  queryExpect(family: number, tuple: TupleTemplate, onExpect: ExpectHandler): Promise<void>;
  createExpect(spec: ExpectSpec): Promise<void>;
  deleteExpect(tuple: TupleTemplate, family?: number): Promise<void>;
  flushExpect(family?: number): Promise<void>;
  // events
  events(sub: EventSubscription, handlers: EventStreamHandlers): EventSource;
  close(): void;
}

/** What ConntrackClient.open() takes. */
export interface ClientOptions extends Omit<SocketOptions, 'netnsFd'> {
  /**
   * The network namespace every operation acts in: a name under /run/netns (`ip netns add NAME`), a path such as
   * /proc/PID/ns/net, or an open descriptor of one (the client opens its own copy: yours may be closed). The
   * client's sockets, those of threaded dumps and batches, and its event receivers are all opened there; the
   * process stays where it is. Opening fails with a NetlinkError: ENOENT (no such namespace), EINVAL (not a
   * network namespace), EPERM (no CAP_SYS_ADMIN).
   */
  netns?: NetnsSpec;
}

/** A dump() consumer this far behind pauses the dump (its receive thread): what waits in memory is bounded. */
const DUMP_HIGH_WATER = 1024;

/**
 * The number of entries in the table of this process's own network namespace, read from
 * /proc/sys/net/netfilter/nf_conntrack_count (the same per-namespace counter as CTA_STATS_GLOBAL_ENTRIES, which
 * -C asks for): no round trip to the kernel before a dump decides whether to start a thread. Undefined when it
 * cannot be read (no such file, no /proc).
 */
function entriesInOwnNamespace(): number | undefined {
  try {
    const n = Number.parseInt(readFileSync('/proc/sys/net/netfilter/nf_conntrack_count', 'latin1'), 10);
    return Number.isSafeInteger(n) && n >= 0 ? n : undefined;
  } catch {
    return undefined;
  }
}

/** The failure of an operation, named: a NetlinkError gets its `operation` (the errno stays what the kernel said). */
function failed(operation: string): (e: unknown) => never {
  return (e: unknown) => {
    if (e instanceof NetlinkError) e.operation ??= operation;
    throw e;
  };
}

/** The kernel-backed client; the expectation operations (dumpExpect, getExpect, ...) come from ExpectOperations. */
export class ConntrackClient extends ExpectOperations implements CtClient {
  private modifierTransport?: Transport;
  private constructor(
    private readonly transport: Transport,
    private readonly openModifier: () => Transport,
    /** the namespace the client acts in (open() with netns), closed by close() */
    private readonly netns?: NetnsHandle,
    /** the table's size without a request, when the client's socket is in this process's own namespace */
    private readonly entriesHere?: () => number | undefined,
  ) {
    super(transport);
  }

  /** The transport for changes made while a dump runs on the first (conntrack's "modifier" socket), opened on first use. */
  private modifier(): Transport {
    return (this.modifierTransport ??= this.openModifier());
  }

  /** A client on its own NETLINK_NETFILTER socket (a second one is opened when a change runs beside a dump). */
  static open(opts: ClientOptions = {}): ConntrackClient {
    const { netns: spec, ...socketOpts } = opts;
    const netns = spec === undefined ? undefined : NetnsHandle.open(spec);
    const netnsFd = netns?.fd;
    let main: NfnlSocket;
    try {
      main = new NfnlSocket({ ...socketOpts, netnsFd });
    } catch (e) {
      netns?.close();
      throw e;
    }
    // The modifier gets a large receive buffer: answers to batched changes arrive while the dump keeps the thread
    // busy. Each answer is one message (an ACK, an error echoing one request, one entry for -U's GET), well under
    // 8 KiB; the addon zeroes a buffer of msgBufferSize for every datagram, so the dump's 32 KiB would cost 4x more.
    return new ConntrackClient(
      main,
      () => new NfnlSocket({ recvBufferSize: 4 << 20, msgBufferSize: 8192, netnsFd, answersNow: true }),
      netns,
      netns === undefined ? entriesInOwnNamespace : undefined,
    );
  }

  /**
   * A client over any transport (a scripted one in tests, a socket with a tap when capturing); `modifier` is the
   * transport for changes made while a dump runs (by default the same one).
   */
  static over(transport: Transport, modifier: Transport | (() => Transport) = transport): ConntrackClient {
    return new ConntrackClient(transport, typeof modifier === 'function' ? modifier : () => modifier);
  }

  // ---- the conntrack table ----

  /** Streams the raw messages of a dump (the fast path: nothing is decoded here, nothing is kept in memory). */
  async dumpRaw(opts: DumpOptions, onMessage: RawFlowHandler): Promise<void> {
    const req = dumpConntrack(opts, opts.table, opts.zero);
    let threaded = opts.threaded === true;
    if (opts.threaded === 'auto' && (opts.table ?? 'conntrack') === 'conntrack') {
      const n = this.entriesHere?.() ?? (await this.count().catch(() => undefined));
      threaded = n !== undefined && n >= THREADED_DUMP_MIN;
    }
    const run = (r: typeof req): Promise<void> =>
      threaded ? this.transport.requestThreaded(r, onMessage) : this.transport.request(r, onMessage);
    if (!opts.tuple) return run(req).catch(failed('dump'));
    // a kernel without CTA_FILTER support (< 5.8) rejects the request before sending anything: retry without it
    return run(req)
      .catch((e: unknown) => {
        if (e instanceof NetlinkError && (e.errno === ERRNO.EINVAL || e.errno === ERRNO.EOPNOTSUPP || e.errno === ERRNO.ENOTSUPP)) {
          return run(dumpConntrack({ ...opts, tuple: undefined }, opts.table, opts.zero));
        }
        throw e;
      })
      .catch(failed('dump'));
  }

  /**
   * The entries of a table, decoded, as the kernel dumps them (filtered by what it can filter: family, mark,
   * status, original tuple). The dump is received on its own thread (unless `threaded: false`) and pauses while
   * the consumer is DUMP_HIGH_WATER entries behind, so a dump of any size holds at most twice that many entries and one
   * batch of datagrams in memory. With `threaded: false` it cannot pause: what the consumer has not taken waits.
   */
  dump(opts: DumpOptions = {}): AsyncIterable<Flow> {
    const threaded = opts.threaded ?? true;
    return streamOf<Flow>(
      (push) => this.dumpRaw({ ...opts, threaded }, (buf, off, len) => push(decodeFlow(buf, off, len))),
      threaded === false ? undefined : DUMP_HIGH_WATER,
    );
  }

  /** Collects a dump into an array (for small tables and tests). */
  async list(opts: DumpOptions = {}): Promise<Flow[]> {
    const out: Flow[] = [];
    await this.dumpRaw(opts, (buf, off, len) => void out.push(decodeFlow(buf, off, len)));
    return out;
  }

  /** The kernel's answers to a lookup by tuples (IPCTNL_MSG_CT_GET, REQUEST | ACK as conntrack -G); ENOENT when there is none. */
  queryRaw(family: number, orig: TupleTemplate, reply: TupleTemplate, onMessage: RawFlowHandler): Promise<void> {
    let req: NfRequest;
    try {
      req = getConntrack(family, lookupTuples(orig, reply), true);
    } catch (e) {
      return Promise.reject(e).catch(failed('get'));
    }
    return this.transport.request(req, onMessage).catch(failed('get'));
  }

  /** The entry with this flow's tuples (and zone), or undefined when the kernel has none. */
  async get(flow: Flow | FlowInput | FlowSpec): Promise<Flow | undefined> {
    const { family, entry } = identityOf(flow);
    let found: Flow | undefined;
    const req = getConntrack(family, lookupTuples(entry.orig ?? { l3: family }, entry.reply ?? {}), true);
    if (entry.zone !== undefined) req.attrs?.push(u16be(CTA.ZONE, entry.zone));
    try {
      await this.transport.request(req, (buf, off, len) => void (found ??= decodeFlow(buf, off, len)));
    } catch (e) {
      if (e instanceof NetlinkError && e.errno === ERRNO.ENOENT) return undefined;
      failed('get')(e);
    }
    return found;
  }

  /** A new entry (-I when exclusive: EEXIST when it is there; otherwise created or updated, as -A). */
  create(flow: FlowInput | FlowSpec, opts: { exclusive?: boolean } = {}): Promise<void> {
    const { family, entry } = flowSpecOf(flow);
    return this.transport.request(newConntrack(family, entry, opts.exclusive === true)).catch(failed('create'));
  }

  /** Changes the existing entry with the flow's tuples to what the flow sets; ENOENT when there is none. */
  update(flow: FlowInput | FlowSpec): Promise<void> {
    const { family, entry } = flowSpecOf(flow);
    return this.transport.request(updateConntrack(family, entry)).catch(failed('update'));
  }

  /** Deletes the entry with the flow's tuples (and zone); ENOENT when there is none. */
  delete(flow: Flow | FlowInput | FlowSpec): Promise<void> {
    const { family, entry } = identityOf(flow);
    return this.transport.request(deleteConntrack(family, entry)).catch(failed('delete'));
  }

  /**
   * Empties the table: of one family, or (AF_UNSPEC, the default) of all. `asConntrack` sends the family as
   * conntrack's -F does, and the kernel then empties every family (see flushConntrack).
   */
  flush(filter: FlushFilter = {}): Promise<void> {
    return this.transport.request(flushConntrack(filter.family ?? AF.UNSPEC, !filter.asConntrack)).catch(failed('flush'));
  }

  /**
   * Pipelined changes: many requests per datagram on the modifier socket, answered in order (batch.ts). Queue with
   * batch.delete() / update() / create() / get() / deleteFromMessage(), then send() or commit().
   */
  batch(opts: BatchOptions = {}): Batch {
    return new Batch(this.modifier(), opts);
  }

  async globalStats(): Promise<GlobalStats> {
    let stats: GlobalStats = {};
    await this.transport
      .request(getGlobalStats(), (buf, off, len) => {
        stats = decodeGlobalStats(buf, off, len);
      })
      .catch(failed('globalStats'));
    return stats;
  }

  /** The number of entries (conntrack -C). */
  async count(): Promise<number | undefined> {
    return (await this.globalStats()).entries;
  }

  /** Per-CPU statistics (conntrack -S). */
  async stats(): Promise<CpuStats[]> {
    const out: CpuStats[] = [];
    await this.transport
      .request(dumpCpuStats(), (buf, off, len) => {
        out.push(decodeCpuStats(buf, off, len));
      })
      .catch(failed('stats'));
    return out;
  }

  async expectCpuStats(): Promise<CpuStats[]> {
    const out: CpuStats[] = [];
    await this.transport
      .request(dumpExpectCpuStats(), (buf, off, len) => {
        out.push(decodeCpuStats(buf, off, len));
      })
      .catch(failed('expectStats'));
    return out;
  }

  // expectations: inherited from ExpectOperations, sent on this.transport

  // events

  /** The conntrack or expectation events of a subscription; call start() on what it returns. */
  events(sub: EventSubscription, handlers: EventStreamHandlers): EventSource {
    return openEventStream(this.netns ? { ...sub, netns: this.netns.fd } : sub, handlers);
  }

  close(): void {
    this.transport.close();
    if (this.modifierTransport !== this.transport) this.modifierTransport?.close();
    // the sockets are open (or being closed): the namespace is not needed for them any more
    this.netns?.close();
  }
}
