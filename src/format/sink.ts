// Where a formatted line goes. The default formatter writes piece by piece into a LineSink: the CLI's sink puts
// ASCII bytes straight into its output buffer (no intermediate strings for a million lines), the string sink
// builds a string for library users and tests.
//
// The output sink: text is gathered into large chunks and written with blocking writes, so a million lines cost
// a few hundred write() calls. A closed pipe (EPIPE) ends the program quietly, as SIGPIPE ends conntrack;
// EAGAIN (a non-blocking descriptor inherited from the parent) is waited out.

import { writeSync } from 'node:fs';
import { bytesOf, TEXT, textOf } from '../text.js';
import { phase } from '../phases.js';
import { formatIPv4 } from '../ctnetlink/addresses.js';

export interface LineSink {
  /** appends text */
  str(s: string): void;
  /** appends an unsigned integer in decimal */
  num(n: number): void;
  /** appends the IPv4 address in bytes[at, at+4) as inet_ntoa prints it */
  ipv4(bytes: Uint8Array, at: number): void;
  /** removes the last character written on the current line (conntrack's "size--" for the trailing space) */
  dropLast(): void;
}

/** Where a printer writes whole lines: a LineSink that also takes text at once and can be flushed. */
export interface TextOut extends LineSink {
  write(s: string): void;
  /** writes out everything gathered so far (before a warning goes to stderr) */
  flush(): void;
}

export class StringLineSink implements LineSink {
  text = '';
  str(s: string): void {
    this.text += s;
  }
  num(n: number): void {
    this.text += n;
  }
  ipv4(bytes: Uint8Array, at: number): void {
    this.text += formatIPv4(bytes, at);
  }
  dropLast(): void {
    this.text = this.text.slice(0, -1);
  }
}

/** Thrown when the reader went away; main turns it into a quiet exit. */
export class OutputClosed extends Error {
  constructor() {
    super('output closed');
    this.name = 'OutputClosed';
  }
}

/** Thrown when the output cannot be written (ENOSPC, EIO, ...). */
export class OutputFailed extends Error {
  constructor(readonly code: string) {
    super(code);
    this.name = 'OutputFailed';
  }
}

const sleepCell = new Int32Array(new SharedArrayBuffer(4));

/** The command output: whole strings (write) and the default formatter's pieces (LineSink). */
export interface TextSink extends TextOut {
  /** appends text already encoded (whole lines), e.g. what a ByteSink gathered */
  bytes(b: Uint8Array): void;
}

const FLUSH_AT = 1 << 16;

/** For each byte value v, at v*4: the length of its decimal text, then its digits ("0." ... "255." less the dot). */
const OCTETS = new Uint8Array(256 * 4);
for (let v = 0; v < 256; v++) {
  const d = String(v);
  OCTETS[v * 4] = d.length;
  for (let i = 0; i < d.length; i++) OCTETS[v * 4 + 1 + i] = d.charCodeAt(i);
}

/**
 * Text gathered as bytes in one growing buffer: the default formatter writes ASCII straight into it, with no
 * intermediate strings. FdSink writes it out; on its own it holds lines for later (-D prints each entry once the
 * kernel has confirmed its delete).
 */
export class ByteSink implements TextSink {
  buf: Buffer;
  pos = 0;
  protected lineStart = 0;

  constructor(size = FLUSH_AT * 2) {
    this.buf = Buffer.allocUnsafe(size);
  }

