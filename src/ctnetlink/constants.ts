// ctnetlink constants, one object per kernel enum, in kernel order, from
// linux/netfilter/nfnetlink_conntrack.h and linux/netfilter/nf_conntrack_common.h.

/** enum cntl_msg_types */
export const IPCTNL_MSG_CT = {
  NEW: 0, // IPCTNL_MSG_CT_NEW
  GET: 1, // IPCTNL_MSG_CT_GET
  DELETE: 2, // IPCTNL_MSG_CT_DELETE
  GET_CTRZERO: 3, // IPCTNL_MSG_CT_GET_CTRZERO
  GET_STATS_CPU: 4, // IPCTNL_MSG_CT_GET_STATS_CPU
  GET_STATS: 5, // IPCTNL_MSG_CT_GET_STATS
  GET_DYING: 6, // IPCTNL_MSG_CT_GET_DYING
  GET_UNCONFIRMED: 7, // IPCTNL_MSG_CT_GET_UNCONFIRMED
} as const;

/** enum ctnl_exp_msg_types */
export const IPCTNL_MSG_EXP = {
  NEW: 0, // IPCTNL_MSG_EXP_NEW
  GET: 1, // IPCTNL_MSG_EXP_GET
  DELETE: 2, // IPCTNL_MSG_EXP_DELETE
  GET_STATS_CPU: 3, // IPCTNL_MSG_EXP_GET_STATS_CPU
} as const;

/** enum ctattr_type */
export const CTA = {
  TUPLE_ORIG: 1, // CTA_TUPLE_ORIG
  TUPLE_REPLY: 2, // CTA_TUPLE_REPLY
  STATUS: 3, // CTA_STATUS
  PROTOINFO: 4, // CTA_PROTOINFO
  HELP: 5, // CTA_HELP
  NAT_SRC: 6, // CTA_NAT_SRC
  TIMEOUT: 7, // CTA_TIMEOUT
  MARK: 8, // CTA_MARK
  COUNTERS_ORIG: 9, // CTA_COUNTERS_ORIG
  COUNTERS_REPLY: 10, // CTA_COUNTERS_REPLY
  USE: 11, // CTA_USE
  ID: 12, // CTA_ID
  NAT_DST: 13, // CTA_NAT_DST
  TUPLE_MASTER: 14, // CTA_TUPLE_MASTER
  SEQ_ADJ_ORIG: 15, // CTA_SEQ_ADJ_ORIG
  SEQ_ADJ_REPLY: 16, // CTA_SEQ_ADJ_REPLY
  SECMARK: 17, // CTA_SECMARK (obsolete)
  ZONE: 18, // CTA_ZONE
  SECCTX: 19, // CTA_SECCTX
  TIMESTAMP: 20, // CTA_TIMESTAMP
  MARK_MASK: 21, // CTA_MARK_MASK
  LABELS: 22, // CTA_LABELS
  LABELS_MASK: 23, // CTA_LABELS_MASK
  SYNPROXY: 24, // CTA_SYNPROXY
  FILTER: 25, // CTA_FILTER
  STATUS_MASK: 26, // CTA_STATUS_MASK
  TIMESTAMP_EVENT: 27, // CTA_TIMESTAMP_EVENT (kernel >= 6.14; not in the 6.1 uapi headers)
} as const;

/** enum ctattr_tuple */
export const CTA_TUPLE = {
  IP: 1, // CTA_TUPLE_IP
  PROTO: 2, // CTA_TUPLE_PROTO
  ZONE: 3, // CTA_TUPLE_ZONE
} as const;

/** enum ctattr_ip */
export const CTA_IP = {
  V4_SRC: 1, // CTA_IP_V4_SRC
  V4_DST: 2, // CTA_IP_V4_DST
  V6_SRC: 3, // CTA_IP_V6_SRC
  V6_DST: 4, // CTA_IP_V6_DST
} as const;

/** enum ctattr_l4proto */
export const CTA_PROTO = {
  NUM: 1, // CTA_PROTO_NUM
  SRC_PORT: 2, // CTA_PROTO_SRC_PORT
  DST_PORT: 3, // CTA_PROTO_DST_PORT
  ICMP_ID: 4, // CTA_PROTO_ICMP_ID
  ICMP_TYPE: 5, // CTA_PROTO_ICMP_TYPE
  ICMP_CODE: 6, // CTA_PROTO_ICMP_CODE
  ICMPV6_ID: 7, // CTA_PROTO_ICMPV6_ID
  ICMPV6_TYPE: 8, // CTA_PROTO_ICMPV6_TYPE
  ICMPV6_CODE: 9, // CTA_PROTO_ICMPV6_CODE
} as const;

