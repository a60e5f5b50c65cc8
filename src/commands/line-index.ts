// The lines of a -R run (delete-run.ts, update-run.ts) filed by the exact original address they compare, so that a
// dumped entry is tested against the few lines that can match it and those that name none, not against all of them,
// and an entry that no line can match is not even decoded. The entry's addresses are read from its raw message.

import { AF } from '../ctnetlink/constants.js';
import { ctFamily, ctOrigAddr, NLA_ABSENT, NLA_MALFORMED } from '../ctnetlink/raw-view.js';

/** The exact original addresses a line holds every entry it matches to (none: it may match any entry). */
export interface PinnedAddresses {
  src?: Uint8Array;
  dst?: Uint8Array;
}

/**
 * Which lines may match an entry, in line order: a line comparing an exact original source (or else destination)
 * address is filed under it; the others are tried on every entry.
 */
export class LineIndex {
  private readonly bySrc = new Map<AddrKey, number[]>();
  private readonly byDst = new Map<AddrKey, number[]>();
  private readonly anyEntry: number[] = [];
  private readonly all: number[];

  constructor(pinned: readonly PinnedAddresses[]) {
    this.all = pinned.map((_, i) => i);
    pinned.forEach((p, i) => {
      if (p.src) push(this.bySrc, addrKey(p.src, 0, p.src.length), i);
      else if (p.dst) push(this.byDst, addrKey(p.dst, 0, p.dst.length), i);
      else this.anyEntry.push(i);
    });
  }

  /** The lines that may match the entry in buf[off, off + len), by the addresses of its original tuple. */
  candidates(buf: Buffer, off: number, len: number): readonly number[] {
    // an address no line is filed by is not looked for (both walks see the same attributes, so either one finds
    // a malformed one; with neither, every line is a candidate and the decoder finds it)
    const s = this.bySrc.size ? ctOrigAddr(buf, off, len, false) : NLA_ABSENT;
    const d = this.byDst.size ? ctOrigAddr(buf, off, len, true) : NLA_ABSENT;
    // malformed: every line, and the decoder says what is wrong
    if (s === NLA_MALFORMED || d === NLA_MALFORMED) return this.all;
    const n = ctFamily(buf, off) === AF.INET ? 4 : 16;
    const src = s >= 0 ? addrKey(buf, s, n) : undefined;
    const dst = d >= 0 ? addrKey(buf, d, n) : undefined;
    const a = (src !== undefined && this.bySrc.get(src)) || NONE;
    const b = (dst !== undefined && this.byDst.get(dst)) || NONE;
    const c = this.anyEntry;
    if (a.length + b.length === 0) return c;
    if (b.length + c.length === 0) return a;
    if (a.length + c.length === 0) return b;
    return [...a, ...b, ...c].sort((x, y) => x - y);
  }
}
/** An address as a map key: an IPv4 address as its number, an IPv6 address as its 16 bytes in a string. */
type AddrKey = number | string;
const addrKey = (b: Uint8Array, at: number, len: number): AddrKey =>
  len === 4 ? ((b[at] << 24) | (b[at + 1] << 16) | (b[at + 2] << 8) | b[at + 3]) >>> 0 : String.fromCharCode(...b.subarray(at, at + len));
const NONE: readonly number[] = [];
const push = (m: Map<AddrKey, number[]>, k: AddrKey, i: number): void => {
  const l = m.get(k);
  if (l) l.push(i);
  else m.set(k, [i]);
};