  protected room(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    const bigger = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.pos + n));
    this.buf.copy(bigger, 0, 0, this.pos);
    this.buf = bigger;
  }

  /** text is one byte per character (src/text.ts) */
  str(s: string): void {
    const n = s.length;
    this.room(n);
    if (n > 12) {
      // one native copy beats a JavaScript loop past a dozen characters
      this.pos += this.buf.write(s, this.pos, TEXT);
      return;
    }
    const buf = this.buf;
    let pos = this.pos;
    for (let i = 0; i < n; i++) buf[pos++] = s.charCodeAt(i);
    this.pos = pos;
  }

  num(n: number): void {
    if (n < 10 && n >= 0) {
      this.room(1);
      this.buf[this.pos++] = 48 + n;
      return;
    }
    if (n <= 0x7fffffff && (n | 0) === n && n > 0) {
      // ports, timeouts, marks, use counts: 32-bit integer arithmetic
      let digits = 2;
      for (let limit = 100; limit <= n; limit *= 10) digits++;
      this.room(digits);
      const buf = this.buf;
      const end = this.pos + digits;
      this.pos = end;
      let p = end;
      for (let t = n; t !== 0; ) {
        const q = (t / 10) | 0;
        buf[--p] = 48 + t - q * 10;
        t = q;
      }
      return;
    }
    if (!Number.isSafeInteger(n) || n < 0) {
      this.str(String(n));
      return;
    }
    let digits = 1;
    for (let t = n; t >= 10; t = Math.floor(t / 10)) digits++;
    this.room(digits);
    let p = this.pos + digits;
    this.pos = p;
    for (let t = n; p > this.pos - digits; t = Math.floor(t / 10)) this.buf[--p] = 48 + (t % 10);
  }

  /** the four bytes in decimal with dots, straight into the buffer (no string per address) */
  ipv4(bytes: Uint8Array, at: number): void {
    // room for 4 x "255." and a spare byte: each octet's three digit slots are written whatever its length
    this.room(17);
    const buf = this.buf;
    let p = this.pos;
    for (let i = 0; i < 4; i++) {
      const k = bytes[at + i] << 2;
      const n = OCTETS[k];
      buf[p] = OCTETS[k + 1];
      buf[p + 1] = OCTETS[k + 2];
      buf[p + 2] = OCTETS[k + 3];
      p += n;
      buf[p++] = 46; // '.'
    }
    this.pos = p - 1;
  }

  dropLast(): void {
    if (this.pos > this.lineStart) this.pos--;
  }

  write(s: string): void {
    this.str(s);
    if (s.charCodeAt(s.length - 1) === 10) this.lineEnded();
  }

  bytes(b: Uint8Array): void {
    this.room(b.length);
    this.buf.set(b, this.pos);
    this.pos += b.length;
    this.lineEnded();
  }

  protected lineEnded(): void {
    this.lineStart = this.pos;
  }

  flush(): void {}

  /** A copy of what was gathered, and a fresh start. */
  take(): Buffer {
    const out = Buffer.from(this.buf.subarray(0, this.pos));
    this.pos = 0;
    this.lineStart = 0;
    return out;
  }
}

/** Output to a file descriptor through a ByteSink's buffer, whole lines flushed in chunks of about 64 KiB. */
export class FdSink extends ByteSink {
  constructor(readonly fd: number) {
    super();
  }

  protected override lineEnded(): void {
    this.lineStart = this.pos;
    if (this.pos >= FLUSH_AT) this.flush();
  }

  override flush(): void {
    if (this.pos === 0) return;
    const data = this.buf.subarray(0, this.pos);
    this.pos = 0;
    this.lineStart = 0;
    writeAll(this.fd, data);
  }
}

/** Text (one byte per character) written out whole with writeAll. */
export const writeText = (fd: number, s: string): void => writeAll(fd, bytesOf(s));

export function writeAll(fd: number, data: Buffer): void {
  if (phase) phase(fd === 1 ? 'stdout' : fd === 2 ? 'stderr' : 'write');
  let off = 0;
  while (off < data.length) {
    try {
      off += writeSync(fd, data, off, data.length - off);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code ?? 'EIO';
      if (code === 'EAGAIN') {
        Atomics.wait(sleepCell, 0, 0, 1);
        continue;
      }
      if (code === 'EPIPE') throw new OutputClosed();
      throw new OutputFailed(code);
    }
  }
}

/** A sink that keeps everything, for tests. */
export class MemorySink implements TextSink {
  text = '';
  private lineStart = 0;
  write(s: string): void {
    this.text += s;
    if (s.endsWith('\n')) this.lineStart = this.text.length;
  }
  str(s: string): void {
    this.text += s;
  }
  num(n: number): void {
    this.text += n;
  }
  ipv4(bytes: Uint8Array, at: number): void {
    this.text += formatIPv4(bytes, at);
  }
  dropLast(): void {
    if (this.text.length > this.lineStart) this.text = this.text.slice(0, -1);
  }
  bytes(b: Uint8Array): void {
    this.write(textOf(b));
  }
  flush(): void {}
  /** returns what was gathered and starts over */
  take(): string {
    const t = this.text;
    this.text = '';
    this.lineStart = 0;
    return t;
  }
}
