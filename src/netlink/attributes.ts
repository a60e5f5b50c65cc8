// The netlink attribute (TLV) codec: struct nlattr { u16 nla_len; u16 nla_type; } + payload, 4-byte aligned.
// Header fields are host-endian (little-endian on every platform Node supports for this package: x64, arm64);
// ctnetlink payload integers are big-endian (network order).

import { NLA_ALIGN, NLA_ALIGNTO, NLA_F_NESTED, NLA_HDRLEN, NLA_TYPE_MASK } from './constants.js';
import { bytesOf, textOf } from '../text.js';

export const align4 = NLA_ALIGN;

/** A decode failure; `path` names the attribute chain, e.g. "CTA_TUPLE_ORIG > CTA_TUPLE_IP". */
export class DecodeError extends Error {
  constructor(
    message: string,
    readonly path: string[] = [],
  ) {
    super(path.length ? `unmarshal ${path.join(' > ')}: ${message}` : message);
    this.name = 'DecodeError';
  }
}

const EMPTY = Buffer.alloc(0);

// ---- the walk as free functions over (buf, offset) --------------------------------------------------------
//
// Small functions of numbers on a Buffer, which TurboFan inlines into their callers, so a walk keeps its offsets
// in locals. Measured on Node 20 (bench/micro-raw.mjs): V8 reads an imported binding, and an exported one, through
// its module cell at every use, even once the function is inlined; a per-attribute loop that calls imported
// readers (or reads imported constants, NLA_ALIGN's NLA_ALIGNTO included) ran the raw prefilter 40-100% slower
// than literal offsets. A module-local const is a constant to TurboFan. So these functions call this module's
// private bindings only, and a hot loop elsewhere binds what it uses to module-local consts once
// (filter/userspace.ts: `const nlaLen_ = nlaLen`), which brings it within 5% of the literal walk.

const HDRLEN = NLA_HDRLEN;
const TYPE_MASK = NLA_TYPE_MASK;
const ALIGN_MASK = NLA_ALIGNTO - 1;
const lenOf = (buf: Buffer, at: number): number => buf[at] | (buf[at + 1] << 8);
const typeOf = (buf: Buffer, at: number): number => (buf[at + 2] | (buf[at + 3] << 8)) & TYPE_MASK;
const alignOf = (len: number): number => (len + ALIGN_MASK) & ~ALIGN_MASK;
/** not nla_ok(): shorter than its header, or running past the end of its range */
const badLen = (len: number, at: number, end: number): boolean => len < HDRLEN || at + len > end;

/** nla_len of the attribute (header included) whose header is at buf[at]. */
export const nlaLen = lenOf;
/** nla_type of the attribute at buf[at], without NLA_F_NESTED / NLA_F_NET_BYTEORDER. */
export const nlaType = typeOf;
/** The attribute at buf[at] carries NLA_F_NESTED. */
export const nlaNested = (buf: Buffer, at: number): boolean => (buf[at + 3] & (NLA_F_NESTED >> 8)) !== 0;
/** Where the payload of the attribute at `at` starts. */
export const nlaPayload = (at: number): number => at + HDRLEN;
/** Where the payload of the attribute at buf[at] ends. */
export const nlaEnd = (buf: Buffer, at: number): number => at + lenOf(buf, at);
/** The attribute after the one at buf[at] (its length rounded up to NLA_ALIGNTO). */
export const nlaNext = (buf: Buffer, at: number): number => at + alignOf(lenOf(buf, at));
/** NLA_ALIGN(len), as a function of this module (NLA_ALIGN in constants.ts reads NLA_ALIGNTO through a module cell). */
export const nlaAlign = alignOf;
/** A header at buf[at] with nla_len `len` that is not nla_ok() in a range ending at `end`. */
export const nlaBad = badLen;

/** findAttr()'s and the readers' answers when there is nothing to give. */
export const NLA_ABSENT = -1;
export const NLA_MALFORMED = -2;