/** enum ctattr_protoinfo */
export const CTA_PROTOINFO = {
  TCP: 1, // CTA_PROTOINFO_TCP
  DCCP: 2, // CTA_PROTOINFO_DCCP
  SCTP: 3, // CTA_PROTOINFO_SCTP
} as const;

/** enum ctattr_protoinfo_tcp */
export const CTA_PROTOINFO_TCP = {
  STATE: 1, // CTA_PROTOINFO_TCP_STATE
  WSCALE_ORIGINAL: 2, // CTA_PROTOINFO_TCP_WSCALE_ORIGINAL
  WSCALE_REPLY: 3, // CTA_PROTOINFO_TCP_WSCALE_REPLY
  FLAGS_ORIGINAL: 4, // CTA_PROTOINFO_TCP_FLAGS_ORIGINAL (struct nf_ct_tcp_flags { u8 flags; u8 mask; })
  FLAGS_REPLY: 5, // CTA_PROTOINFO_TCP_FLAGS_REPLY
} as const;

/** enum ctattr_protoinfo_dccp */
export const CTA_PROTOINFO_DCCP = {
  STATE: 1, // CTA_PROTOINFO_DCCP_STATE
  ROLE: 2, // CTA_PROTOINFO_DCCP_ROLE
  HANDSHAKE_SEQ: 3, // CTA_PROTOINFO_DCCP_HANDSHAKE_SEQ
  PAD: 4, // CTA_PROTOINFO_DCCP_PAD
} as const;

/** enum ctattr_protoinfo_sctp */
export const CTA_PROTOINFO_SCTP = {
  STATE: 1, // CTA_PROTOINFO_SCTP_STATE
  VTAG_ORIGINAL: 2, // CTA_PROTOINFO_SCTP_VTAG_ORIGINAL
  VTAG_REPLY: 3, // CTA_PROTOINFO_SCTP_VTAG_REPLY
} as const;

/** enum ctattr_counters */
export const CTA_COUNTERS = {
  PACKETS: 1, // CTA_COUNTERS_PACKETS (be64)
  BYTES: 2, // CTA_COUNTERS_BYTES (be64)
  PACKETS32: 3, // CTA_COUNTERS32_PACKETS (old 32-bit)
  BYTES32: 4, // CTA_COUNTERS32_BYTES
  PAD: 5, // CTA_COUNTERS_PAD
} as const;

/** enum ctattr_tstamp */
export const CTA_TIMESTAMP = {
  START: 1, // CTA_TIMESTAMP_START (be64 ns, CLOCK_REALTIME)
  STOP: 2, // CTA_TIMESTAMP_STOP
  PAD: 3, // CTA_TIMESTAMP_PAD
} as const;

/** enum ctattr_nat */
export const CTA_NAT = {
  V4_MINIP: 1, // CTA_NAT_V4_MINIP
  V4_MAXIP: 2, // CTA_NAT_V4_MAXIP
  PROTO: 3, // CTA_NAT_PROTO
  V6_MINIP: 4, // CTA_NAT_V6_MINIP
  V6_MAXIP: 5, // CTA_NAT_V6_MAXIP
} as const;

/** enum ctattr_protonat */
export const CTA_PROTONAT = {
  PORT_MIN: 1, // CTA_PROTONAT_PORT_MIN
  PORT_MAX: 2, // CTA_PROTONAT_PORT_MAX
} as const;

/** enum ctattr_seqadj */
export const CTA_SEQADJ = {
  CORRECTION_POS: 1, // CTA_SEQADJ_CORRECTION_POS
  OFFSET_BEFORE: 2, // CTA_SEQADJ_OFFSET_BEFORE
  OFFSET_AFTER: 3, // CTA_SEQADJ_OFFSET_AFTER
} as const;

/** enum ctattr_synproxy */
export const CTA_SYNPROXY = {
  ISN: 1, // CTA_SYNPROXY_ISN
  ITS: 2, // CTA_SYNPROXY_ITS
  TSOFF: 3, // CTA_SYNPROXY_TSOFF
} as const;

