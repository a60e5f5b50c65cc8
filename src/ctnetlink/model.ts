// The typed model of what ctnetlink sends. Optional fields are presence: a field is set exactly when the kernel
// sent the attribute (conntrack prints `mark=0` when a zero mark was sent, nothing when none was).

import type { RawAttr } from '../netlink/attributes.js';

/** One direction's tuple (CTA_TUPLE_ORIG / _REPLY / _MASTER, CTA_EXPECT_TUPLE / _MASK / _MASTER). */
export interface Tuple {
  /** layer-3 family of the message (nfgen_family): AF_INET 2, AF_INET6 10, other values possible */
  family: number;
  /** CTA_IP_V4_SRC / CTA_IP_V6_SRC, formatted as inet_ntoa / glibc inet_ntop print it */
  src?: string;
  dst?: string;
  /** CTA_PROTO_NUM */
  protonum?: number;
  /** CTA_PROTO_SRC_PORT / _DST_PORT (also GRE keys), host order */
  srcPort?: number;
  dstPort?: number;
  /** CTA_PROTO_ICMP_ID / CTA_PROTO_ICMPV6_ID, host order */
  icmpId?: number;
  /** CTA_PROTO_ICMP_TYPE / CTA_PROTO_ICMPV6_TYPE */
  icmpType?: number;
  /** CTA_PROTO_ICMP_CODE / CTA_PROTO_ICMPV6_CODE */
  icmpCode?: number;
  /** CTA_TUPLE_ZONE (directional zone) */
  zone?: number;
  /** attributes this decoder does not know, kept as sent */
  unknown?: RawAttr[];
}

export interface Counters {
  packets?: bigint;
  bytes?: bigint;
}

export interface TcpInfo {
  state?: number;
  wscaleOrig?: number;
  wscaleReply?: number;
  /** struct nf_ct_tcp_flags { u8 flags; u8 mask; } */
  flagsOrig?: { flags: number; mask: number };
  flagsReply?: { flags: number; mask: number };
}

export interface SctpInfo {
  state?: number;
  vtagOrig?: number;
  vtagReply?: number;
}

export interface DccpInfo {
  state?: number;
  role?: number;
  handshakeSeq?: bigint;
}

export interface SeqAdj {
  correctionPos?: number;
  offsetBefore?: number;
  offsetAfter?: number;
}

/** A conntrack entry (one IPCTNL_MSG_CT_NEW / _DELETE message). */
export interface Flow {
  /** nfgen_family of the message */
  family: number;
  orig?: Tuple;
  reply?: Tuple;
  master?: Tuple;
  status?: number;
  tcp?: TcpInfo;
  sctp?: SctpInfo;
  dccp?: DccpInfo;
  helper?: { name?: string; info?: Buffer };
  timeout?: number;
  mark?: number;
  countersOrig?: Counters;
  countersReply?: Counters;
  use?: number;
  id?: number;
  seqAdjOrig?: SeqAdj;
  seqAdjReply?: SeqAdj;
  secmark?: number;
  zone?: number;
  secctx?: string;
  /** CTA_TIMESTAMP, nanoseconds since the epoch */
  timestamp?: { start?: bigint; stop?: bigint };
  /** CTA_LABELS: the kernel's label bitmap, as sent (32-bit words in host order) */
  labels?: Buffer;
  labelsMask?: Buffer;
  synproxy?: { isn?: number; its?: number; tsoff?: number };
  /** CTA_TIMESTAMP_EVENT (kernel >= 6.14), nanoseconds */
  timestampEvent?: bigint;
  /** CTA_NAT_SRC / CTA_NAT_DST (legacy, only in requests of old tools), kept raw */
  natSrc?: RawAttr;
  natDst?: RawAttr;
  unknown?: RawAttr[];
}

/** How an entry reached us: a dump/get reply, or an event of this kind. */
export type MessageKind = 'unknown' | 'new' | 'update' | 'destroy';

/** One CPU's statistics (IPCTNL_MSG_CT_GET_STATS_CPU): attribute type → value, in the order sent. */
export interface CpuStats {
  cpu: number;
  values: Array<[type: number, value: number]>;
}

export interface GlobalStats {
  entries?: number;
  maxEntries?: number;
  /** attributes this decoder does not know, kept as sent */
  unknown?: RawAttr[];
}
