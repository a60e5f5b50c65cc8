// Address parsing as conntrack does it with glibc: inet_aton() first (which accepts "1.2.3", "0x7f.1", octal
// parts and trailing whitespace-separated junk), then inet_pton(AF_INET6).

const isDigit = (c: string | undefined): boolean => c !== undefined && c >= '0' && c <= '9';
const isSpace = (c: string | undefined): boolean =>
  c === ' ' || c === '\t' || c === '\n' || c === '\v' || c === '\f' || c === '\r';

/** glibc strtoul(s+i, &end, 0) restricted to what inet_aton needs; returns [value, end] (value may exceed 2^32). */
function strtoulAt(s: string, i: number): [number, number] {
  let base = 10;
  let j = i;
  if (s[j] === '0') {
    if ((s[j + 1] === 'x' || s[j + 1] === 'X') && /[0-9a-fA-F]/.test(s[j + 2] ?? '')) {
      base = 16;
      j += 2;
    } else base = 8;
  }
  let v = 0;
  const start = j;
  for (; j < s.length; j++) {
    const c = s.charCodeAt(j);
    const d = c >= 48 && c <= 57 ? c - 48 : c >= 97 && c <= 102 ? c - 87 : c >= 65 && c <= 70 ? c - 55 : 99;
    if (d >= base) break;
    v = v * base + d;
  }
  if (j === start) return [0, i]; // cannot happen: the caller saw a digit
  return [v, j];
}

/** glibc inet_aton; returns the 4 address bytes or undefined. */
export function inetAton(s: string): Uint8Array | undefined {
  const MAX = [0xffffffff, 0xffffff, 0xffff, 0xff];
  const parts: number[] = [];
  let i = 0;
  let val = 0;
  for (;;) {
    if (!isDigit(s[i])) return undefined;
    const [v, end] = strtoulAt(s, i);
    if (v > 0xffffffff) return undefined;
    val = v;
    i = end;
    if (s[i] === '.') {
      if (parts.length > 2 || val > 0xff) return undefined;
      parts.push(val);
      i++;
    } else break;
  }
  if (i < s.length && !isSpace(s[i])) return undefined;
  if (val > MAX[parts.length]) return undefined;
  const word = ((parts[0] ?? 0) * 2 ** 24 + (parts[1] ?? 0) * 2 ** 16 + (parts[2] ?? 0) * 2 ** 8) + val;
  return Uint8Array.of((word >>> 24) & 0xff, (word >>> 16) & 0xff, (word >>> 8) & 0xff, word & 0xff);
}

/** glibc inet_pton4 (strict dotted quad, no leading zeros), for the tail of IPv6 addresses. */
function inetPton4(s: string): Uint8Array | undefined {
  const out = new Uint8Array(4);
  let octets = 0;
  let sawDigit = false;
  let cur = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (isDigit(c)) {
      if (sawDigit && cur === 0) return undefined;
      cur = cur * 10 + (c.charCodeAt(0) - 48);
      if (cur > 255) return undefined;
      if (!sawDigit) {
        if (++octets > 4) return undefined;
        sawDigit = true;
      }
    } else if (c === '.' && sawDigit) {
      if (octets === 4) return undefined;
      out[octets - 1] = cur;
      cur = 0;
      sawDigit = false;
    } else return undefined;
  }
  if (octets < 4) return undefined;
  out[3] = cur;
  return out;
}

/** glibc inet_pton(AF_INET6); returns the 16 address bytes or undefined. */
export function inetPton6(src: string): Uint8Array | undefined {
  const out = new Uint8Array(16);
  let tp = 0;
  let colonp = -1;
  let i = 0;
  if (src[0] === ':') {
    if (src[1] !== ':') return undefined;
    i = 1;
  }
  let curtok = i;
  let sawXdigit = false;
  let val = 0;
  let ndigits = 0;
  for (; i < src.length; i++) {
    const ch = src[i];
    const d = /[0-9a-fA-F]/.test(ch) ? parseInt(ch, 16) : -1;
    if (d >= 0) {
      if (ndigits === 4) return undefined;
      val = (val << 4) | d;
      ndigits++;
      sawXdigit = true;
      continue;
    }
    if (ch === ':') {
      curtok = i + 1;
      if (!sawXdigit) {
        if (colonp !== -1) return undefined;
        colonp = tp;
        continue;
      } else if (i + 1 >= src.length) return undefined;
      if (tp + 2 > 16) return undefined;
      out[tp++] = (val >> 8) & 0xff;
      out[tp++] = val & 0xff;
      sawXdigit = false;
      ndigits = 0;
      val = 0;
      continue;
    }
    if (ch === '.' && tp + 4 <= 16) {
      const v4 = inetPton4(src.slice(curtok));
      if (!v4) return undefined;
      out.set(v4, tp);
      tp += 4;
      sawXdigit = false;
      break;
    }
    return undefined;
  }
  if (sawXdigit) {
    if (tp + 2 > 16) return undefined;
    out[tp++] = (val >> 8) & 0xff;
    out[tp++] = val & 0xff;
  }
  if (colonp !== -1) {
    if (tp === 16) return undefined;
    const n = tp - colonp;
    for (let k = 1; k <= n; k++) {
      out[16 - k] = out[colonp + n - k];
      out[colonp + n - k] = 0;
    }
    tp = 16;
  }
  if (tp !== 16) return undefined;
  return out;
}

export interface ParsedAddr {
  family: 2 | 10;
  bytes: Uint8Array;
  /** -1: no "/N"; -2: invalid netmask; else the prefix length */
  mask: number;
}

/**
 * conntrack.c parse_addr(): the argument is truncated to INET6_ADDRSTRLEN-1 (45) characters; with withMask,
 * "/N" is split off (strtol, must consume the rest, >= 0, <= 32 / 128). Undefined when not an address.
 */
export function parseAddr(arg: string, withMask: boolean): ParsedAddr | undefined {
  let buf = arg.slice(0, 45);
  let mask = -1;
  if (withMask) {
    const slash = buf.indexOf('/');
    if (slash >= 0) {
      const rest = buf.slice(slash + 1);
      // strtol(slash + 1, &end, 10) must end at the string's end; "1.2.3.4/" consumes nothing and ends there: /0
      const m = /^[ \t\n\v\f\r]*([+-]?\d+)/.exec(rest);
      if (rest === '') mask = 0;
      else if (!m || m[0].length !== rest.length) mask = -2;
      else {
        const n = Number(m[1]);
        mask = n < 0 || !Number.isSafeInteger(n) ? -2 : n;
      }
      buf = buf.slice(0, slash);
    }
  }
  const v4 = inetAton(buf);
  if (v4) return { family: 2, bytes: v4, mask: withMask && mask > 32 ? -2 : mask };
  const v6 = inetPton6(buf);
  if (v6) return { family: 10, bytes: v6, mask: withMask && mask > 128 ? -2 : mask };
  return undefined;
}

/** nfct_build_netmask(): a prefix length as address bytes. */
export function netmaskBytes(bits: number, len: 4 | 16): Uint8Array {
  const out = new Uint8Array(len);
  for (let i = 0; i < len; i++) {
    const b = Math.max(0, Math.min(8, bits - 8 * i));
    out[i] = b === 0 ? 0 : (0xff << (8 - b)) & 0xff;
  }
  return out;
}
