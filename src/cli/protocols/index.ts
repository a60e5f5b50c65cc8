// The layer-4 protocol extensions of conntrack(8) 1.4.7 (conntrack-tools extensions/libct_proto_*.c), one file
// each: its long options (merged into the getopt table when `-p` is parsed), its parse_opts() that fills the
// template, its final_check() with the per-command option matrix, and its help text. Here: proto_list and
// findproto(); beside them handler.ts (the shape and shared pieces), option-check.ts (generic_opt_check()) and
// etc-protocols.ts (getprotobyname()/getprotobynumber() over /etc/protocols).

import { DEFAULT_PROTOCOLS, getProtoByName, parseProtoNum } from './etc-protocols.js';
import { asciiLower } from './handler.js';
import type { ProtoHandler } from './handler.js';
import { PROTO_TCP } from './tcp.js';
import { PROTO_UDP, PROTO_UDPLITE } from './udp.js';
import { PROTO_SCTP } from './sctp.js';
import { PROTO_DCCP } from './dccp.js';
import { PROTO_ICMP, PROTO_ICMPV6 } from './icmp.js';
import { PROTO_GRE } from './gre.js';
import { PROTO_UNKNOWN } from './unknown.js';

export * from './handler.js';
export * from './option-check.js';
export * from './tcp.js';
export * from './udp.js';
export * from './sctp.js';
export * from './dccp.js';
export * from './icmp.js';
export * from './gre.js';
export * from './unknown.js';
export { protoNameByNumber } from './etc-protocols.js';

/** proto_list in iteration order: register_tcp() .. register_gre() each list_add() at the head */
export const PROTO_LIST: ProtoHandler[] = [
  PROTO_GRE,
  PROTO_ICMPV6,
  PROTO_ICMP,
  PROTO_DCCP,
  PROTO_SCTP,
  PROTO_UDPLITE,
  PROTO_UDP,
  PROTO_TCP,
];

/**
 * findproto(name): a registered handler by name (strcasecmp), then getprotobyname() (→ the unknown handler with that
 * number: `ipv6-icmp` is unknown/58, not icmpv6), then a number (strtoul base 0, <= 255) → the registered handler
 * with that number, else the unknown handler. undefined → conntrack says "`%s' unsupported protocol".
 * NOTE: protonum is the C int *pnum; conntrack stores it with nfct_set_attr_u8(ATTR_L4PROTO), so a protocols entry
 * above 255 (`mptcp 262`) becomes 6 in the template while extension_help still prints `mptcp'.
 */
export function findProto(
  name: string,
  protocolsFile: string = DEFAULT_PROTOCOLS,
): { handler: ProtoHandler; protonum: number } | undefined {
  const lname = asciiLower(name);
  for (const h of PROTO_LIST) if (h.name === lname) return { handler: h, protonum: h.protonum }; // names are lowercase

  const pent = getProtoByName(name, protocolsFile);
  if (pent) return { handler: PROTO_UNKNOWN, protonum: pent.proto };

  const protonum = parseProtoNum(name);
  if (protonum >= 0) {
    const h = PROTO_LIST.find((x) => x.protonum === protonum);
    return { handler: h ?? PROTO_UNKNOWN, protonum };
  }
  return undefined;
}
