// The event socket, in a process of its own (see ctnetlink/event-stream.ts for why). It joins the given multicast
// groups and copies every datagram to stdout as a record: [u32 length, little-endian][datagram]. Records with a
// length of RECORD_CONTROL carry a u32 kind and a u32 value: READY (value: the receive buffer size read back) or
// ERROR (value: an errno from reading, such as ENOBUFS). With `names`, a datagram a process sent (nlmsg_pid, its
// netlink port, is not 0) comes after a program record naming that process, looked up as the datagram is read
// (program-names.ts), unless the previous program record already named that port so.
//
// Woken by the addon for a datagram, it reads everything the socket holds with read(2) (straight into the
// records it hands on), pauses a moment to let the rest of a burst arrive, reads again, and only returns to the
// event loop once the socket stays empty: one wakeup and a few large writes per burst instead of one per event,
// and a burst taken off the socket as fast as the kernel delivers it. Its writes to the pipe never block (what
// the parent has not taken yet is queued here rather than lost there). Without -b the socket's receive buffer is
// raised to what net.core.rmem_max allows. It ends when its stdin, a pipe from the parent, reaches end of file.
//
// With a BPF program (hex of its struct sock_filter array, filter/bpf.ts) the socket gets it as its filter, so
// the kernel drops events that cannot match before they are queued; without -b (RECVBUF 0) the receive buffer
// is forced past net.core.rmem_max where the process may (SO_RCVBUFFORCE). Both go through netlink/socket/sockopt.ts
// and are skipped when it cannot load: the parent filters everything again anyway.
//
// With NETNS_FD (a descriptor of a network namespace, given by the parent) it moves into that namespace before it
// opens its socket; program names are then looked up there too.
//
//   node event-receiver.js GROUP[,GROUP...] RECVBUF names|- [PROGRAM|- [NETNS_FD]]

import { closeSync, writeSync } from 'node:fs';
import { Socket } from 'node:net';
import { NETLINK_NETFILTER, NLMSG_HDRLEN } from '../constants.js';
import { ERRNO } from '../errno.js';
import { enterNetns } from './netns.js';
import { ProgramNames } from '../program-names.js';
import { NetlinkSocketTable } from './fd.js';
import { causeOf, EMPTY, openNetfilterSocket, quietReads, type RawSocket, readDatagram, type SocketCause } from './raw-socket.js';
import { CONTROL, causeValue, controlRecord, EVENT_RECV_BUFFER, MAX_PROGRAM_RECORD, RECORD_PROGRAM } from './protocol.js';
import { type SocketOptions, socketOptions } from './sockopt.js';

const sleepCell = new Int32Array(new SharedArrayBuffer(4));
function writeOut(data: Buffer): void {
  let off = 0;
  while (off < data.length) {
    try {
      off += writeSync(1, data, off, data.length - off);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'EAGAIN') {
        Atomics.wait(sleepCell, 0, 0, 1);
        continue;
      }
      process.exit(0); // the parent went away
    }
  }
}

const groups = (process.argv[2] ?? '').split(',').filter(Boolean).map(Number);
const recvBuffer = Number(process.argv[3] ?? 0);
/** the table of netlink sockets, kept open: opened at the first lookup, after the namespace is entered */
const sockets = new NetlinkSocketTable(NETLINK_NETFILTER);
const names = process.argv[4] === 'names' ? new ProgramNames(undefined, () => sockets.read()) : undefined;
const program = process.argv[5] && process.argv[5] !== '-' ? Buffer.from(process.argv[5], 'hex') : undefined;
/** a descriptor of the network namespace to receive in (netns.ts): entered for good before the socket is opened */
const netnsFd = process.argv[6] ? Number(process.argv[6]) : undefined;
/** Without -b (protocol.ts) */
const DEFAULT_RECV_BUFFER = EVENT_RECV_BUFFER;
/** Past this much queued for the parent, datagrams are dropped and reported as ENOBUFS. */
const MAX_QUEUED = 256 << 20;
/** An event datagram is one message of well under a page; room for the largest the kernel sends. */
const MAX_DATAGRAM = 8192;
/** Records go to the parent in writes of up to this size. */
const STAGE_SIZE = 256 << 10;
/** The pause that lets a burst gather, at most; with a small receive buffer it is shorter (see gatherMs). */
const GATHER_MS = 1;
/** How long the socket must stay empty before the event loop runs again (see readBurst). */
const QUIET_MS = 20;
/** The longest a steady stream of events waits here before it is handed on. */
const HOLD_MS = 5;
/** A drain that read this many datagrams is in a flood: read on without pausing. */
const FLOOD = 64;
/** Behind a socket filter: a wakeup that finds this many datagrams waiting starts the burst loop. */
const SPARSE_FLOOD = 8;

