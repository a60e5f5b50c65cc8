// Encoding what conntrack sends: tuples from the command-line template (libnetfilter_conntrack's
// nfct_build_tuple_raw) and the kernel-side dump filter (CTA_FILTER).

import { AttrNode, bytes, nest, u16be, u32be, u8 } from '../netlink/attributes.js';
import { CTA, CTA_FILTER, CTA_FILTER_FLAG, CTA_IP, CTA_PROTO, CTA_TUPLE, IPPROTO } from './constants.js';

/** A tuple as the encoder needs it: addresses as network-order bytes. */
export interface TupleSpec {
  /** AF_INET / AF_INET6 */
  l3: number;
  src?: Uint8Array;
  dst?: Uint8Array;
  protonum?: number;
  srcPort?: number;
  dstPort?: number;
  icmpType?: number;
  icmpCode?: number;
  icmpId?: number;
  zone?: number;
}

/**
 * nfct_build_tuple_raw(): CTA_TUPLE_IP with both addresses (zero when unset) and CTA_TUPLE_PROTO with the
 * protocol and its ports or ICMP fields; then CTA_TUPLE_ZONE when a directional zone is set.
 */
export function tupleAttr(type: number, t: TupleSpec): AttrNode {
  const len = t.l3 === 10 ? 16 : 4;
  const zero = new Uint8Array(len);
  const ip =
    t.l3 === 10
      ? nest(CTA_TUPLE.IP, bytes(CTA_IP.V6_SRC, t.src ?? zero), bytes(CTA_IP.V6_DST, t.dst ?? zero))
      : nest(CTA_TUPLE.IP, bytes(CTA_IP.V4_SRC, t.src ?? zero), bytes(CTA_IP.V4_DST, t.dst ?? zero));
  const p = t.protonum ?? 0;
  const proto: AttrNode[] = [u8(CTA_PROTO.NUM, p)];
  switch (p) {
    case IPPROTO.UDP:
    case IPPROTO.TCP:
    case IPPROTO.SCTP:
    case IPPROTO.DCCP:
    case IPPROTO.GRE:
    case IPPROTO.UDPLITE:
      proto.push(u16be(CTA_PROTO.SRC_PORT, t.srcPort ?? 0), u16be(CTA_PROTO.DST_PORT, t.dstPort ?? 0));
      break;
    case IPPROTO.ICMP:
      proto.push(u8(CTA_PROTO.ICMP_CODE, t.icmpCode ?? 0), u8(CTA_PROTO.ICMP_TYPE, t.icmpType ?? 0), u16be(CTA_PROTO.ICMP_ID, t.icmpId ?? 0));
      break;
    case IPPROTO.ICMPV6:
      proto.push(u8(CTA_PROTO.ICMPV6_CODE, t.icmpCode ?? 0), u8(CTA_PROTO.ICMPV6_TYPE, t.icmpType ?? 0), u16be(CTA_PROTO.ICMPV6_ID, t.icmpId ?? 0));
      break;
  }
  return nest(type, ip, nest(CTA_TUPLE.PROTO, ...proto), t.zone !== undefined && u16be(CTA_TUPLE.ZONE, t.zone));
}

/** The part of a filter the kernel can apply to the original tuple (CTA_FILTER, kernel >= 5.8). */
export interface TupleFilter {
  l3: number;
  src?: Uint8Array;
  dst?: Uint8Array;
  protonum?: number;
  srcPort?: number;
  dstPort?: number;
}

/**
 * CTA_TUPLE_ORIG with only the filtered fields, plus CTA_FILTER{ORIG_FLAGS, REPLY_FLAGS=0} naming them
 * (net/netfilter/nf_conntrack_netlink.c ctnetlink_parse_tuple_filter / ctnetlink_filter_match_tuple).
 */
export function tupleFilterAttrs(f: TupleFilter): AttrNode[] {
  let flags = 0;
  const ip: AttrNode[] = [];
  const v6 = f.l3 === 10;
  if (f.src) {
    ip.push(bytes(v6 ? CTA_IP.V6_SRC : CTA_IP.V4_SRC, f.src));
    flags |= CTA_FILTER_FLAG.CTA_IP_SRC;
  }
  if (f.dst) {
    ip.push(bytes(v6 ? CTA_IP.V6_DST : CTA_IP.V4_DST, f.dst));
    flags |= CTA_FILTER_FLAG.CTA_IP_DST;
  }
  const proto: AttrNode[] = [];
  if (f.protonum !== undefined) {
    proto.push(u8(CTA_PROTO.NUM, f.protonum));
    flags |= CTA_FILTER_FLAG.CTA_PROTO_NUM;
    if (f.srcPort !== undefined) {
      proto.push(u16be(CTA_PROTO.SRC_PORT, f.srcPort));
      flags |= CTA_FILTER_FLAG.CTA_PROTO_SRC_PORT;
    }
    if (f.dstPort !== undefined) {
      proto.push(u16be(CTA_PROTO.DST_PORT, f.dstPort));
      flags |= CTA_FILTER_FLAG.CTA_PROTO_DST_PORT;
    }
  }
  const tuple: AttrNode[] = [];
  if (ip.length) tuple.push(nest(CTA_TUPLE.IP, ...ip));
  if (proto.length) tuple.push(nest(CTA_TUPLE.PROTO, ...proto));
  return [nest(CTA.TUPLE_ORIG, ...tuple), nest(CTA.FILTER, u32be(CTA_FILTER.ORIG_FLAGS, flags), u32be(CTA_FILTER.REPLY_FLAGS, 0))];
}
