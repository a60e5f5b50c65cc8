// The event socket, in a process of its own (see events.ts for why). It joins the given multicast groups and
// copies every datagram to stdout as a record: [u32 length, little-endian][datagram]. Records with a length
// of RECORD_CONTROL carry a u32 kind and a u32 value: READY (value: the receive buffer size read back) or
// ERROR (value: an errno from recvmsg, such as ENOBUFS).
//
// This process only reads: its writes to the pipe never block (a stream over fd 1, gathered per burst of
// reads), so a burst is taken off the socket as fast as the kernel delivers it, and queued here rather than
// lost there. Without -b the socket's receive buffer is raised to what net.core.rmem_max allows.
//
//   node event-receiver.js GROUP[,GROUP...] [RECVBUF]

import { createRequire } from 'node:module';
import { writeSync } from 'node:fs';
import { Socket } from 'node:net';
import type { RawNetlinkSocket as RawSocketType } from 'netlink';
import { NETLINK_NETFILTER } from './constants.js';
import { CONTROL, RECORD_CONTROL } from './event-records.js';


const { RawNetlinkSocket } = createRequire(import.meta.url)('netlink/dist/raw.js') as { RawNetlinkSocket: typeof RawSocketType };

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

function control(kind: number, value: number): Buffer {
  const b = Buffer.alloc(12);
  b.writeUInt32LE(RECORD_CONTROL, 0);
  b.writeUInt32LE(kind, 4);
  b.writeUInt32LE(value >>> 0, 8);
  return b;
}

const groups = (process.argv[2] ?? '').split(',').filter(Boolean).map(Number);
const recvBuffer = Number(process.argv[3] ?? 0);
/** Without -b: as large as SO_RCVBUF may go (the kernel caps it at net.core.rmem_max, then doubles it). */
const DEFAULT_RECV_BUFFER = 64 << 20;
/** Past this much queued for the parent, datagrams are dropped and reported as ENOBUFS. */
const MAX_QUEUED = 256 << 20;

let socket: RawSocketType;
try {
  socket = new RawNetlinkSocket(NETLINK_NETFILTER, { messagePeeking: false, msgBufferSize: 8192, recvBufferSize: 0, sendBufferSize: 0 });
  for (const g of groups) socket.addMembership(g);
  socket.setRecvBufferSize(recvBuffer > 0 ? recvBuffer : DEFAULT_RECV_BUFFER);
} catch (e) {
  writeOut(control(CONTROL.OPEN_FAILED, Math.abs((e as { errno?: number }).errno ?? 5)));
  process.exit(1);
}

// the READY record goes out synchronously, before anything else; then fd 1 becomes a non-blocking stream
const out = new Socket({ fd: 1, readable: false, writable: true });
out.on('error', () => process.exit(0)); // the parent went away

let pending: Buffer[] = [];
let flushScheduled = false;
let dropping = false;
const flush = (): void => {
  flushScheduled = false;
  if (pending.length === 0) return;
  const data = Buffer.concat(pending);
  pending = [];
  out.write(data);
};

socket.on('message', (d: Buffer, rinfo: { port: number }) => {
  if (rinfo.port !== 0) return;
  if (out.writableLength > MAX_QUEUED) {
    if (!dropping) pending.push(control(CONTROL.ERROR, 105 /* ENOBUFS */));
    dropping = true;
    return;
  }
  dropping = false;
  const head = Buffer.allocUnsafe(4);
  head.writeUInt32LE(d.length, 0);
  pending.push(head, d);
  if (!flushScheduled) {
    flushScheduled = true;
    setImmediate(flush);
  }
});
socket.on('error', (e: { errno?: number }) => {
  pending.push(control(CONTROL.ERROR, Math.abs(e.errno ?? 5)));
  if (!flushScheduled) {
    flushScheduled = true;
    setImmediate(flush);
  }
});
writeOut(control(CONTROL.READY, socket.getRecvBufferSize()));