let socket: RawSocket;
let fd: number | undefined;
/** the socket options through libc (sockopt.ts), loaded when there is a filter or a buffer to force */
let setOptions: SocketOptions | undefined;
try {
  if (netnsFd !== undefined) {
    enterNetns(netnsFd);
    closeSync(netnsFd);
  }
  ({ socket, fd } = openNetfilterSocket({ msgBufferSize: MAX_DATAGRAM, findFd: true }));
  // the filter goes on before the socket joins its groups: nothing unfiltered is queued
  const options = program || recvBuffer === 0 ? socketOptions() : undefined;
  setOptions = options instanceof Error ? undefined : options;
  if (program && fd !== undefined && setOptions) setOptions.attachFilter(fd, program);
  for (const g of groups) socket.addMembership(g);
  const forced = recvBuffer === 0 && fd !== undefined && setOptions?.forceRecvBuffer(fd, DEFAULT_RECV_BUFFER) === 0;
  if (!forced) socket.setRecvBufferSize(recvBuffer > 0 ? recvBuffer : DEFAULT_RECV_BUFFER);
} catch (e) {
  writeOut(controlRecord(CONTROL.OPEN_FAILED, causeValue(causeOf(e, 'setsockopt'))));
  process.exit(1);
}

/**
 * The gather pause: at most GATHER_MS, and short enough that a flood of events (about a million a second, each
 * taking about a kilobyte of the receive buffer) fills no more than a quarter of the buffer meanwhile. While the
 * socket stays empty the pause doubles, up to that safe length.
 */
const safePauseMs = Math.max(0.02, (socket.getRecvBufferSize() / 1024 / 1e6 / 4) * 1000);
const gatherMs = Math.min(GATHER_MS, safePauseMs);

// the READY record goes out synchronously, before anything else; then fd 1 becomes a non-blocking stream
const out = new Socket({ fd: 1, readable: false, writable: true });
out.on('error', () => process.exit(0)); // the parent went away

/** Records not yet written: a drain reads datagrams straight into this. */
const staged = Buffer.allocUnsafeSlow(STAGE_SIZE);
let stagedLen = 0;
let dropping = false;
const scratch = Buffer.allocUnsafe(MAX_DATAGRAM);

/**
 * Records the pipe has not taken yet, oldest first. While a burst is read, they are written with non-blocking
 * writes between reads; before the event loop runs again, the stream `out` takes what is left.
 */
const queue: Buffer[] = [];
let queued = 0;

function writeQueued(): void {
  // what the stream still holds goes first
  if (out.writableLength > 0) return;
  while (queue.length) {
    const b = queue[0];
    let w: number;
    try {
      w = writeSync(1, b);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'EAGAIN') return;
      process.exit(0); // the parent went away
    }
    queued -= w;
    if (w < b.length) {
      queue[0] = b.subarray(w);
      return;
    }
    queue.shift();
  }
}

function flush(): void {
  if (stagedLen > 0) {
    queue.push(Buffer.from(staged.subarray(0, stagedLen)));
    queued += stagedLen;
    stagedLen = 0;
  }
  writeQueued();
}

/** Before the event loop runs: the stream takes what the pipe did not, and writes it as the pipe drains. */
function handOver(): void {
  flush();
  for (const b of queue) out.write(b);
  queue.length = 0;
  queued = 0;
}

function stageControl(kind: number, value: number): void {
  const c = controlRecord(kind, value);
  if (stagedLen + c.length > staged.length) flush();
  c.copy(staged, stagedLen);
  stagedLen += c.length;
}

/** The port and name the last program record gave. */
let namedPort = 0;
let namedAs: string | undefined;

/**
 * Stages the datagram of `len` bytes just put at staged[stagedLen + 4]: its length, and before it the program
 * record its sender needs, if any (the datagram moves up to make room).
 */
function stageDatagram(len: number): void {
  const port = names && len >= NLMSG_HDRLEN ? staged.readUInt32LE(stagedLen + 4 + 12) : 0; // nlmsg_pid
  if (port !== 0) {
    const name = names!.lookup(port);
    if (port !== namedPort || name !== namedAs) {
      namedPort = port;
      namedAs = name;
      const n = name === undefined ? 0 : Math.min(Buffer.byteLength(name, 'latin1'), MAX_PROGRAM_RECORD - 12);
      staged.copyWithin(stagedLen + 12 + n + 4, stagedLen + 4, stagedLen + 4 + len);
      staged.writeUInt32LE(RECORD_PROGRAM, stagedLen);
      staged.writeUInt32LE(port, stagedLen + 4);
      staged.writeUInt32LE(n, stagedLen + 8);
      if (n > 0) staged.write(name!, stagedLen + 12, n, 'latin1');
      stagedLen += 12 + n;
    }
  }
  staged.writeUInt32LE(len, stagedLen);
  stagedLen += 4 + len;
}

