// The ctnetlink event stream, received by a small child process (netlink/socket/event-receiver.ts).
//
// The netlink package's addon cannot survive an overrun of a multicast socket (the kernel flags the socket with
// ENOBUFS, epoll reports EPOLLERR, and the addon aborts while building the error), and an event socket overruns
// whenever events come faster than they are read. So a child process only reads and forwards datagrams over a
// pipe. It reads a burst with read(2) until the socket has stayed empty for a while, and only then lets the addon
// poll the socket again, so an overrun during a burst is ENOBUFS from read(), reported, and survived; one that
// still takes it down (an overrun while the addon polls) is restarted, the loss is reported, and the stream goes
// on. The parent decodes in parallel. Used by -E, --watch and the library's subscribeEvents(). The names of the
// programs that caused events are looked up by the receiver too, as it reads them (the requester may be gone by
// the time the parent gets to an event); they come as program records before the datagrams they name.
//
// A subscription whose socket filter decides every event by itself (nothing is left to the userspace filter)
// is read in this process instead (InProcessEventStream, netlink/socket/event-socket.ts): the kernel drops the flood,
// and what passes is too little to need a reader of its own. Where the filter cannot be attached there (koffi
// does not load, the kernel refuses it), the receiver process reads, as for every other subscription.

import { spawn, ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { getPriority, setPriority } from 'node:os';
import { fileURLToPath } from 'node:url';
import { IPCTNL_MSG_CT } from './constants.js';
import { decodeFlow } from './decode.js';
import type { Flow, MessageKind } from './model.js';
import { NETLINK_NETFILTER, NFNLGRP, NLM_F } from '../netlink/constants.js';
import { ERRNO } from '../netlink/errno.js';
export { strerror as errnoText } from '../netlink/errno.js';
import { forEachMessage } from '../netlink/framing.js';
import { readU32LE } from '../netlink/attributes.js';
import { encodeProgram, type SockFilter } from '../netlink/bpf.js';
import { EventSocket } from '../netlink/socket/event-socket.js';
import { ProgramNames } from '../netlink/program-names.js';
import { NetlinkSocketTable } from '../netlink/socket/fd.js';
import { causeErrno, causeOf, type SocketCause, unknownCause } from '../netlink/socket/raw-socket.js';
import { CONTROL, EVENT_RECV_BUFFER, RECORD_CONTROL, RECORD_PROGRAM, recordCause } from '../netlink/socket/protocol.js';
import { inNetns, NetnsHandle, type NetnsSpec } from '../netlink/socket/netns.js';
import { socketOptions } from '../netlink/socket/sockopt.js';

export interface EventStreamHandlers {
  /**
   * one netlink message of an event datagram (conntrack or expectation, by the groups); `pid` is the netlink port
   * of the process whose request caused it (0: the kernel), `program` that process's name when it was found
   */
  message(buf: Buffer, off: number, len: number, type: number, flags: number, pid: number, program: string | undefined): void;
  /** after the messages of one chunk of datagrams: a good moment to flush output */
  batchEnd?(): void;
  /** subscribed; the receive buffer size read back from the socket */
  ready?(bufferSize: number): void;
  /** events were lost (ENOBUFS, or the receiver was restarted after an overrun) */
  loss?(): void;
  /**
   * the stream cannot go on: the socket could not be opened (`open`), or receiving failed (`receive`); `errno`
   * is the one to report (causeErrno of `cause`: EIO for a failure that came without an error code)
   */
  failed(kind: 'open' | 'receive', errno: number, cause: SocketCause): void;
  /** a handler threw (e.g. its output went away): the stream has stopped; without this, the error is rethrown */
  threw?(e: unknown): void;
}

/** The receiver script: next to the CLI bundle, or in netlink/ of the compiled library. */
function receiverPath(): string {
  const candidates = [new URL('./event-receiver.js', import.meta.url), new URL('../netlink/socket/event-receiver.js', import.meta.url)];
  const found = candidates.find((u) => existsSync(fileURLToPath(u)));
  return fileURLToPath(found ?? candidates[0]);
}

/** What both streams do with their handlers: a failure is reported once; a handler that throws stops the stream. */
abstract class HandledStream {
  protected stopped = false;
  private failureReported = false;
  constructor(protected readonly handlers: EventStreamHandlers) {}

  abstract stop(): void;

  protected fail(kind: 'open' | 'receive', cause: SocketCause): void {
    if (this.failureReported) return;
    this.failureReported = true;
    this.handlers.failed(kind, causeErrno(cause), cause);
  }

  protected guarded(f: () => void): void {
    try {
      f();
    } catch (e) {
      this.stop();
      if (!this.handlers.threw) throw e;
      this.handlers.threw(e);
    }
  }
}

export class EventStream extends HandledStream {
  private child?: ChildProcess;
  /** the current receiver has subscribed (its READY record came) */
  private subscribed = false;
  private pending = Buffer.alloc(0);
  /** what the last program record said: this port's process, by this name */
  private namedPort = 0;
  private namedAs: string | undefined;

  /**
   * `bufferSize` 0: the receiver's default; `programNames`: look up the senders' names; `kernelFilter`: a socket
   * filter (encoded struct sock_filter array) for the receiver's socket.
   */
  constructor(
    private readonly groups: number[],
    private readonly bufferSize: number,
    handlers: EventStreamHandlers,
    private readonly programNames = false,
    private readonly kernelFilter?: Buffer,
    /** the namespace the receiver works in (it enters it before opening its socket); closed by stop() */
    private readonly netns?: NetnsHandle,
  ) {
    super(handlers);
  }

  start(): void {
    this.pending = Buffer.alloc(0);
    this.subscribed = false;
    this.namedPort = 0;
    const argv = [receiverPath(), this.groups.join(','), String(this.bufferSize), this.programNames ? 'names' : '-'];
    if (this.kernelFilter) argv.push(this.kernelFilter.toString('hex'));
    // the namespace's descriptor becomes the receiver's fd 3
    if (this.netns) argv.push(...(this.kernelFilter ? [] : ['-']), '3');
    const c = spawn(process.execPath, argv, { stdio: this.netns ? ['pipe', 'pipe', 'ignore', this.netns.fd] : ['pipe', 'pipe', 'ignore'] });
    this.child = c;
    // the receiver must win the processor during a burst (what it does not read in time is lost, what the
    // parent has not decoded yet only waits): let it run ahead
    try {
      if (c.pid !== undefined) setPriority(c.pid, Math.max(-20, getPriority(process.pid) - 10));
    } catch {
      try {
        setPriority(process.pid, Math.min(19, getPriority(process.pid) + 10));
      } catch {
        // no way to change priorities here: it still works, with more losses under bursts
      }
    }
    c.on('error', (e: unknown) => this.guarded(() => this.fail('open', causeOf(e, 'spawn'))));
    c.stdout!.on('data', (chunk: Buffer) => this.guarded(() => this.receive(chunk)));
    c.on('exit', (code, signal) => {
      if (this.stopped || this.child !== c) return;
      // one that never subscribed cannot be restarted into working: OPEN_FAILED said why, if it could
      if (!this.subscribed || (code === 1 && signal === null)) {
        const how = signal === null ? `with status ${code}` : `on ${signal}`;
        this.guarded(() => this.fail('open', unknownCause('socket', `the event receiver exited ${how} before it had subscribed`)));
        return;
      }
      // an overrun took the receiver down: events were lost, the stream goes on
      this.guarded(() => this.handlers.loss?.());
      if (!this.stopped) this.start();
    });
  }

  stop(): void {
    this.stopped = true;
    this.child?.kill('SIGKILL');
    this.netns?.close();
  }

  /** Works through a chunk of the receiver's output (records); public for replaying recorded output. */
  receive(chunk: Buffer): void {
    if (this.stopped) return;
    const data = this.pending.length ? Buffer.concat([this.pending, chunk]) : chunk;
    let off = 0;
    while (off + 4 <= data.length && !this.stopped) {
      const len = readU32LE(data, off);
      if (len === RECORD_CONTROL) {
        if (off + 12 > data.length) break;
        const kind = readU32LE(data, off + 4);
        const value = readU32LE(data, off + 8);
        off += 12;
        if (kind === CONTROL.READY) {
          this.subscribed = true;
          this.handlers.ready?.(value);
        } else if (kind === CONTROL.ERROR) {
          if (value === ERRNO.ENOBUFS) this.handlers.loss?.();
          else this.fail('receive', recordCause(kind, value));
        } else if (kind === CONTROL.OPEN_FAILED) this.fail('open', recordCause(kind, value));
        continue;
      }
      if (len === RECORD_PROGRAM) {
        if (off + 12 > data.length) break;
        const n = readU32LE(data, off + 8);
        if (off + 12 + n > data.length) break;
        this.namedPort = readU32LE(data, off + 4);
        this.namedAs = n > 0 ? data.toString('latin1', off + 12, off + 12 + n) : undefined;
        off += 12 + n;
        continue;
      }
      if (off + 4 + len > data.length) break;
      const named = this.namedPort;
      const program = (pid: number): string | undefined => (pid !== 0 && pid === named ? this.namedAs : undefined);
      deliverDatagram(data, off + 4, off + 4 + len, this.handlers, program, () => this.stopped);
      off += 4 + len;
    }
    this.pending = off < data.length ? Buffer.from(data.subarray(off)) : Buffer.alloc(0);
    if (!this.stopped) this.handlers.batchEnd?.();
  }
}

/**
 * The messages of the event datagram at buf[start, end) to `handlers.message` (not its NLMSG_* control messages),
 * until `stopped`.
 */
function deliverDatagram(
  buf: Buffer,
  start: number,
  end: number,
  handlers: EventStreamHandlers,
  program: (pid: number) => string | undefined,
  stopped: () => boolean,
): void {
  forEachMessage(
    buf,
    (off, len, type, flags, _seq, pid) => {
      if (type >= 0x10 && !stopped()) handlers.message(buf, off, len, type, flags, pid, program(pid));
    },
    start,
    end,
  );
}

/**
 * The event stream read in this process (netlink/socket/event-socket.ts), for a socket filter that decides every event:
 * the handlers see what EventStream would give them. `fallback` is the receiver process's stream, for when the
 * filter cannot be attached here.
 */
export class InProcessEventStream extends HandledStream implements EventSource {
  private socket?: EventSocket;
  private inner?: EventSource;
  private readonly names: ProgramNames | undefined;
  private readonly table = new NetlinkSocketTable(NETLINK_NETFILTER);
  /** the senders (netlink ports) of the last batch; whether one since the last look had not sent the batch before */
  private senders: ReadonlyMap<number, unknown> = new Map();
  private newSender = false;

  constructor(
    private readonly groups: number[],
    private readonly bufferSize: number,
    handlers: EventStreamHandlers,
    programNames: boolean,
    private readonly program: Buffer,
    /** the namespace the socket is opened in, and whose netlink sockets name the senders; closed by stop() */
    private readonly netns: NetnsHandle | undefined,
    private readonly fallback: () => EventSource,
  ) {
    super(handlers);
    const fd = netns?.fd;
    // the port ids are the namespace's: its table of netlink sockets (fd.ts reads this thread's), opened there
    const t = this.table;
    const table = fd === undefined ? () => t.read() : () => (t.isOpen ? t.read() : inNetns(fd, () => t.read()));
    this.names = programNames ? new ProgramNames(undefined, table) : undefined;
  }

  start(): void {
    const lib = socketOptions();
    let opened: EventSocket | number;
    try {
      if (lib instanceof Error) opened = -1;
      else
        opened = EventSocket.open(
          lib,
          this.netns?.fd,
          { groups: this.groups, program: this.program, recvBuffer: this.bufferSize || EVENT_RECV_BUFFER, force: this.bufferSize === 0 },
          {
            datagrams: (buf, offsets, lengths) => this.guarded(() => this.datagrams(buf, offsets, lengths)),
            // a sender not seen in the batch before: the next events are read without the gather pause, so a
            // short-lived requester's (a conntrack -I lives some 50 µs after its request) is named while it runs
            gather: () => {
              const fresh = this.newSender;
              this.newSender = false;
              return !fresh;
            },
            loss: () => this.guarded(() => this.handlers.loss?.()),
            failed: (cause) => this.guarded(() => this.fail('receive', cause)),
          },
        );
    } catch (e) {
      this.guarded(() => this.fail('open', causeOf(e, 'setsockopt')));
      return;
    }
    if (typeof opened === 'number') {
      this.inner = this.fallback();
      this.inner.start();
      return;
    }
    this.socket = opened;
    this.guarded(() => this.handlers.ready?.(opened.recvBufferSize));
    if (!this.stopped) opened.start();
  }

  stop(): void {
    this.stopped = true;
    this.socket?.stop();
    this.inner?.stop();
    this.table.close();
    this.netns?.close();
  }

  /** A batch of datagrams as if the socket had held them (replayedEventStream). */
  replay(buf: Buffer, offsets: readonly number[], lengths: readonly number[]): void {
    this.guarded(() => this.datagrams(buf, offsets, lengths));
  }

  private datagrams(buf: Buffer, offsets: readonly number[], lengths: readonly number[]): void {
    const before = this.senders;
    // the senders' names as the batch is read, as the receiver looks them up (nlmsg_pid of a datagram's first
    // message): once per sender, since the whole batch came off the socket in one drain
    const named = new Map<number, string | undefined>();
    let port = 0;
    let name: string | undefined;
    const program = (pid: number): string | undefined => (pid === port ? name : undefined);
    const stopped = (): boolean => this.stopped;
    for (let i = 0; i < offsets.length && !this.stopped; i++) {
      const start = offsets[i];
      const end = start + lengths[i];
      port = this.names && lengths[i] >= 16 ? readU32LE(buf, start + 12) : 0;
      if (port === 0) name = undefined;
      else if (named.has(port)) name = named.get(port);
      else {
        name = this.names!.lookup(port);
        named.set(port, name);
        if (!before.has(port)) this.newSender = true;
      }
      deliverDatagram(buf, start, end, this.handlers, program, stopped);
    }
    this.senders = named;
    if (!this.stopped) this.handlers.batchEnd?.();
  }
}

/** The kind of a conntrack event message: NEW with NLM_F_CREATE is new, without it an update. */
export function flowEventKind(type: number, flags: number): MessageKind {
  const msg = type & 0xff;
  if (msg === IPCTNL_MSG_CT.NEW) return flags & NLM_F.CREATE ? 'new' : 'update';
  return msg === IPCTNL_MSG_CT.DELETE ? 'destroy' : 'unknown';
}

/** Which events to receive: the conntrack or the expectation table, and which kinds (one multicast group each). */
export interface EventSubscription {
  table: 'conntrack' | 'expect';
  events: { new: boolean; update: boolean; destroy: boolean };
  /** receive buffer size in bytes; 0 or absent: 64 MiB where the process may force it, else net.core.rmem_max */
  bufferSize?: number;
  /** look up the names of the programs whose requests caused the events */
  programNames?: boolean;
  /**
   * A classic BPF socket filter (netlink/bpf.ts; filter/bpf.ts compileEventFilter builds one from a query): the
   * kernel drops the events it rejects before they reach the socket. Where it cannot be attached, every event comes.
   */
  kernelFilter?: readonly SockFilter[];
  /**
   * the network namespace to receive the events of (a name under /run/netns, a path, or an open descriptor); the
   * receiver enters it, this process stays where it is
   */
  netns?: NetnsSpec;
  /**
   * The kernel filter decides every event by itself (filter/bpf.ts eventFilterDecidesAll): what passes it is
   * few enough to be read in this process, without the receiver process.
   */
  kernelFilterDecidesAll?: boolean;
}

/** A stream of events that has not started yet; stop() ends it for good. */
export interface EventSource {
  start(): void;
  stop(): void;
}

/** The multicast groups of a subscription (NFNLGRP_CONNTRACK_* / NFNLGRP_CONNTRACK_EXP_*), new, update, destroy. */
export function subscriptionGroups(sub: Pick<EventSubscription, 'table' | 'events'>): number[] {
  const [n, u, d] =
    sub.table === 'expect'
      ? [NFNLGRP.CONNTRACK_EXP_NEW, NFNLGRP.CONNTRACK_EXP_UPDATE, NFNLGRP.CONNTRACK_EXP_DESTROY]
      : [NFNLGRP.CONNTRACK_NEW, NFNLGRP.CONNTRACK_UPDATE, NFNLGRP.CONNTRACK_DESTROY];
  const groups: number[] = [];
  if (sub.events.new) groups.push(n);
  if (sub.events.update) groups.push(u);
  if (sub.events.destroy) groups.push(d);
  return groups;
}

/**
 * The kernel's event stream for a subscription: received by the receiver process, or in this process when the
 * kernel filter decides everything (InProcessEventStream).
 * Throws a NetlinkError when the namespace cannot be used (ENOENT, EINVAL, EPERM): it is opened and entered here
 * once, so the error comes at once rather than from the receiver.
 */
export function openEventStream(sub: EventSubscription, handlers: EventStreamHandlers): EventSource {
  const program = sub.kernelFilter ? encodeProgram(sub.kernelFilter) : undefined;
  const netns = sub.netns === undefined ? undefined : checkedNetns(sub.netns);
  const groups = subscriptionGroups(sub);
  const bufferSize = sub.bufferSize ?? 0;
  const programNames = sub.programNames ?? false;
  const receiver = (): EventSource => new EventStream(groups, bufferSize, handlers, programNames, program, netns);
  if (!program || !sub.kernelFilterDecidesAll) return receiver();
  return new InProcessEventStream(groups, bufferSize, handlers, programNames, program, netns, receiver);
}

/**
 * A stream that hands `datagrams` (captured event or dump datagrams) to the handlers in one batch when started, the
 * way the in-process reader hands on what it read, program names included; no socket is opened. The CLI's build
 * runs -E on one so that the code cache holds the event path's functions (cli/bin.ts warmUp).
 */
export function replayedEventStream(sub: EventSubscription, handlers: EventStreamHandlers, datagrams: readonly Buffer[]): EventSource {
  const none = (): EventSource => ({ start() {}, stop() {} });
  const s = new InProcessEventStream(subscriptionGroups(sub), 0, handlers, sub.programNames ?? false, Buffer.alloc(0), undefined, none);
  return {
    start() {
      const offsets: number[] = [];
      let off = 0;
      for (const d of datagrams) {
        offsets.push(off);
        off += d.length;
      }
      s.replay(
        Buffer.concat(datagrams),
        offsets,
        datagrams.map((d) => d.length),
      );
    },
    stop: () => s.stop(),
  };
}

/** A descriptor of the namespace, known to be one this process may enter. */
function checkedNetns(spec: NetnsSpec): NetnsHandle {
  const ns = NetnsHandle.open(spec);
  try {
    inNetns(ns.fd, () => undefined);
  } catch (e) {
    ns.close();
    throw e;
  }
  return ns;
}

export interface SubscribeOptions {
  /** which events; default all three */
  types?: Array<'new' | 'update' | 'destroy'>;
  /** receive buffer size in bytes; default as large as net.core.rmem_max allows */
  bufferSize?: number;
  /** called when events were lost */
  onLoss?: () => void;
  /** called when the stream cannot go on (errno, and its cause); it has stopped then */
  onError?: (err: { kind: 'open' | 'receive'; errno: number; cause: SocketCause }) => void;
  /** called once the socket has joined its groups: events from then on are received */
  onReady?: () => void;
  /** the network namespace whose events to receive (see EventSubscription.netns); a bad one throws a NetlinkError */
  netns?: NetnsSpec;
}

/**
 * Conntrack events as decoded entries: `onEvent(flow, kind, portid, progname)` for each, where portid is the
 * netlink port of the process that caused it (0 for the kernel) and progname that process's name, when it was
 * still there as the event was read. Returns a handle whose stop() ends the subscription.
 */
export function subscribeEvents(
  onEvent: (flow: Flow, kind: MessageKind, portid: number, progname: string | undefined) => void,
  opts: SubscribeOptions = {},
): { stop(): void } {
  const types = opts.types ?? ['new', 'update', 'destroy'];
  const events = { new: types.includes('new'), update: types.includes('update'), destroy: types.includes('destroy') };
  let readyCalled = false;
  const stream: EventSource = openEventStream(
    { table: 'conntrack', events, bufferSize: opts.bufferSize, programNames: true, netns: opts.netns },
    {
      message: (buf, off, len, type, flags, pid, program) => onEvent(decodeFlow(buf, off, len), flowEventKind(type, flags), pid, program),
      loss: opts.onLoss,
      // once: a receiver restarted after an overrun subscribes again
      ready: () => {
        if (readyCalled) return;
        readyCalled = true;
        opts.onReady?.();
      },
      failed: (kind, errno, cause) => {
        stream.stop();
        opts.onError?.({ kind, errno, cause });
      },
    },
  );
  stream.start();
  return { stop: () => stream.stop() };
}