/** enum ctattr_expect */
export const CTA_EXPECT = {
  MASTER: 1, // CTA_EXPECT_MASTER
  TUPLE: 2, // CTA_EXPECT_TUPLE
  MASK: 3, // CTA_EXPECT_MASK
  TIMEOUT: 4, // CTA_EXPECT_TIMEOUT
  ID: 5, // CTA_EXPECT_ID
  HELP_NAME: 6, // CTA_EXPECT_HELP_NAME
  ZONE: 7, // CTA_EXPECT_ZONE
  FLAGS: 8, // CTA_EXPECT_FLAGS
  CLASS: 9, // CTA_EXPECT_CLASS
  NAT: 10, // CTA_EXPECT_NAT
  FN: 11, // CTA_EXPECT_FN
} as const;

/** enum ctattr_expect_nat */
export const CTA_EXPECT_NAT = {
  DIR: 1, // CTA_EXPECT_NAT_DIR
  TUPLE: 2, // CTA_EXPECT_NAT_TUPLE
} as const;

/** enum ctattr_help */
export const CTA_HELP = {
  NAME: 1, // CTA_HELP_NAME
  INFO: 2, // CTA_HELP_INFO
} as const;

/** enum ctattr_secctx */
export const CTA_SECCTX = {
  NAME: 1, // CTA_SECCTX_NAME
} as const;

/** enum ctattr_stats_cpu */
export const CTA_STATS = {
  SEARCHED: 1, // CTA_STATS_SEARCHED (no longer used)
  FOUND: 2, // CTA_STATS_FOUND
  NEW: 3, // CTA_STATS_NEW (no longer used)
  INVALID: 4, // CTA_STATS_INVALID
  IGNORE: 5, // CTA_STATS_IGNORE (no longer used)
  DELETE: 6, // CTA_STATS_DELETE (no longer used)
  DELETE_LIST: 7, // CTA_STATS_DELETE_LIST (no longer used)
  INSERT: 8, // CTA_STATS_INSERT
  INSERT_FAILED: 9, // CTA_STATS_INSERT_FAILED
  DROP: 10, // CTA_STATS_DROP
  EARLY_DROP: 11, // CTA_STATS_EARLY_DROP
  ERROR: 12, // CTA_STATS_ERROR
  SEARCH_RESTART: 13, // CTA_STATS_SEARCH_RESTART
  CLASH_RESOLVE: 14, // CTA_STATS_CLASH_RESOLVE
  CHAIN_TOOLONG: 15, // CTA_STATS_CHAIN_TOOLONG
} as const;
export const CTA_STATS_MAX = 15;

/** enum ctattr_stats_global */
export const CTA_STATS_GLOBAL = {
  ENTRIES: 1, // CTA_STATS_GLOBAL_ENTRIES
  MAX_ENTRIES: 2, // CTA_STATS_GLOBAL_MAX_ENTRIES
} as const;

/** enum ctattr_expect_stats */
export const CTA_STATS_EXP = {
  NEW: 1, // CTA_STATS_EXP_NEW
  CREATE: 2, // CTA_STATS_EXP_CREATE
  DELETE: 3, // CTA_STATS_EXP_DELETE
} as const;

/** enum ctattr_filter */
export const CTA_FILTER = {
  ORIG_FLAGS: 1, // CTA_FILTER_ORIG_FLAGS
  REPLY_FLAGS: 2, // CTA_FILTER_REPLY_FLAGS
} as const;

/** CTA_FILTER flag bits (net/netfilter/nf_conntrack_netlink.c) */
export const CTA_FILTER_FLAG = {
  CTA_IP_SRC: 1 << 0,
  CTA_IP_DST: 1 << 1,
  CTA_TUPLE_ZONE: 1 << 2,
  CTA_PROTO_NUM: 1 << 3,
  CTA_PROTO_SRC_PORT: 1 << 4,
  CTA_PROTO_DST_PORT: 1 << 5,
  CTA_PROTO_ICMP_TYPE: 1 << 6,
  CTA_PROTO_ICMP_CODE: 1 << 7,
  CTA_PROTO_ICMP_ID: 1 << 8,
  CTA_PROTO_ICMPV6_TYPE: 1 << 9,
  CTA_PROTO_ICMPV6_CODE: 1 << 10,
  CTA_PROTO_ICMPV6_ID: 1 << 11,
} as const;

