// The output sink: text is gathered into large chunks and written with blocking writes, so a million lines cost
// a few hundred write() calls. A closed pipe (EPIPE) ends the program quietly, as SIGPIPE ends conntrack;
// EAGAIN (a non-blocking descriptor inherited from the parent) is waited out.

import { writeSync } from 'node:fs';

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

export interface TextSink {
  write(s: string): void;
  /** writes out everything gathered so far */
  flush(): void;
}

export class FdSink implements TextSink {
  private parts: string[] = [];
  private size = 0;

  constructor(
    readonly fd: number,
    /** gathered characters before a write */
    private readonly chunk = 1 << 16,
  ) {}

  write(s: string): void {
    this.parts.push(s);
    this.size += s.length;
    if (this.size >= this.chunk) this.flush();
  }

  flush(): void {
    if (this.size === 0 && this.parts.length === 0) return;
    const data = Buffer.from(this.parts.join(''), 'utf8');
    this.parts = [];
    this.size = 0;
    writeAll(this.fd, data);
  }
}

export function writeAll(fd: number, data: Buffer): void {
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
  write(s: string): void {
    this.text += s;
  }
  flush(): void {}
}
