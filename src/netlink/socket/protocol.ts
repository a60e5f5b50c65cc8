// What the socket's helpers and their parents say to each other: the threaded dump's receiver (dump-worker.ts,
// a worker thread of NfnlSocket.requestThreaded) and the event receiver process (event-receiver.ts, spawned by
// ctnetlink/event-stream.ts). Both sides of each take the layout from here and nowhere else.

import { type SocketCause, unknownCause } from './raw-socket.js';

// ---- the threaded dump ----

/** How many batches the receiver may have posted and the main thread not yet worked through. */
export const DUMP_MAX_IN_FLIGHT = 8;
/** The size of a batch of datagrams the receiver hands over at once. */
export const DUMP_BATCH_SIZE = 1 << 18;

export interface DumpWorkerData {
  /** the encoded request, sequence number included */
  request: Uint8Array;
  seq: number;
  recvChunk: number;
  recvBufferSize: number;
  /** the shared control block (newDumpControl) */
  control: SharedArrayBuffer;
  maxInFlight: number;
  batchSize: number;
  /** the network namespace to open the socket in: a descriptor of the receiver's, closed by the main thread when it exits */
  netnsFd?: number;
}

/** Messages to the main thread; a batch's buffer comes back to the receiver (transferred) for reuse. */
export type DumpWorkerMessage = { kind: 'batch'; buffer: ArrayBuffer; lengths: number[] } | { kind: 'error'; cause: SocketCause };

/** The control block's Int32 slots. */
const IN_FLIGHT = 0;
const CANCELLED = 1;
const CONTROL_SLOTS = 2;

/** The control block shared by the main thread and the dump's receiver. */
export class DumpControl {
  readonly cells: Int32Array;
  constructor(readonly buffer: SharedArrayBuffer = new SharedArrayBuffer(CONTROL_SLOTS * 4)) {
    this.cells = new Int32Array(buffer);
  }

  /** main thread: stop the receiver (it wakes up, posts nothing more and exits) */
  cancel(): void {
    Atomics.store(this.cells, CANCELLED, 1);
    Atomics.notify(this.cells, IN_FLIGHT);
    Atomics.notify(this.cells, CANCELLED);
  }
  /** main thread: a batch has been worked through */
  consumed(): void {
    Atomics.sub(this.cells, IN_FLIGHT, 1);
    Atomics.notify(this.cells, IN_FLIGHT);
  }

  cancelled(): boolean {
    return Atomics.load(this.cells, CANCELLED) !== 0;
  }
  /** receiver: waits while `max` batches are in flight; false when cancelled meanwhile, else counts one more */
  reserve(max: number): boolean {
    for (let v = Atomics.load(this.cells, IN_FLIGHT); v >= max; v = Atomics.load(this.cells, IN_FLIGHT)) {
      if (this.cancelled()) return false;
      Atomics.wait(this.cells, IN_FLIGHT, v, 1000);
    }
    if (this.cancelled()) return false;
    Atomics.add(this.cells, IN_FLIGHT, 1);
    return true;
  }
  /** receiver: sleeps up to `ms`, woken early by cancel() */
  pause(ms: number): void {
    Atomics.wait(this.cells, CANCELLED, 0, ms);
  }
}

// ---- the event receiver: records on its stdout, [u32 length, little-endian][datagram] ----

/**
 * The event socket's receive buffer without -b (the receiver's, and event-socket.ts's in this process): a burst
 * of 100k events (loading and flushing a 50k-entry table) takes about 100 MiB of receive buffer while the reader
 * is busy; SO_RCVBUFFORCE gets that where SO_RCVBUF stops at net.core.rmem_max (the kernel doubles either).
 */
export const EVENT_RECV_BUFFER = 64 << 20;

/** A record length of this value marks a control record: u32 kind, u32 value. */
export const RECORD_CONTROL = 0xffffffff;
export const CONTROL_RECORD_SIZE = 12;
export const CONTROL = {
  /** subscribed; value: the receive buffer size read back */
  READY: 1,
  /** recvmsg failed; value: errno (ENOBUFS: events were lost), 0 when the failure came without one */
  ERROR: 2,
  /** the socket could not be opened or joined; value: errno, 0 when the failure came without one */
  OPEN_FAILED: 3,
} as const;

/** The value of an ERROR or OPEN_FAILED record for a cause: its errno, or 0 for one that came without it. */
export function causeValue(c: SocketCause): number {
  return c.kind === 'errno' ? c.errno : 0;
}

/** The cause an ERROR or OPEN_FAILED record gives. */
export function recordCause(kind: number, value: number): SocketCause {
  const syscall = kind === CONTROL.OPEN_FAILED ? 'socket' : 'recvmsg';
  if (value !== 0) return { kind: 'errno', errno: value, syscall };
  const what = kind === CONTROL.OPEN_FAILED ? 'could not open its socket' : 'could not receive';
  return unknownCause(syscall, `the event receiver ${what} and was given no error code`);
}

/** A control record. */
export function controlRecord(kind: number, value: number): Buffer {
  const b = Buffer.alloc(CONTROL_RECORD_SIZE);
  b.writeUInt32LE(RECORD_CONTROL, 0);
  b.writeUInt32LE(kind, 4);
  b.writeUInt32LE(value >>> 0, 8);
  return b;
}

/**
 * A record length of this value marks a program record: u32 port id, u32 name length, the name (latin1; length
 * 0: no process holds that port). It comes before the datagrams sent from that port that it names, whenever the
 * port or its name differs from the previous program record's.
 */
export const RECORD_PROGRAM = 0xfffffffe;
/** A program name is a process's comm: at most 15 bytes (TASK_COMM_LEN 16, linux/sched.h); room to spare. */
export const MAX_PROGRAM_RECORD = 12 + 64;