/** enum ip_conntrack_status bits (nf_conntrack_common.h) */
export const IPS = {
  EXPECTED: 1 << 0, // IPS_EXPECTED
  SEEN_REPLY: 1 << 1, // IPS_SEEN_REPLY
  ASSURED: 1 << 2, // IPS_ASSURED
  CONFIRMED: 1 << 3, // IPS_CONFIRMED
  SRC_NAT: 1 << 4, // IPS_SRC_NAT
  DST_NAT: 1 << 5, // IPS_DST_NAT
  SEQ_ADJUST: 1 << 6, // IPS_SEQ_ADJUST
  SRC_NAT_DONE: 1 << 7, // IPS_SRC_NAT_DONE
  DST_NAT_DONE: 1 << 8, // IPS_DST_NAT_DONE
  DYING: 1 << 9, // IPS_DYING
  FIXED_TIMEOUT: 1 << 10, // IPS_FIXED_TIMEOUT
  TEMPLATE: 1 << 11, // IPS_TEMPLATE
  UNTRACKED: 1 << 12, // IPS_UNTRACKED (IPS_NAT_CLASH shares the bit)
  HELPER: 1 << 13, // IPS_HELPER
  OFFLOAD: 1 << 14, // IPS_OFFLOAD
  HW_OFFLOAD: 1 << 15, // IPS_HW_OFFLOAD
} as const;

/** enum ip_conntrack_expect_events-adjacent: expectation flags (NF_CT_EXPECT_*) */
export const NF_CT_EXPECT = {
  PERMANENT: 0x1, // NF_CT_EXPECT_PERMANENT
  INACTIVE: 0x2, // NF_CT_EXPECT_INACTIVE
  USERSPACE: 0x4, // NF_CT_EXPECT_USERSPACE
} as const;

/** IP protocol numbers used by the tuple printers (netinet/in.h). */
export const IPPROTO = {
  ICMP: 1,
  TCP: 6,
  UDP: 17,
  DCCP: 33,
  GRE: 47,
  ICMPV6: 58,
  SCTP: 132,
  UDPLITE: 136,
} as const;

/**
 * enum tcp_conntrack (linux/netfilter/nf_conntrack_tcp.h) up to TCP_CONNTRACK_MAX, by value, the prefix dropped.
 * 9 is TCP_CONNTRACK_LISTEN, which the header redefines as TCP_CONNTRACK_SYN_SENT2.
 */
export const TCP_CONNTRACK = [
  'NONE',
  'SYN_SENT',
  'SYN_RECV',
  'ESTABLISHED',
  'FIN_WAIT',
  'CLOSE_WAIT',
  'LAST_ACK',
  'TIME_WAIT',
  'CLOSE',
  'SYN_SENT2',
] as const;
/** enum sctp_conntrack (linux/netfilter/nf_conntrack_sctp.h) up to SCTP_CONNTRACK_MAX, by value, the prefix dropped. */
export const SCTP_CONNTRACK = [
  'NONE',
  'CLOSED',
  'COOKIE_WAIT',
  'COOKIE_ECHOED',
  'ESTABLISHED',
  'SHUTDOWN_SENT',
  'SHUTDOWN_RECD',
  'SHUTDOWN_ACK_SENT',
  'HEARTBEAT_SENT',
  'HEARTBEAT_ACKED',
] as const;
/** enum ct_dccp_states (the kernel's linux/netfilter/nf_conntrack_dccp.h) up to CT_DCCP_MAX, the prefix dropped. */
export const CT_DCCP = ['NONE', 'REQUEST', 'RESPOND', 'PARTOPEN', 'OPEN', 'CLOSEREQ', 'CLOSING', 'TIMEWAIT', 'IGNORE', 'INVALID'] as const;

/** The protocols whose tuples carry ports, printed as sport= / dport= (GRE's keys print as srckey= / dstkey=). */
export const PORT_PROTOCOLS: ReadonlySet<number> = new Set([IPPROTO.TCP, IPPROTO.UDP, IPPROTO.UDPLITE, IPPROTO.SCTP, IPPROTO.DCCP]);

/** The address families of nfgen_family (linux/socket.h), for the layers above that name families. */
export { AF } from '../netlink/constants.js';