/** Room for one more datagram's record, or undefined while the parent is too far behind (then it is dropped). */
function room(n: number): Buffer | undefined {
  if (queued + out.writableLength > MAX_QUEUED) {
    if (!dropping) stageControl(CONTROL.ERROR, ERRNO.ENOBUFS);
    dropping = true;
    return undefined;
  }
  dropping = false;
  if (stagedLen + n > staged.length) flush();
  return staged;
}

/** readDatagram through recv(2) with MSG_DONTWAIT (sockopt.ts): no exception, and so no garbage, per empty read. */
function receiveDatagram(opts: SocketOptions, sock: number, buf: Buffer, off: number): number | SocketCause {
  for (;;) {
    const r = opts.receive(sock, buf, off, MAX_DATAGRAM);
    if (r >= 0) return r;
    if (r === -ERRNO.EAGAIN) return EMPTY;
    if (r !== -ERRNO.EINTR) return { kind: 'errno', errno: -r, syscall: 'recv' };
  }
}

/** Reads every datagram the socket holds into the records; returns how many. ENOBUFS is passed on. */
function drain(sock: number): number {
  let n = 0;
  for (;;) {
    const b = room(4 + MAX_DATAGRAM + MAX_PROGRAM_RECORD);
    const r = setOptions
      ? receiveDatagram(setOptions, sock, b ?? scratch, b ? stagedLen + 4 : 0)
      : readDatagram(sock, b ?? scratch, b ? stagedLen + 4 : 0, MAX_DATAGRAM);
    if (r === EMPTY) return n;
    if (typeof r !== 'number') {
      // ENOBUFS: the socket overran and the kernel dropped events; reading goes on
      stageControl(CONTROL.ERROR, causeValue(r));
      if (r.kind === 'errno' && r.errno === ERRNO.ENOBUFS) continue;
      return n;
    }
    n++;
    if (b) stageDatagram(r);
  }
}

const pause = new Int32Array(new SharedArrayBuffer(4));

socket.on('message', (d: Buffer, rinfo: { port: number }) => {
  if (rinfo.port === 0) {
    const b = room(4 + d.length + MAX_PROGRAM_RECORD);
    if (b) {
      d.copy(b, stagedLen + 4);
      stageDatagram(d.length);
    }
  }
  // behind a socket filter events are sparse: a burst loop per event would cost more than the events; what the
  // socket holds is read at once, and only a flood of them goes on to the burst loop
  if (fd !== undefined && (program === undefined || drain(fd) >= SPARSE_FLOOD)) readBurst(fd);
  handOver();
});

/**
 * Reads until the socket has stayed empty for QUIET_MS, pausing between drains so that a burst gathers. The
 * event loop (and with it the addon's poll of the socket) only runs again once events have stopped coming: an
 * overrun while the addon polls is the one thing that takes this process down.
 */
function readBurst(sock: number): void {
  // errors from read() are expected (EAGAIN ends every drain): no stack traces for them
  quietReads(() => {
    let quietSince = -1;
    let flushedAt = performance.now();
    let wait = gatherMs;
    for (;;) {
      const n = drain(sock);
      const t = performance.now();
      if (n > 0) {
        quietSince = -1;
        wait = gatherMs;
      } else {
        if (quietSince < 0) quietSince = t;
        wait = Math.min(safePauseMs, wait * 2);
      }
      // handed on when the burst pauses, and at least every HOLD_MS in a steady stream
      if (n === 0 || t - flushedAt >= HOLD_MS) {
        flush();
        flushedAt = t;
      }
      if (quietSince >= 0 && t - quietSince >= QUIET_MS) return;
      if (n < FLOOD) Atomics.wait(pause, 0, 0, wait);
    }
  });
}

socket.on('error', (e: unknown) => {
  stageControl(CONTROL.ERROR, causeValue(causeOf(e, 'recvmsg')));
  handOver();
});
writeOut(controlRecord(CONTROL.READY, socket.getRecvBufferSize()));

// The parent holds the other end of stdin and nobody writes to it: end of file there means the parent is gone,
// even one killed outright (SIGKILL), which could not stop this process, and whose quiet socket would give it
// nothing to write and fail on.
process.stdin.on('end', () => process.exit(0));
process.stdin.on('error', () => process.exit(0));
process.stdin.resume();
