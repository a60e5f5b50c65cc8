// The receiving half of a threaded dump. The kernel builds each dump datagram inside the reader's recvmsg()
// call, so receiving on this thread lets the kernel's work overlap with decoding and formatting on the main
// thread. Datagrams are copied into large batches whose buffers are transferred (not copied) to the main
// thread; a shared counter of batches in flight blocks this thread when the main thread falls behind, which
// also pauses the kernel's dump, so memory stays flat however large the table.

import { parentPort, receiveMessageOnPort, workerData } from 'node:worker_threads';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { NLMSG, NLMSG_HDRLEN } from '../constants.js';
import { inNetns } from './netns.js';
import { causeOf, EMPTY, type OpenSocket, openNetfilterSocket, quietReads, readDatagram, type SocketCause } from './raw-socket.js';
import { DumpControl, type DumpWorkerData, type DumpWorkerMessage } from './protocol.js';

const data = workerData as DumpWorkerData;
const port = parentPort!;
const control = new DumpControl(data.control);

/** Batch buffers the main thread has handed back for reuse. */
const free: ArrayBuffer[] = [];
function takeReturned(): void {
  for (let m = receiveMessageOnPort(port); m; m = receiveMessageOnPort(port)) free.push(m.message as ArrayBuffer);
}
function newBatch(): Uint8Array {
  takeReturned();
  const b = free.pop();
  return b && b.byteLength >= data.batchSize ? new Uint8Array(b) : new Uint8Array(data.batchSize);
}

// Each received datagram is a fresh native buffer from the netlink addon, released only when its JavaScript
// wrapper is collected; V8 sees little JavaScript garbage here and would let tens of megabytes of them pile up.
// A minor collection every few megabytes received keeps the thread's memory flat.
setFlagsFromString('--expose-gc');
const collect = runInNewContext('gc') as (opts?: { type: 'minor' | 'major' }) => void;
const COLLECT_EVERY = 4 << 20;
/** How long (in 1 ms waits) read(2) may find nothing before the addon's reading takes over. */
const MAX_WAIT_MS = 100;
let receivedSinceCollect = 0;

let batch = newBatch();
let used = 0;
let lengths: number[] = [];
let flushScheduled = false;
let finished = false;

function post(): void {
  if (lengths.length === 0) return;
  // wait while the main thread has maxInFlight batches to work through
  if (!control.reserve(data.maxInFlight)) return;
  const msg: DumpWorkerMessage = { kind: 'batch', buffer: batch.buffer as ArrayBuffer, lengths };
  port.postMessage(msg, [batch.buffer as ArrayBuffer]);
  batch = newBatch();
  used = 0;
  lengths = [];
}

/** True when the datagram ends our request: NLMSG_DONE or NLMSG_ERROR carrying our sequence number. */
function endsRequest(d: Buffer): boolean {
  let off = 0;
  while (off + NLMSG_HDRLEN <= d.length) {
    const len = d.readUInt32LE(off);
    if (len < NLMSG_HDRLEN) return true; // malformed: the main thread will say so
    const type = d.readUInt16LE(off + 4);
    if ((type === NLMSG.DONE || type === NLMSG.ERROR) && d.readUInt32LE(off + 8) === data.seq) return true;
    off += (len + 3) & ~3;
  }
  return false;
}

/** The socket, or the cause of its failure to open sent to the main thread (then this thread ends). */
function open(): OpenSocket {
  try {
    const opts = { msgBufferSize: data.recvChunk, recvBufferSize: data.recvBufferSize, findFd: true };
    if (data.netnsFd === undefined) return openNetfilterSocket(opts);
    // setns(2) on the main thread does not carry over to this one: this thread enters the namespace itself
    return inNetns(data.netnsFd, () => openNetfilterSocket(opts));
  } catch (e) {
    port.postMessage({ kind: 'error', cause: causeOf(e, 'socket') } satisfies DumpWorkerMessage);
    process.exit(0); // in a worker: ends this thread only
  }
}
const { socket, fd } = open();

function finish(): void {
  if (finished) return;
  finished = true;
  post();
  // not from inside the socket's own callback: the addon's read loop goes on after it returns
  setImmediate(() => socket.close());
}

socket.on('message', (d: Buffer, rinfo: { port: number }) => {
  if (finished || rinfo.port !== 0) return;
  if (control.cancelled()) {
    finish();
    return;
  }
  if (used + d.length > batch.length) post();
  if (d.length > batch.length) batch = new Uint8Array(d.length);
  batch.set(d, used);
  used += d.length;
  lengths.push(d.length);
  receivedSinceCollect += d.length;
  if (receivedSinceCollect >= COLLECT_EVERY) {
    receivedSinceCollect = 0;
    collect({ type: 'minor' });
  }
  if (endsRequest(d)) {
    finish();
    return;
  }
  if (!flushScheduled) {
    // a burst of reads ends when the socket is drained: hand over what we have
    flushScheduled = true;
    setImmediate(() => {
      flushScheduled = false;
      if (control.cancelled()) finish();
      else if (!finished) post();
    });
  }
});
/** Receiving failed: what came before it goes over, then the cause. */
function fail(cause: SocketCause): void {
  if (finished) return;
  finished = true;
  post();
  port.postMessage({ kind: 'error', cause } satisfies DumpWorkerMessage);
  setImmediate(() => socket.close());
}

socket.on('error', (e: unknown) => fail(causeOf(e, 'recvmsg')));
socket.send(Buffer.from(data.request), {}, (e?: unknown) => {
  if (e) port.postMessage({ kind: 'error', cause: causeOf(e, 'sendmsg') } satisfies DumpWorkerMessage);
});
if (fd !== undefined) readDump(fd);

/**
 * Receives the dump with read(2), each datagram straight into the batch: no buffer and no callback per datagram.
 * A dump never needs to be waited for (the kernel builds the next datagram inside the read), so this runs to
 * the end without the event loop; the addon's own reading (above) only takes over if the request has not been
 * answered after a while, which would mean it was not sent yet.
 */
function readDump(sock: number): void {
  // errors from read() end the dump or are retried: no stack traces for them
  quietReads(() => {
    const view = (): Buffer => Buffer.from(batch.buffer, batch.byteOffset, batch.byteLength);
    let b = view();
    let waited = 0;
    while (!finished) {
      if (control.cancelled()) {
        finish();
        return;
      }
      if (used + data.recvChunk > batch.length) {
        post();
        b = view();
      }
      const r = readDatagram(sock, b, used, data.recvChunk);
      if (r === EMPTY) {
        if (used === 0 && waited >= MAX_WAIT_MS) return; // to the addon's reading
        control.pause(1);
        waited++;
        continue;
      }
      if (typeof r !== 'number') {
        fail(r);
        return;
      }
      waited = 0;
      const d = b.subarray(used, used + r);
      used += r;
      lengths.push(r);
      if (endsRequest(d)) finish();
    }
  });
}
