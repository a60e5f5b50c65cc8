// Where a formatted line goes. The default formatter writes piece by piece into a LineSink: the CLI's sink puts
// ASCII bytes straight into its output buffer (no intermediate strings for a million lines), the string sink
// builds a string for library users and tests.

export interface LineSink {
  /** appends text */
  str(s: string): void;
  /** appends an unsigned integer in decimal */
  num(n: number): void;
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
  dropLast(): void {
    this.text = this.text.slice(0, -1);
  }
}
