// Netlink constants, mirroring linux/netlink.h and linux/netfilter/nfnetlink.h.

/** NETLINK_ROUTE (linux/netlink.h): rtnetlink; only tests open it, as a socket of another protocol. */
export const NETLINK_ROUTE = 0;
/** NETLINK_NETFILTER, the netlink protocol of nfnetlink (linux/netlink.h). */
export const NETLINK_NETFILTER = 12;

/** Control message types (linux/netlink.h). */
export const NLMSG = {
  NOOP: 0x1, // NLMSG_NOOP
  ERROR: 0x2, // NLMSG_ERROR
  DONE: 0x3, // NLMSG_DONE
  OVERRUN: 0x4, // NLMSG_OVERRUN
} as const;

/** nlmsg_flags bits (linux/netlink.h). */
export const NLM_F = {
  REQUEST: 0x01, // NLM_F_REQUEST
  MULTI: 0x02, // NLM_F_MULTI
  ACK: 0x04, // NLM_F_ACK
  ECHO: 0x08, // NLM_F_ECHO
  DUMP_INTR: 0x10, // NLM_F_DUMP_INTR
  DUMP_FILTERED: 0x20, // NLM_F_DUMP_FILTERED
  // GET requests
  ROOT: 0x100, // NLM_F_ROOT
  MATCH: 0x200, // NLM_F_MATCH
  ATOMIC: 0x400, // NLM_F_ATOMIC
  DUMP: 0x300, // NLM_F_DUMP = ROOT | MATCH
  // NEW requests
  REPLACE: 0x100, // NLM_F_REPLACE
  EXCL: 0x200, // NLM_F_EXCL
  CREATE: 0x400, // NLM_F_CREATE
  APPEND: 0x800, // NLM_F_APPEND
  // ACK flags
  CAPPED: 0x100, // NLM_F_CAPPED
  ACK_TLVS: 0x200, // NLM_F_ACK_TLVS
} as const;

/** Attribute type flag bits (linux/netlink.h). */
export const NLA_F_NESTED = 0x8000;
export const NLA_F_NET_BYTEORDER = 0x4000;
export const NLA_TYPE_MASK = ~(NLA_F_NESTED | NLA_F_NET_BYTEORDER) & 0xffff;

/** sizeof(struct nlmsghdr) */
export const NLMSG_HDRLEN = 16;
/** sizeof(struct nlattr) */
export const NLA_HDRLEN = 4;
/** NLA_ALIGNTO: attributes start on 4-byte boundaries */
export const NLA_ALIGNTO = 4;
/** NLA_ALIGN(len): len rounded up to the next attribute boundary */
export const NLA_ALIGN = (len: number): number => (len + NLA_ALIGNTO - 1) & ~(NLA_ALIGNTO - 1);
/** sizeof(struct nfgenmsg) */
export const NFGENMSG_LEN = 4;
/** sizeof(struct nlmsgerr) without the echoed request: error (s32) + the request's nlmsghdr */
export const NLMSGERR_LEN = 4 + NLMSG_HDRLEN;

/** NFNETLINK_V0 (linux/netfilter/nfnetlink.h) */
export const NFNETLINK_V0 = 0;
/**
 * An nfgenmsg version past NFNETLINK_V0 (the header names no other): ctnetlink's flush then honours nfgen_family,
 * where with version 0 it empties every family whatever the family says (kernel >= 5.3, ctnetlink_del_conntrack).
 */
export const NFNETLINK_V1 = 1;

/** nfnetlink subsystems (linux/netfilter/nfnetlink.h). */
export const NFNL_SUBSYS = {
  NONE: 0, // NFNL_SUBSYS_NONE
  CTNETLINK: 1, // NFNL_SUBSYS_CTNETLINK
  CTNETLINK_EXP: 2, // NFNL_SUBSYS_CTNETLINK_EXP
} as const;

/** Multicast groups, as group numbers for NETLINK_ADD_MEMBERSHIP (enum nfnetlink_groups). */
export const NFNLGRP = {
  CONNTRACK_NEW: 1, // NFNLGRP_CONNTRACK_NEW
  CONNTRACK_UPDATE: 2, // NFNLGRP_CONNTRACK_UPDATE
  CONNTRACK_DESTROY: 3, // NFNLGRP_CONNTRACK_DESTROY
  CONNTRACK_EXP_NEW: 4, // NFNLGRP_CONNTRACK_EXP_NEW
  CONNTRACK_EXP_UPDATE: 5, // NFNLGRP_CONNTRACK_EXP_UPDATE
  CONNTRACK_EXP_DESTROY: 6, // NFNLGRP_CONNTRACK_EXP_DESTROY
} as const;

/** Address families (linux/socket.h). */
export const AF = {
  UNSPEC: 0, // AF_UNSPEC
  INET: 2, // AF_INET
  INET6: 10, // AF_INET6
} as const;
