// The connlabel name map, read as libnetfilter_conntrack's nfct_labelmap_new() reads it (src/conntrack/labels.c).

import { readFileSync } from 'node:fs';
import { TEXT } from '../text.js';

/** CONNLABEL_CFG, the compile-time path conntrack 1.4.7 uses (nft reads /etc/connlabel.conf instead). */
export const CONNLABEL_CFG = '/etc/xtables/connlabel.conf';
const MAX_BITS = 1024;

export interface LabelMap {
  /** bit → name; undefined for unnamed bits below the highest named one */
  readonly names: ReadonlyArray<string | undefined>;
  bitOf(name: string): number | undefined;
}

/** Result of loading: the map, or the errno text perror() would print ("No such file or directory", "Success"). */
export type LabelMapResult = { map: LabelMap } | { error: string };

const isSpace = (c: string): boolean => c === ' ' || c === '\f' || c === '\r' || c === '\t' || c === '\v';
const SANE = /^[A-Za-z0-9 -]*$/;

/** strtoul(s, &end, 0) for the leading number of a line; returns [value, charsConsumed] or undefined. */
function leadingNumber(line: string): [number, number] | undefined {
  const m = /^[ \t\n\v\f\r]*([+-]?)(0[xX][0-9a-fA-F]+|0[0-7]*|[1-9][0-9]*)/.exec(line);
  if (!m) return undefined;
  const digits = m[2];
  let v: number;
  if (/^0[xX]/.test(digits)) v = parseInt(digits.slice(2), 16);
  else if (digits.startsWith('0')) v = digits.length > 1 ? parseInt(digits, 8) : 0;
  else v = parseInt(digits, 10);
  if (m[1] === '-') v = -v; // strtoul negates; anything negative wraps past MAX_BITS below
  return [v, m[0].length];
}

export function parseLabelMap(text: string): LabelMap | undefined {
  const byName = new Map<string, number>();
  const seen = new Set<number>();
  let maxbit = 0;
  // fgets with a 1024-byte buffer: longer lines are read in pieces, each piece parsed as a line
  const lines: string[] = [];
  for (const raw of text.split(/(?<=\n)/)) {
    for (let i = 0; i < raw.length; i += 1023) lines.push(raw.slice(i, i + 1023));
  }
  for (const line of lines) {
    if (line[0] === '#') continue;
    const num = leadingNumber(line);
    if (!num) continue;
    const [bit, used] = num;
    if (bit < 0 || bit >= MAX_BITS || seen.has(bit)) continue;
    let rest = line.slice(used);
    const nl = rest.indexOf('\n');
    if (nl >= 0) rest = rest.slice(0, nl);
    let a = 0;
    while (a < rest.length && isSpace(rest[a])) a++;
    let b = rest.length;
    while (b > a + 1 && isSpace(rest[b - 1])) b--;
    const name = rest.slice(a, b);
    if (name === '' || (name.length === 1 && isSpace(name))) continue;
    if (!SANE.test(name) || byName.has(name)) continue;
    byName.set(name, bit);
    seen.add(bit);
    if (bit > maxbit) maxbit = bit;
  }
  if (byName.size === 0) return undefined;
  const names = new Array<string | undefined>(maxbit + 1).fill(undefined);
  for (const [name, bit] of byName) names[bit] = name;
  return { names, bitOf: (n) => byName.get(n) };
}

export function loadLabelMap(path = CONNLABEL_CFG): LabelMapResult {
  let text: string;
  try {
    text = readFileSync(path, TEXT);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    return {
      error:
        code === 'ENOENT'
          ? 'No such file or directory'
          : code === 'EACCES'
            ? 'Permission denied'
            : code === 'EISDIR'
              ? 'Is a directory'
              : String(code),
    };
  }
  const map = parseLabelMap(text);
  return map ? { map } : { error: 'Success' };
}

/** Names of the set bits that have a name, lowest bit first (__snprintf_connlabels). */
export function labelNames(map: LabelMap, bits: Uint8Array): string[] {
  const out: string[] = [];
  const maxbit = bits.length * 8 - 1;
  for (let i = 0; i <= maxbit; i++) {
    // the kernel's bitmap is an array of host-order longs; on little-endian hosts bit i sits in byte i/8
    if (!((bits[i >> 3] >> (i & 7)) & 1)) continue;
    const name = i < map.names.length ? map.names[i] : undefined;
    if (name) out.push(name);
  }
  return out;
}