/**
 * The header offset of the first attribute of `type` in buf[start, end); NLA_ABSENT when there is none,
 * NLA_MALFORMED when a malformed header comes first. Trailing bytes shorter than a header are ignored, as the
 * kernel's nla_for_each_attr does.
 */
export function findAttr(buf: Buffer, start: number, end: number, type: number): number {
  let a = start;
  while (a + HDRLEN <= end) {
    const len = lenOf(buf, a);
    if (badLen(len, a, end)) return -2;
    if (typeOf(buf, a) === type) return a;
    a += alignOf(len);
  }
  return -1;
}

/**
 * The header offset of the last attribute of `type` in buf[start, end) (the one a decoder keeps: a later
 * attribute of a kind replaces an earlier one); NLA_ABSENT, or NLA_MALFORMED when the range has a malformed header.
 */
export function findLastAttr(buf: Buffer, start: number, end: number, type: number): number {
  let found = -1;
  let a = start;
  while (a + HDRLEN <= end) {
    const len = lenOf(buf, a);
    if (badLen(len, a, end)) return -2;
    if (typeOf(buf, a) === type) found = a;
    a += alignOf(len);
  }
  return found;
}

/**
 * A cursor over the attributes of buf[start, end), reused from one walk to the next so that walking allocates
 * nothing: reset() it on a range, then `while (c.next()) switch (c.type) ...`, reading the current attribute's
 * payload with the typed readers and descending into a nested one with enter(). A walk ends at the end of the
 * range (trailing bytes shorter than a header are ignored, as the kernel's nla_for_each_attr does) or at a header
 * that is too short or runs past the end: then next() says false and `bad` is set, and the caller decides whether
 * that is an error (badLength()) or a reason to give up.
 */
export class AttrCursor {
  buf: Buffer = EMPTY;
  /** the range walked */
  start = 0;
  end = 0;
  /** the current (or malformed) attribute: its type without NLA_F_NESTED / NLA_F_NET_BYTEORDER, header offset, nla_len */
  type = 0;
  hdr = 0;
  len = 0;
  /** the current attribute's payload is buf[from, to) */
  from = 0;
  to = 0;
  /** the walk stopped at a malformed header (at `hdr`, its length `len`) */
  bad = false;
  private pos = 0;

  /** Starts a walk of buf[start, end). */
  reset(buf: Buffer, start: number, end: number): this {
    this.buf = buf;
    this.start = start;
    this.end = end;
    this.pos = start;
    this.bad = false;
    return this;
  }

  /** Moves to the next attribute; false at the end of the range or at a malformed header (`bad`). */
  next(): boolean {
    const pos = this.pos;
    const end = this.end;
    if (pos + NLA_HDRLEN > end) return false;
    const buf = this.buf;
    const len = buf[pos] | (buf[pos + 1] << 8);
    this.hdr = pos;
    this.len = len;
    this.type = (buf[pos + 2] | (buf[pos + 3] << 8)) & NLA_TYPE_MASK;
    if (len < NLA_HDRLEN || pos + len > end) {
      this.bad = true;
      this.pos = end;
      return false;
    }
    this.from = pos + NLA_HDRLEN;
    this.to = pos + len;
    this.pos = pos + NLA_ALIGN(len);
    return true;
  }

  /** Walks the current attribute's payload with `into` (a cursor of the next nesting level). */
  enter(into: AttrCursor): AttrCursor {
    return into.reset(this.buf, this.from, this.to);
  }

  /** The DecodeError for the malformed header the walk stopped at, naming `path`. */
  badLength(path: string[]): DecodeError {
    return new DecodeError(`attribute at offset ${this.hdr - this.start} has bad length ${this.len}`, path);
  }

