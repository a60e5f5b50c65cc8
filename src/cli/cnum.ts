// C's number parsing, as glibc does it, because conntrack parses most values with atoi/atol/strtoul and never
// checks the result: "80x" is 80, "-5" as a port wraps to 65531, "0x10" as a mark is 16.

const LONG_MAX = (1n << 63n) - 1n;
const LONG_MIN = -(1n << 63n);
const ULONG_MAX = (1n << 64n) - 1n;

const isSpace = (c: string | undefined): boolean => c === ' ' || c === '\t' || c === '\n' || c === '\v' || c === '\f' || c === '\r';

function digitValue(c: string): number {
  const code = c.charCodeAt(0);
  if (code >= 48 && code <= 57) return code - 48;
  if (code >= 97 && code <= 122) return code - 87;
  if (code >= 65 && code <= 90) return code - 55;
  return 99;
}

interface Scan {
  negative: boolean;
  magnitude: bigint;
  /** index after the last character used; 0 when no digits were found (as C sets *endptr = nptr) */
  end: number;
  overflow: boolean;
}

function scan(s: string, base: number, limit: bigint): Scan {
  let i = 0;
  while (isSpace(s[i])) i++;
  let negative = false;
  if (s[i] === '+' || s[i] === '-') {
    negative = s[i] === '-';
    i++;
  }
  if ((base === 0 || base === 16) && s[i] === '0' && (s[i + 1] === 'x' || s[i + 1] === 'X') && digitValue(s[i + 2] ?? '') < 16) {
    i += 2;
    base = 16;
  } else if (base === 0) base = s[i] === '0' ? 8 : 10;
  const start = i;
  let v = 0n;
  let overflow = false;
  const b = BigInt(base);
  while (i < s.length && digitValue(s[i]) < base) {
    v = v * b + BigInt(digitValue(s[i]));
    if (v > limit) overflow = true;
    i++;
  }
  if (i === start) return { negative: false, magnitude: 0n, end: 0, overflow: false };
  return { negative, magnitude: v, end: i, overflow };
}

/** strtol: returns [value, endIndex]; clamps to LONG_MIN/LONG_MAX on overflow. */
export function strtol(s: string, base = 10): [bigint, number] {
  const r = scan(s, base, ULONG_MAX);
  if (r.end === 0) return [0n, 0];
  let v = r.negative ? -r.magnitude : r.magnitude;
  if (r.overflow || v > LONG_MAX) v = LONG_MAX;
  if (r.overflow && r.negative) v = LONG_MIN;
  else if (v < LONG_MIN) v = LONG_MIN;
  return [v, r.end];
}

/** strtoul: negative inputs wrap (unsigned negation); ULONG_MAX on overflow. */
export function strtoul(s: string, base = 0): [bigint, number] {
  const r = scan(s, base, ULONG_MAX);
  if (r.end === 0) return [0n, 0];
  if (r.overflow) return [ULONG_MAX, r.end];
  return [r.negative ? BigInt.asUintN(64, -r.magnitude) : r.magnitude, r.end];
}

/** A plain decimal of at most 9 digits: the common case, parsed without BigInt. */
const SMALL_DECIMAL = /^[1-9][0-9]{0,8}$|^0$/;

/** atoi(s) = (int) strtol(s, NULL, 10) */
export const atoi = (s: string): number => (SMALL_DECIMAL.test(s) ? Number(s) : Number(BigInt.asIntN(32, strtol(s, 10)[0])));
/** atol(s) = strtol(s, NULL, 10) */
export const atol = (s: string): bigint => strtol(s, 10)[0];
/** (uint32_t) atol(s), as conntrack stores -t */
export const atolU32 = (s: string): number => (SMALL_DECIMAL.test(s) ? Number(s) : Number(BigInt.asUintN(32, strtol(s, 10)[0])));
/** (uint32_t) strtoul(s, NULL, 0) */
export const strtoulU32 = (s: string, base = 0): number =>
  base !== 16 && SMALL_DECIMAL.test(s) ? Number(s) : Number(BigInt.asUintN(32, strtoul(s, base)[0]));
/** (uint16_t) truncation of a C int or long */
export const u16 = (v: number | bigint): number => Number(BigInt.asUintN(16, BigInt(v)));
export const u8 = (v: number | bigint): number => Number(BigInt.asUintN(8, BigInt(v)));
export const u32 = (v: number | bigint): number => Number(BigInt.asUintN(32, BigInt(v)));
