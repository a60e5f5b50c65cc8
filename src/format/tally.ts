// --tally KEY[,KEY...] (our addition): counts entries per distinct key instead of printing them, the answer to
// `conntrack -L | awk | sort | uniq -c | sort -nr` in one pass. Memory grows with the number of distinct keys,
// never with the table. Output: one line per key, largest count first (ties in the order first seen), the count padded
// as uniq -c pads it, then KEY=VALUE pairs in the order the keys were given.

import type { TallyKey } from '../cli/parse.js';
import type { Flow } from '../ctnetlink/model.js';
import { statusNames } from './json.js';
import { flowStateName, l3Name, protoName } from './tables.js';

/** What an entry shows for a key it does not have (an ICMP entry's dport, an entry without a helper). */
export const NO_VALUE = '-';

const num = (v: number | undefined): string => (v === undefined ? NO_VALUE : String(v));
const str = (v: string | undefined): string => v ?? NO_VALUE;

const KEY_VALUE: Record<TallyKey, (f: Flow) => string> = {
  src: (f) => str(f.orig?.src),
  dst: (f) => str(f.orig?.dst),
  'reply-src': (f) => str(f.reply?.src),
  'reply-dst': (f) => str(f.reply?.dst),
  sport: (f) => num(f.orig?.srcPort),
  dport: (f) => num(f.orig?.dstPort),
  'reply-sport': (f) => num(f.reply?.srcPort),
  'reply-dport': (f) => num(f.reply?.dstPort),
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

export class Tally {
  private readonly counts = new KeyCounts();
  private readonly value: Array<(f: Flow) => string>;

  constructor(private readonly keys: readonly TallyKey[]) {
    this.value = keys.map((k) => KEY_VALUE[k]);
  }

  add(f: Flow): void {
    let key = '';
    for (let i = 0; i < this.value.length; i++) key += (i ? '\t' : '') + this.value[i](f);
    this.counts.add(key);
  }

  /** Distinct keys seen so far. */
  get size(): number {
    return this.counts.size;
  }

  /** The largest counts first (ties in the order first seen), at most `top` of them. */
  rows(top?: number): Array<{ count: number; values: string[] }> {
    const sorted = this.counts.sorted();
    return sorted.slice(0, top ?? sorted.length).map(([k, count]) => ({ count, values: k.split('\t') }));
  }

  /** The report: "   COUNT key=value ..." lines, counts right-aligned in at least 7 columns as uniq -c does. */
  render(write: (text: string) => void, top?: number): void {
    const rows = this.rows(top);
    let width = 7;
    for (const r of rows) width = Math.max(width, String(r.count).length);
    for (const r of rows) {
      write(String(r.count).padStart(width) + ' ' + r.values.map((v, i) => `${this.keys[i]}=${v}`).join(' ') + '\n');
    }
  }
}
