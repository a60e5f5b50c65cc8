// A conntrack message (IPCTNL_MSG_CT_NEW / _DELETE, nlmsghdr included) seen raw, for the readers that look at a
// few fields of a million entries without decoding them: the raw prefilter (filter/userspace.ts), --tally's raw
// fields (raw-fields.ts), -D's delete copy (requests.ts), -R's -D lines looked up by address
// (commands/delete-run.ts). Free functions of (buf, offset) returning numbers, on the attribute walk of
// src/netlink/attributes.ts (which says why hot callers bind them to module-local consts); nothing here
// allocates. Where the kernel puts things: ctnetlink_fill_info() sends CTA_TUPLE_ORIG first, then
// CTA_TUPLE_REPLY, then the rest.

import { AF, NLA_HDRLEN, NLMSG_HDRLEN } from '../netlink/constants.js';
import { ATTRS_OFFSET } from '../netlink/framing.js';
import { findAttr, NLA_ABSENT, NLA_MALFORMED, nlaAlign, nlaBad, nlaLen, nlaType } from '../netlink/attributes.js';
import { CTA, CTA_IP, CTA_TUPLE } from './constants.js';

const ATTRS = ATTRS_OFFSET;
/** nfgen_family, the first byte of nfgenmsg */
const FAMILY_AT = NLMSG_HDRLEN;

/** nfgen_family of the message at buf[msg]: the entry's layer-3 family. */
export const ctFamily = (buf: Buffer, msg: number): number => buf[msg + FAMILY_AT];
/** Where the top-level attributes of the message at `msg` start (after nlmsghdr and nfgenmsg). */
export const ctAttrsStart = (msg: number): number => msg + ATTRS;

export { NLA_ABSENT, NLA_MALFORMED };

/**
 * Where the original tuple's source (or, with `dst`, destination) address starts in the message at
 * buf[msg, msg + len): the offset of its 4 bytes (CTA_IP_V4_*, in an AF_INET message) or 16 bytes (CTA_IP_V6_*,
 * in any other); NLA_ABSENT when the message carries none of the right type and size, NLA_MALFORMED when an attribute header on the way is malformed.
 */
export function ctOrigAddr(buf: Buffer, msg: number, len: number, dst: boolean): number {
  const o = findAttr(buf, msg + ATTRS, msg + len, CTA.TUPLE_ORIG);
  if (o < 0) return o;
  const ip = findAttr(buf, o + NLA_HDRLEN, o + nlaLen(buf, o), CTA_TUPLE.IP);
  if (ip < 0) return ip;
  const ipEnd = ip + nlaLen(buf, ip);
  const inet = ctFamily(buf, msg) === AF.INET;
  const want = inet ? (dst ? CTA_IP.V4_DST : CTA_IP.V4_SRC) : dst ? CTA_IP.V6_DST : CTA_IP.V6_SRC;
  const size = NLA_HDRLEN + (inet ? 4 : 16);
  let found = NLA_ABSENT;
  for (let c = ip + NLA_HDRLEN; c + NLA_HDRLEN <= ipEnd; ) {
    const n = nlaLen(buf, c);
    if (nlaBad(n, c, ipEnd)) return NLA_MALFORMED;
    const type = nlaType(buf, c);
    if (type === want) found = n === size ? c + NLA_HDRLEN : NLA_ABSENT;
    c += nlaAlign(n);
  }
  return found;
}