  /** The current attribute carries NLA_F_NESTED. */
  get nested(): boolean {
    return (this.buf[this.hdr + 3] << 8) & NLA_F_NESTED ? true : false;
  }
  /** Payload length in bytes. */
  get size(): number {
    return this.to - this.from;
  }
  /** The payload holds at least n bytes. */
  has(n: number): boolean {
    return this.to - this.from >= n;
  }
  u8(): number {
    return this.buf[this.from];
  }
  be16(): number {
    const b = this.buf;
    const a = this.from;
    return (b[a] << 8) | b[a + 1];
  }
  be32(): number {
    const b = this.buf;
    const a = this.from;
    return ((b[a] << 24) | (b[a + 1] << 16) | (b[a + 2] << 8) | b[a + 3]) >>> 0;
  }
  be64(): bigint {
    return readU64BE(this.buf, this.from);
  }
  /** The payload as a view into the walked buffer (valid as long as the buffer is). */
  subarray(): Buffer {
    return this.buf.subarray(this.from, this.to);
  }
  /** The payload copied. */
  bytes(): Buffer {
    return Buffer.from(this.buf.subarray(this.from, this.to));
  }
  /** The payload as a NUL-terminated string. */
  str(): string {
    return readCString(this.buf, this.from, this.to);
  }
  /** The current attribute kept raw (copied), as decoders keep what they do not know. */
  raw(): RawAttr {
    return rawAttr(this.buf, this.from, this.to);
  }
}

/** A raw attribute kept when the decoder does not know its type (presence is data: nothing is dropped). */
export interface RawAttr {
  type: number;
  nested: boolean;
  data: Buffer;
}

/** The attribute at [payloadStart - 4, payloadEnd) as a RawAttr (copies the payload). */
export function rawAttr(buf: Buffer, from: number, to: number): RawAttr {
  const typeField = buf[from - 2] | (buf[from - 1] << 8);
  return { type: typeField & NLA_TYPE_MASK, nested: (typeField & NLA_F_NESTED) !== 0, data: Buffer.from(buf.subarray(from, to)) };
}

export const readU8 = (buf: Buffer, off: number): number => buf[off];
export const readU16BE = (buf: Buffer, off: number): number => (buf[off] << 8) | buf[off + 1];
export const readU32BE = (buf: Buffer, off: number): number =>
  ((buf[off] << 24) | (buf[off + 1] << 16) | (buf[off + 2] << 8) | buf[off + 3]) >>> 0;
/**
 * Host order (the netlink message header's fields, on a little-endian host), read byte-wise: V8's interpreter runs
 * these as a few bytecodes, where Buffer#readUInt32LE is a call with checks of its own (-E's path runs interpreted).
 */
export const readU16LE = (buf: Buffer, off: number): number => buf[off] | (buf[off + 1] << 8);
export const readU32LE = (buf: Buffer, off: number): number =>
  (buf[off] | (buf[off + 1] << 8) | (buf[off + 2] << 16) | (buf[off + 3] << 24)) >>> 0;
export const readU64BE = (buf: Buffer, off: number): bigint => (BigInt(readU32BE(buf, off)) << 32n) | BigInt(readU32BE(buf, off + 4));

// ---- encoding -------------------------------------------------------------------------------------------

/** A declarative attribute tree: the encoder's input, and how tests write attribute data. */
export type AttrNode = { type: number; nested: AttrNode[] } | { type: number; data: Uint8Array };

export const nest = (type: number, ...children: (AttrNode | undefined | false)[]): AttrNode => ({
  type,
  nested: children.filter((c): c is AttrNode => !!c),
});
export const bytes = (type: number, data: Uint8Array): AttrNode => ({ type, data });
export const u8 = (type: number, v: number): AttrNode => ({ type, data: Uint8Array.of(v & 0xff) });
export const u16be = (type: number, v: number): AttrNode => ({ type, data: Uint8Array.of((v >>> 8) & 0xff, v & 0xff) });
export const u32be = (type: number, v: number): AttrNode => ({
  type,
  data: Uint8Array.of((v >>> 24) & 0xff, (v >>> 16) & 0xff, (v >>> 8) & 0xff, v & 0xff),
});
/** A u32 in host order (NLA_U32, which the kernel reads with nla_get_u32: CTA_FILTER's flags), as libmnl's mnl_attr_put_u32. */
export const u32host = (type: number, v: number): AttrNode => {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(v >>> 0); // host order: little-endian on every platform this package supports (see above)
  return { type, data: b };
};
export const u64be = (type: number, v: bigint): AttrNode => {
  const b = Buffer.alloc(8);
  b.writeBigUInt64BE(BigInt.asUintN(64, v));
  return { type, data: b };
};
/** A NUL-terminated string, as the kernel's NLA_NUL_STRING / NLA_STRING policies accept. */
export const str = (type: number, s: string): AttrNode => ({ type, data: bytesOf(s + '\0') });

