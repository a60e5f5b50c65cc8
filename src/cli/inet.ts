// Address parsing as conntrack does it with glibc: inet_aton() first (which accepts "1.2.3", "0x7f.1", octal
// parts and trailing whitespace-separated junk), then inet_pton(AF_INET6). The parsers themselves live with the
// formatters in ctnetlink/addresses.ts (the filter reads entries' addresses back with them); this file adds
// what only the command line has: the length limit and the "/N" netmask.

import { inetAton, inetPton6 } from '../ctnetlink/addresses.js';

export { inetAton, inetPton6 };

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
