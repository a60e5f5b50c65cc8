// --tally KEY[,KEY...] (our addition): counts entries per distinct key instead of printing them, the answer to
// `conntrack -L | awk | sort | uniq -c | sort -nr` in one pass. Memory grows with the number of distinct keys,
// never with the table. Output: one line per key, largest count first (ties in the order first seen), the count padded
// as uniq -c pads it, then KEY=VALUE pairs in the order the keys were given.

import type { Flow, Tuple } from '../ctnetlink/model.js';
import { PORT_PROTOCOLS } from '../ctnetlink/constants.js';
import { statusNames } from './json.js';
import { flowStateName, l3Name, protoName } from './tables.js';
import { NEEDS_DECODE, RAW_FIELDS, rawFieldReader, type RawField, type RawFieldReader } from '../ctnetlink/raw-fields.js';

/** --tally keys: what an entry is counted by. */
export const TALLY_KEYS = [
  'src',
  'dst',
  'reply-src',
  'reply-dst',
  'sport',
  'dport',
  'reply-sport',
  'reply-dport',
  'proto',
  'family',
  'state',
  'status',
  'mark',
  'zone',
  'helper',
] as const;
export type TallyKey = (typeof TALLY_KEYS)[number];

/** What an entry shows for a key it does not have (an ICMP entry's dport, an entry without a helper). */
export const NO_VALUE = '-';

/**
 * A tuple's port as the default line shows it: for the protocols with ports, 0 when the kernel sent none (a
 * generic DCCP entry); none for the others (GRE's keys print as srckey=, not as ports).
 */
const port = (t: Tuple | undefined, which: 'srcPort' | 'dstPort'): string =>
  t?.protonum !== undefined && PORT_PROTOCOLS.has(t.protonum) ? String(t[which] ?? 0) : NO_VALUE;
const str = (v: string | undefined): string => v ?? NO_VALUE;

const KEY_VALUE: Record<TallyKey, (f: Flow) => string> = {
  src: (f) => str(f.orig?.src),
  dst: (f) => str(f.orig?.dst),
  'reply-src': (f) => str(f.reply?.src),
  'reply-dst': (f) => str(f.reply?.dst),
  sport: (f) => port(f.orig, 'srcPort'),
  dport: (f) => port(f.orig, 'dstPort'),
  'reply-sport': (f) => port(f.reply, 'srcPort'),
  'reply-dport': (f) => port(f.reply, 'dstPort'),
  proto: (f) => {
    const p = f.orig?.protonum;
    return p === undefined ? NO_VALUE : protoName(p) === 'unknown' ? String(p) : protoName(p);
  },
  family: (f) => l3Name(f.family),
  state: (f) => flowStateName(f) ?? NO_VALUE,
  // conntrack's own words for the flags it prints: UNREPLIED when no reply was seen
  status: (f) => {
    if (f.status === undefined) return NO_VALUE;
    const names = statusNames(f.status).filter((n) => n !== 'CONFIRMED' && n !== 'SEEN_REPLY');
    if (!(f.status & 2)) names.unshift('UNREPLIED');
    return names.length ? names.join(',') : 'NONE';
  },
  mark: (f) => String(f.mark ?? 0),
  zone: (f) => String(f.zone ?? 0),
  helper: (f) => str(f.helper?.name),
};

/** Counts per key. Past `maxKeys` distinct keys, new keys count together under OTHER_KEY. */
export class KeyCounts {
  static readonly OTHER_KEY = '(other)';
  private readonly counts = new Map<string, number>();
  constructor(private readonly maxKeys = Infinity) {}

  add(key: string, n = 1): void {
    const c = this.counts.get(key);
    if (c !== undefined) this.counts.set(key, c + n);
    else if (this.counts.size < this.maxKeys) this.counts.set(key, n);
    else this.counts.set(KeyCounts.OTHER_KEY, (this.counts.get(KeyCounts.OTHER_KEY) ?? 0) + n);
  }

  get size(): number {
    return this.counts.size;
  }

  get(key: string): number | undefined {
    return this.counts.get(key);
  }

