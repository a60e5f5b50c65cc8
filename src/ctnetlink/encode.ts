// Encoding what conntrack sends: tuples from the command-line template (libnetfilter_conntrack's
// nfct_build_tuple_raw) and the kernel-side dump filter (CTA_FILTER).

import { AttrNode, AttrSink, bytes, nest, TreeBuilder, u16be, u32host, u8 } from '../netlink/attributes.js';
import { AF } from '../netlink/constants.js';
import { CTA, CTA_FILTER, CTA_FILTER_FLAG, CTA_IP, CTA_PROTO, CTA_TUPLE, IPPROTO } from './constants.js';

/** A tuple as the encoder needs it: addresses as network-order bytes. */
export interface TupleSpec {
  /** AF_INET / AF_INET6 */
  l3: number;
  /** address bytes in network order: 4 for IPv4, 16 for IPv6 */
  src?: Uint8Array;
  dst?: Uint8Array;
  protonum?: number;
  /** host order (GRE keys too) */
  srcPort?: number;
  dstPort?: number;
  icmpType?: number;
  icmpCode?: number;
  icmpId?: number;
  /** CTA_TUPLE_ZONE (directional zone) */
  zone?: number;
}

/**
 * nfct_build_tuple_raw(): CTA_TUPLE_IP with both addresses (zero when unset) and CTA_TUPLE_PROTO with the
 * protocol and its ports or ICMP fields; then CTA_TUPLE_ZONE when a directional zone is set.
 */
export function writeTuple(w: AttrSink, type: number, t: TupleSpec): void {
  const tuple = w.beginNest(type);
  const ip = w.beginNest(CTA_TUPLE.IP);
  if (t.l3 === AF.INET6) {
    w.bytes(CTA_IP.V6_SRC, t.src ?? ZERO16);
    w.bytes(CTA_IP.V6_DST, t.dst ?? ZERO16);
  } else {
    w.bytes(CTA_IP.V4_SRC, t.src ?? ZERO4);
    w.bytes(CTA_IP.V4_DST, t.dst ?? ZERO4);
  }
  w.endNest(ip);
  const proto = w.beginNest(CTA_TUPLE.PROTO);
  const p = t.protonum ?? 0;
  w.u8(CTA_PROTO.NUM, p);
  switch (p) {
    case IPPROTO.UDP:
    case IPPROTO.TCP:
    case IPPROTO.SCTP:
    case IPPROTO.DCCP:
    case IPPROTO.GRE:
    case IPPROTO.UDPLITE:
      w.u16be(CTA_PROTO.SRC_PORT, t.srcPort ?? 0);
      w.u16be(CTA_PROTO.DST_PORT, t.dstPort ?? 0);
      break;
    case IPPROTO.ICMP:
      w.u8(CTA_PROTO.ICMP_CODE, t.icmpCode ?? 0);
      w.u8(CTA_PROTO.ICMP_TYPE, t.icmpType ?? 0);
      w.u16be(CTA_PROTO.ICMP_ID, t.icmpId ?? 0);
      break;
    case IPPROTO.ICMPV6:
      w.u8(CTA_PROTO.ICMPV6_CODE, t.icmpCode ?? 0);
      w.u8(CTA_PROTO.ICMPV6_TYPE, t.icmpType ?? 0);
      w.u16be(CTA_PROTO.ICMPV6_ID, t.icmpId ?? 0);
      break;
  }
  w.endNest(proto);
  if (t.zone !== undefined) w.u16be(CTA_TUPLE.ZONE, t.zone);
  w.endNest(tuple);
}

const ZERO4 = new Uint8Array(4);
const ZERO16 = new Uint8Array(16);

/** writeTuple() as an attribute tree. */
export function tupleAttr(type: number, t: TupleSpec): AttrNode {
  const b = new TreeBuilder();
  writeTuple(b, type, t);
  return b.nodes[0];
}

/** The part of a filter the kernel can apply to the original tuple (CTA_FILTER, kernel >= 5.8). */
export type TupleFilter = Pick<TupleSpec, 'l3' | 'src' | 'dst' | 'protonum' | 'srcPort' | 'dstPort'>;

/**
 * CTA_TUPLE_ORIG with only the filtered fields, plus CTA_FILTER{ORIG_FLAGS, REPLY_FLAGS=0} naming them (host-order
 * NLA_U32s: sent big-endian they name unknown bits, the kernel refuses the filter and the dump runs unfiltered)
 * (net/netfilter/nf_conntrack_netlink.c ctnetlink_parse_tuple_filter / ctnetlink_filter_match_tuple).
 */
export function tupleFilterAttrs(f: TupleFilter): AttrNode[] {
  let flags = 0;
  const ip: AttrNode[] = [];
  const v6 = f.l3 === AF.INET6;
  // IPv6 addresses are left to the caller: the kernel's IPv6 address match is inverted (ctnetlink_filter_match_tuple
  // tests `!ipv6_addr_cmp()`, so it drops exactly the entries with the address; seen on 6.18)
  if (f.src && !v6) {
    ip.push(bytes(CTA_IP.V4_SRC, f.src));
    flags |= CTA_FILTER_FLAG.CTA_IP_SRC;
  }
  if (f.dst && !v6) {
    ip.push(bytes(CTA_IP.V4_DST, f.dst));
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
  return [nest(CTA.TUPLE_ORIG, ...tuple), nest(CTA.FILTER, u32host(CTA_FILTER.ORIG_FLAGS, flags), u32host(CTA_FILTER.REPLY_FLAGS, 0))];
}
