// A conntrack message (IPCTNL_MSG_CT_NEW / _DELETE, nlmsghdr included) seen raw, for the readers that look at a
// few fields of a million entries without decoding them: the raw prefilter (filter/userspace.ts), --tally's raw
// fields (raw-fields.ts), -D's delete copy (requests.ts). Free functions of (buf, offset) returning numbers, on
// the attribute walk of src/netlink/attributes.ts (which says why hot callers bind them to module-local consts);
// nothing here allocates. Where the kernel puts things: ctnetlink_fill_info() sends CTA_TUPLE_ORIG first, then
// CTA_TUPLE_REPLY, then the rest.

import { NLMSG_HDRLEN } from '../netlink/constants.js';
import { ATTRS_OFFSET } from '../netlink/framing.js';

const ATTRS = ATTRS_OFFSET;
/** nfgen_family, the first byte of nfgenmsg */
const FAMILY_AT = NLMSG_HDRLEN;

/** nfgen_family of the message at buf[msg]: the entry's layer-3 family. */
export const ctFamily = (buf: Buffer, msg: number): number => buf[msg + FAMILY_AT];
/** Where the top-level attributes of the message at `msg` start (after nlmsghdr and nfgenmsg). */
export const ctAttrsStart = (msg: number): number => msg + ATTRS;