/** A string payload in buf[from, to): its bytes up to the first NUL, as text (src/text.ts). */
export function readCString(buf: Buffer, from: number, to: number): string {
  let end = from;
  while (end < to && buf[end] !== 0) end++;
  return textOf(buf, from, end);
}

export function encodedLength(nodes: AttrNode[]): number {
  let n = 0;
  for (const node of nodes) {
    n += align4(NLA_HDRLEN + ('nested' in node ? encodedLength(node.nested) : node.data.length));
  }
  return n;
}

/** Writes nodes at buf[off...]; nested nodes get NLA_F_NESTED. Returns the offset after the last one. */
export function encodeAttrs(nodes: AttrNode[], buf: Buffer, off = 0): number {
  for (const node of nodes) {
    const start = off;
    let end: number;
    if ('nested' in node) {
      end = encodeAttrs(node.nested, buf, start + NLA_HDRLEN);
      buf.writeUInt16LE(node.type | NLA_F_NESTED, start + 2);
    } else {
      buf.set(node.data, start + NLA_HDRLEN);
      end = start + NLA_HDRLEN + node.data.length;
      buf.writeUInt16LE(node.type, start + 2);
    }
    buf.writeUInt16LE(end - start, start);
    const padded = align4(end);
    buf.fill(0, end, padded);
    off = padded;
  }
  return off;
}

export function encodeAttrsToBuffer(nodes: AttrNode[]): Buffer {
  const buf = Buffer.alloc(encodedLength(nodes));
  encodeAttrs(nodes, buf, 0);
  return buf;
}

/** Decodes a whole attribute stream into a tree (generic; for tests and unknown-attribute inspection). */
export function decodeTree(
  buf: Buffer,
  start = 0,
  end = buf.length,
  nestedTypes?: (path: number[]) => boolean,
  path: number[] = [],
): AttrNode[] {
  const out: AttrNode[] = [];
  const c = new AttrCursor().reset(buf, start, end);
  while (c.next()) {
    const p = [...path, c.type];
    if (c.nested || nestedTypes?.(p)) out.push({ type: c.type, nested: decodeTree(buf, c.from, c.to, nestedTypes, p) });
    else out.push({ type: c.type, data: c.bytes() });
  }
  if (c.bad) throw new DecodeError(`attribute of type ${c.type} has bad length ${c.len} at offset ${c.hdr - start}`);
  return out;
}

/** Where attributes are written: a tree (TreeBuilder) or straight into message bytes (NlWriter). */
export interface AttrSink {
  beginNest(type: number): number;
  endNest(start: number): void;
  u8(type: number, v: number): void;
  u16be(type: number, v: number): void;
  u32be(type: number, v: number): void;
  bytes(type: number, data: Uint8Array): void;
}

/** An AttrSink that builds AttrNode trees (for request builders and tests). */
export class TreeBuilder implements AttrSink {
  readonly nodes: AttrNode[] = [];
  private stack: AttrNode[][] = [this.nodes];
  private get top(): AttrNode[] {
    return this.stack[this.stack.length - 1];
  }
  beginNest(type: number): number {
    const node = { type, nested: [] as AttrNode[] };
    this.top.push(node);
    this.stack.push(node.nested);
    return this.stack.length;
  }
  endNest(): void {
    this.stack.pop();
  }
  u8(type: number, v: number): void {
    this.top.push(u8(type, v));
  }
  u16be(type: number, v: number): void {
    this.top.push(u16be(type, v));
  }
  u32be(type: number, v: number): void {
    this.top.push(u32be(type, v));
  }
  bytes(type: number, data: Uint8Array): void {
    this.top.push(bytes(type, data));
  }
}