  /**
   * Largest count first. Ties stay in the order first seen (a stable sort on the count alone: comparing the
   * keys of a million distinct sources would cost more than the dump), or with `byKey` go in key order.
   */
  sorted(byKey = false): Array<[key: string, count: number]> {
    const all = [...this.counts];
    return byKey ? all.sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0)) : all.sort((a, b) => b[1] - a[1]);
  }
}

/** How a number read straight from the message (raw-fields.ts) reads as a --tally value, by field. */
const NUMBER_TEXT: Record<RawField, (v: number) => string> = {
  src: ipv4,
  dst: ipv4,
  'reply-src': ipv4,
  'reply-dst': ipv4,
  sport: String,
  dport: String,
  'reply-sport': String,
  'reply-dport': String,
  proto: (p) => (protoName(p) === 'unknown' ? String(p) : protoName(p)),
  mark: String,
  zone: String,
};

function ipv4(v: number): string {
  return `${v >>> 24}.${(v >>> 16) & 0xff}.${(v >>> 8) & 0xff}.${v & 0xff}`;
}

/** Counts per u32 key in an open-addressing table, each key with the order it was first seen in. */
class NumberCounts {
  keys = new Uint32Array(1 << 10);
  counts = new Float64Array(1 << 10);
  /** first-seen order, -1 for an empty slot */
  seqs = new Int32Array(1 << 10).fill(-1);
  size = 0;

  add(key: number, seq: () => number): void {
    let mask = this.keys.length - 1;
    let i = (Math.imul(key, 0x9e3779b1) >>> 0) & mask;
    for (;;) {
      if (this.seqs[i] < 0) break;
      if (this.keys[i] === key) {
        this.counts[i]++;
        return;
      }
      i = (i + 1) & mask;
    }
    if (2 * (this.size + 1) > this.keys.length) {
      this.grow();
      mask = this.keys.length - 1;
      i = (Math.imul(key, 0x9e3779b1) >>> 0) & mask;
      while (this.seqs[i] >= 0) i = (i + 1) & mask;
    }
    this.keys[i] = key;
    this.counts[i] = 1;
    this.seqs[i] = seq();
    this.size++;
  }

  private grow(): void {
    const { keys, counts, seqs } = this;
    const n = keys.length * 2;
    this.keys = new Uint32Array(n);
    this.counts = new Float64Array(n);
    this.seqs = new Int32Array(n).fill(-1);
    const mask = n - 1;
    for (let j = 0; j < keys.length; j++) {
      if (seqs[j] < 0) continue;
      let i = (Math.imul(keys[j], 0x9e3779b1) >>> 0) & mask;
      while (this.seqs[i] >= 0) i = (i + 1) & mask;
      this.keys[i] = keys[j];
      this.counts[i] = counts[j];
      this.seqs[i] = seqs[j];
    }
  }
}

export class Tally {
  private readonly counts = new KeyCounts();
  private readonly value: Array<(f: Flow) => string>;
  /**
   * A tally of one field that can be read from the raw message: the numbers it reads are counted here, the
   * entries it cannot read (an IPv6 address, no port) are decoded and counted as text (`text`).
   */
  private readonly raw?: {
    read: RawFieldReader;
    numbers: NumberCounts;
    toText: (v: number) => string;
    text: Map<string, { count: number; seq: number }>;
  };
  private seq = 0;
  private readonly nextSeq = (): number => this.seq++;

  /** `raw: false`: count every entry from its decoded form (addRaw() then always says no). */
  constructor(
    private readonly keys: readonly TallyKey[],
    opts: { raw?: boolean } = {},
  ) {
    this.value = keys.map((k) => KEY_VALUE[k]);
    const only =
      keys.length === 1 && opts.raw !== false && (RAW_FIELDS as readonly string[]).includes(keys[0]) ? (keys[0] as RawField) : undefined;
    if (only) this.raw = { read: rawFieldReader(only), numbers: new NumberCounts(), toText: NUMBER_TEXT[only], text: new Map() };
  }

  /** Counts the entry in buf[off, off+len) without decoding it, if it can; false: decode it and add() it. */
  addRaw(buf: Buffer, off: number, len: number): boolean {
    const raw = this.raw;
    if (!raw) return false;
    const v = raw.read(buf, off, len);
    if (v === NEEDS_DECODE) return false;
    raw.numbers.add(v, this.nextSeq);
    return true;
  }

