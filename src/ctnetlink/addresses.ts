// Addresses as glibc prints and reads them: inet_ntoa / inet_ntop(AF_INET6) to print, inet_aton /
// inet_pton(AF_INET6) to read (conntrack reads its command line with them, in that order).

export function formatIPv4(buf: Uint8Array, off: number): string {
  return `${buf[off]}.${buf[off + 1]}.${buf[off + 2]}.${buf[off + 3]}`;
}

/**
 * glibc inet_ntop6: lowercase hex without leading zeros; the first longest run (>= 2) of zero words becomes "::";
 * "::a.b.c.d" when the first six words are zero, "::ffff:a.b.c.d" for v4-mapped addresses.
 */
export function formatIPv6(buf: Uint8Array, off: number): string {
  const words = new Array<number>(8);
  for (let i = 0; i < 8; i++) words[i] = (buf[off + 2 * i] << 8) | buf[off + 2 * i + 1];
  let bestBase = -1;
  let bestLen = 0;
  let curBase = -1;
  let curLen = 0;
  for (let i = 0; i < 8; i++) {
    if (words[i] === 0) {
      if (curBase === -1) {
        curBase = i;
        curLen = 1;
      } else curLen++;
    } else if (curBase !== -1) {
      if (bestBase === -1 || curLen > bestLen) {
        bestBase = curBase;
        bestLen = curLen;
      }
      curBase = -1;
    }
  }
  if (curBase !== -1 && (bestBase === -1 || curLen > bestLen)) {
    bestBase = curBase;
    bestLen = curLen;
  }
  if (bestBase !== -1 && bestLen < 2) bestBase = -1;
  let out = '';
  for (let i = 0; i < 8; i++) {
    if (bestBase !== -1 && i >= bestBase && i < bestBase + bestLen) {
      if (i === bestBase) out += ':';
      continue;
    }
    if (i !== 0) out += ':';
    if (i === 6 && bestBase === 0 && (bestLen === 6 || (bestLen === 5 && words[5] === 0xffff))) {
      out += formatIPv4(buf, off + 12);
      return out;
    }
    out += words[i].toString(16);
  }
  if (bestBase !== -1 && bestBase + bestLen === 8) out += ':';
  return out;
}

const isDigit = (c: string | undefined): boolean => c !== undefined && c >= '0' && c <= '9';
const isSpace = (c: string | undefined): boolean => c === ' ' || c === '\t' || c === '\n' || c === '\v' || c === '\f' || c === '\r';

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
  const word = (parts[0] ?? 0) * 2 ** 24 + (parts[1] ?? 0) * 2 ** 16 + (parts[2] ?? 0) * 2 ** 8 + val;
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

/**
 * An address text as conntrack reads it (inet_aton, then inet_pton(AF_INET6)): its bytes, or undefined when it
 * is neither.
 */
export function addressBytes(text: string): Uint8Array | undefined {
  return inetAton(text) ?? inetPton6(text);
}
