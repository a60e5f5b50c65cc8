// A netlink message writer over one growing buffer: for hot paths that encode many messages (a -R file of
// 100k lines) without building attribute trees.

import { NLA_F_NESTED, NLMSG_HDRLEN, NFGENMSG_LEN, NFNETLINK_V0, NLM_F } from './constants.js';

/** Up to this many bytes, raw() copies in a loop (a -R line's message is about 200 bytes). */
const SHORT_COPY = 512;

export class NlWriter {
  buf: Buffer;
  pos = 0;

  constructor(size = 1 << 16) {
    this.buf = Buffer.allocUnsafe(size);
  }

  private room(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    const bigger = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.pos + n));
    this.buf.copy(bigger, 0, 0, this.pos);
    this.buf = bigger;
  }

  /** Starts an nfnetlink message; returns its offset for end(). */
  beginMessage(subsys: number, msg: number, flags: number, family: number, seq: number): number {
    this.room(NLMSG_HDRLEN + NFGENMSG_LEN);
    const start = this.pos;
    const b = this.buf;
    b.writeUInt16LE((subsys << 8) | msg, start + 4);
    b.writeUInt16LE(NLM_F.REQUEST | flags, start + 6);
    b.writeUInt32LE(seq >>> 0, start + 8);
    b.writeUInt32LE(0, start + 12);
    b[start + 16] = family;
    b[start + 17] = NFNETLINK_V0;
    b[start + 18] = 0;
    b[start + 19] = 0;
    this.pos += NLMSG_HDRLEN + NFGENMSG_LEN;
    return start;
  }

  endMessage(start: number): void {
    this.buf.writeUInt32LE(this.pos - start, start);
  }

  /** Starts a nested attribute; returns its offset for endNest(). */
  beginNest(type: number): number {
    this.room(4);
    const start = this.pos;
    this.buf.writeUInt16LE(type | NLA_F_NESTED, start + 2);
    this.pos += 4;
    return start;
  }

  endNest(start: number): void {
    this.buf.writeUInt16LE(this.pos - start, start);
  }

  private header(type: number, payload: number): void {
    this.room(4 + payload + 3);
    this.buf.writeUInt16LE(4 + payload, this.pos);
    this.buf.writeUInt16LE(type, this.pos + 2);
    this.pos += 4;
  }

  private pad(): void {
    while (this.pos & 3) this.buf[this.pos++] = 0;
  }

  u8(type: number, v: number): void {
    this.header(type, 1);
    this.buf[this.pos++] = v & 0xff;
    this.pad();
  }

  u16be(type: number, v: number): void {
    this.header(type, 2);
    this.buf[this.pos++] = (v >>> 8) & 0xff;
    this.buf[this.pos++] = v & 0xff;
    this.pad();
  }

  u32be(type: number, v: number): void {
    this.header(type, 4);
    this.buf.writeUInt32BE(v >>> 0, this.pos);
    this.pos += 4;
  }

  bytes(type: number, data: Uint8Array): void {
    this.header(type, data.length);
    this.buf.set(data, this.pos);
    this.pos += data.length;
    this.pad();
  }

  /** Appends bytes as they are (pre-encoded attributes). */
  raw(data: Uint8Array): void {
    const n = data.length;
    this.room(n);
    const b = this.buf;
    const at = this.pos;
    // a short copy is cheaper byte by byte than through TypedArray.prototype.set
    if (n <= SHORT_COPY) for (let i = 0; i < n; i++) b[at + i] = data[i];
    else b.set(data, at);
    this.pos = at + n;
  }

  /** Appends src[from, from + len) and zeros up to `padded` bytes (an attribute copied with its padding). */
  rawPadded(src: Uint8Array, from: number, len: number, padded: number): void {
    this.room(padded);
    const b = this.buf;
    const at = this.pos;
    for (let i = 0; i < len; i++) b[at + i] = src[from + i];
    for (let i = len; i < padded; i++) b[at + i] = 0;
    this.pos = at + padded;
  }

  /** The bytes written so far (a view), and a fresh start. */
  take(): Buffer {
    const out = Buffer.from(this.buf.subarray(0, this.pos));
    this.pos = 0;
    return out;
  }
}