  add(f: Flow): void {
    let key = '';
    for (let i = 0; i < this.value.length; i++) key += (i ? '\t' : '') + this.value[i](f);
    if (!this.raw) {
      this.counts.add(key);
      return;
    }
    const c = this.raw.text.get(key);
    if (c) c.count++;
    else this.raw.text.set(key, { count: 1, seq: this.nextSeq() });
  }

  /** Distinct keys seen so far. */
  get size(): number {
    return this.raw ? this.raw.numbers.size + this.raw.text.size : this.counts.size;
  }

  /** The largest counts first (ties in the order first seen), at most `top` of them. */
  rows(top?: number): Array<{ count: number; values: string[] }> {
    if (this.raw) {
      const rows: Array<{ count: number; values: string[] }> = [];
      this.rawEach(top, (count, value) => rows.push({ count, values: [value] }));
      return rows;
    }
    const sorted = this.counts.sorted();
    return sorted.slice(0, top ?? sorted.length).map(([k, count]) => ({ count, values: k.split('\t') }));
  }

  /**
   * A raw tally's keys, largest count first, ties in the order first seen. Every key has its first-seen number
   * (0 .. size-1, numbers and text together): laid out in that order and placed by count, a counting sort that
   * keeps ties in order. Calls `each(count, value)` for at most `top` of them.
   */
  private rawEach(top: number | undefined, each: (count: number, value: string) => void): void {
    const { numbers, text, toText } = this.raw!;
    const n = this.seq;
    // by first-seen number: the count, and where the key is (slot in numbers, or -1 - index into texts)
    const countOf = new Float64Array(n);
    const where = new Int32Array(n);
    let maxCount = 0;
    for (let i = 0; i < numbers.seqs.length; i++) {
      const q = numbers.seqs[i];
      if (q < 0) continue;
      countOf[q] = numbers.counts[i];
      where[q] = i;
      if (numbers.counts[i] > maxCount) maxCount = numbers.counts[i];
    }
    const texts: string[] = [];
    for (const [key, c] of text) {
      countOf[c.seq] = c.count;
      where[c.seq] = -1 - texts.length;
      texts.push(key);
      if (c.count > maxCount) maxCount = c.count;
    }
    let order: Int32Array;
    if (maxCount <= 4 * n + 16) {
      const starts = new Float64Array(maxCount + 2);
      for (let q = 0; q < n; q++) starts[maxCount - countOf[q] + 1]++;
      for (let c = 1; c < starts.length; c++) starts[c] += starts[c - 1];
      order = new Int32Array(n);
      for (let q = 0; q < n; q++) order[starts[maxCount - countOf[q]]++] = q;
    } else {
      order = Int32Array.from({ length: n }, (_, q) => q).sort((a, b) => countOf[b] - countOf[a] || a - b);
    }
    const limit = Math.min(n, top ?? n);
    for (let r = 0; r < limit; r++) {
      const q = order[r];
      const w = where[q];
      each(countOf[q], w >= 0 ? toText(numbers.keys[w]) : texts[-1 - w]);
    }
  }

  /** The report: "   COUNT key=value ..." lines, counts right-aligned in at least 7 columns as uniq -c does. */
  render(write: (text: string) => void, top?: number): void {
    if (this.raw) {
      // one key: the largest count comes first and sets the width; lines go out in chunks
      const prefix = ' ' + this.keys[0] + '=';
      let width = 0;
      let chunk = '';
      this.rawEach(top, (count, value) => {
        if (width === 0) width = Math.max(7, String(count).length);
        chunk += String(count).padStart(width) + prefix + value + '\n';
        if (chunk.length >= 1 << 16) {
          write(chunk);
          chunk = '';
        }
      });
      if (chunk) write(chunk);
      return;
    }
    const rows = this.rows(top);
    let width = 7;
    for (const r of rows) width = Math.max(width, String(r.count).length);
    for (const r of rows) {
      write(String(r.count).padStart(width) + ' ' + r.values.map((v, i) => `${this.keys[i]}=${v}`).join(' ') + '\n');
    }
  }
}
