// The conntrack object a create or update sends, built as libnetfilter_conntrack's nfct_nlmsg_build() builds
// it from the attributes that are set.

import { AttrNode, bytes, nest, u16be, u32be, u8 } from '../netlink/attributes.js';
import { CTA, CTA_NAT, CTA_PROTOINFO, CTA_PROTOINFO_DCCP, CTA_PROTOINFO_SCTP, CTA_PROTOINFO_TCP, CTA_PROTONAT, IPPROTO, IPS } from './constants.js';
import { tupleAttr, TupleSpec } from './encode.js';

export interface NatSpec {
  addr?: Uint8Array;
  port?: number;
}

/** Everything a new or changed entry can carry. */
export interface EntrySpec {
  orig?: TupleSpec;
  reply?: TupleSpec;
  status?: number;
  timeout?: number;
  mark?: number;
  secmark?: number;
  tcpState?: number;
  /** IP_CT_TCP_FLAG_* for both directions, with the same mask */
  tcpFlags?: number;
  sctpState?: number;
  sctpVtagOrig?: number;
  sctpVtagReply?: number;
  dccpState?: number;
  dccpRole?: number;
  snat?: NatSpec;
  dnat?: NatSpec;
  zone?: number;
  /** CTA_LABELS bitmap (32-bit words, host order) and its mask */
  labels?: Uint8Array;
  labelsMask?: Uint8Array;
}

function natAttr(type: number, n: NatSpec, l3: number, protonum: number | undefined): AttrNode {
  const parts: AttrNode[] = [];
  if (n.addr) parts.push(bytes(l3 === 10 ? CTA_NAT.V6_MINIP : CTA_NAT.V4_MINIP, n.addr));
  // nfct_build_protonat(): ports only for TCP and UDP, an empty CTA_NAT_PROTO otherwise
  if (n.port !== undefined) {
    parts.push(
      protonum === IPPROTO.TCP || protonum === IPPROTO.UDP
        ? nest(CTA_NAT.PROTO, u16be(CTA_PROTONAT.PORT_MIN, n.port), u16be(CTA_PROTONAT.PORT_MAX, n.port))
        : nest(CTA_NAT.PROTO),
    );
  }
  return nest(type, ...parts);
}

/** The attributes, in nfct_nlmsg_build()'s order. */
export function entryAttrs(e: EntrySpec): AttrNode[] {
  const out: AttrNode[] = [];
  if (e.orig) out.push(tupleAttr(CTA.TUPLE_ORIG, e.orig));
  if (e.reply) out.push(tupleAttr(CTA.TUPLE_REPLY, e.reply));
  if (e.status !== undefined) out.push(u32be(CTA.STATUS, (e.status | IPS.CONFIRMED) >>> 0));
  if (e.timeout !== undefined) out.push(u32be(CTA.TIMEOUT, e.timeout));
  if (e.mark !== undefined) out.push(u32be(CTA.MARK, e.mark));
  if (e.secmark !== undefined) out.push(u32be(CTA.SECMARK, e.secmark));
  const p = e.orig?.protonum;
  if (p === IPPROTO.TCP && (e.tcpState !== undefined || e.tcpFlags !== undefined)) {
    const flags = e.tcpFlags !== undefined ? Uint8Array.of(e.tcpFlags, e.tcpFlags) : undefined;
    out.push(
      nest(
        CTA.PROTOINFO,
        nest(
          CTA_PROTOINFO.TCP,
          e.tcpState !== undefined && u8(CTA_PROTOINFO_TCP.STATE, e.tcpState),
          flags && bytes(CTA_PROTOINFO_TCP.FLAGS_ORIGINAL, flags),
          flags && bytes(CTA_PROTOINFO_TCP.FLAGS_REPLY, flags),
        ),
      ),
    );
  } else if (p === IPPROTO.SCTP && (e.sctpState !== undefined || e.sctpVtagOrig !== undefined || e.sctpVtagReply !== undefined)) {
    out.push(
      nest(
        CTA.PROTOINFO,
        nest(
          CTA_PROTOINFO.SCTP,
          e.sctpState !== undefined && u8(CTA_PROTOINFO_SCTP.STATE, e.sctpState),
          e.sctpVtagOrig !== undefined && u32be(CTA_PROTOINFO_SCTP.VTAG_ORIGINAL, e.sctpVtagOrig),
          e.sctpVtagReply !== undefined && u32be(CTA_PROTOINFO_SCTP.VTAG_REPLY, e.sctpVtagReply),
        ),
      ),
    );
  } else if (p === IPPROTO.DCCP && (e.dccpState !== undefined || e.dccpRole !== undefined)) {
    out.push(
      nest(
        CTA.PROTOINFO,
        nest(
          CTA_PROTOINFO.DCCP,
          e.dccpState !== undefined && u8(CTA_PROTOINFO_DCCP.STATE, e.dccpState),
          e.dccpRole !== undefined && u8(CTA_PROTOINFO_DCCP.ROLE, e.dccpRole),
        ),
      ),
    );
  }
  const l3 = e.orig?.l3 ?? 2;
  if (e.snat) out.push(natAttr(CTA.NAT_SRC, e.snat, l3, p));
  if (e.dnat) out.push(natAttr(CTA.NAT_DST, e.dnat, l3, p));
  if (e.zone !== undefined) out.push(u16be(CTA.ZONE, e.zone));
  if (e.labels) {
    out.push(bytes(CTA.LABELS, e.labels));
    if (e.labelsMask && e.labelsMask.length === e.labels.length) out.push(bytes(CTA.LABELS_MASK, e.labelsMask));
  }
  return out;
}

/** nfct_bitmask with bits set: (max/32 + 1) 32-bit words, host (little-endian) order. */
export function labelBitmap(bits: Iterable<number>, minMaxBit = 0): Uint8Array {
  let max = minMaxBit;
  for (const b of bits) if (b > max) max = b;
  const out = new Uint8Array((Math.floor(max / 32) + 1) * 4);
  for (const b of bits) out[b >> 3] |= 1 << (b & 7);
  return out;
}
