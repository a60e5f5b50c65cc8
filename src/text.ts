// Text is bytes. conntrack reads its arguments, -R lines, connlabel.conf, /etc/protocols and the kernel's strings
// as bytes and writes them back unchanged, whatever their encoding. Our strings therefore hold one byte per
// character (codes 0-255, Node's 'latin1'): decoding and encoding never fail or replace anything, comparing
// strings compares bytes, and valid UTF-8 goes out as the very bytes it came in as. Every place where text enters
// or leaves the process goes through these.

export const TEXT = 'latin1' as const;

/** Bytes as text, one character per byte. */
export const textOf = (b: Uint8Array, from = 0, to = b.length): string =>
  (Buffer.isBuffer(b) ? b : Buffer.from(b.buffer, b.byteOffset, b.byteLength)).toString(TEXT, from, to);

/** Text as the bytes it stands for. */
export const bytesOf = (s: string): Buffer => Buffer.from(s, TEXT);

const NON_ASCII = /[^\x00-\x7f]/;

/**
 * A string that Node decoded from UTF-8 (process.argv, process.env) as text of the bytes it came from. Exact for
 * valid UTF-8; bytes Node could not decode are U+FFFD by now, and only the raw source can bring them back.
 */
export const fromUtf8 = (s: string): string => (NON_ASCII.test(s) ? Buffer.from(s, 'utf8').toString(TEXT) : s);
