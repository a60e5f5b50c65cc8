// The conntrack object a create or update sends, built as libnetfilter_conntrack's nfct_nlmsg_build() builds
// it from the attributes that are set.

import { AttrNode, AttrSink, TreeBuilder } from '../netlink/attributes.js';
import { AF } from '../netlink/constants.js';
import {
  CTA,
  CTA_HELP,
  CTA_NAT,
  CTA_PROTOINFO,
  CTA_PROTOINFO_DCCP,
  CTA_PROTOINFO_SCTP,
  CTA_PROTOINFO_TCP,
  CTA_PROTONAT,
  IPPROTO,
  IPS,
} from './constants.js';
import { bytesOf } from '../text.js';
import { TupleSpec, writeTuple } from './encode.js';

/**
 * One tuple's worth of template attributes (ATTR_ORIG_* / ATTR_REPL_*): what the encoder takes, every field
 * optional (l3 is ATTR_*_L3PROTO; ICMP fields live on the original tuple, as in libnetfilter_conntrack).
 */
export type TupleTemplate = Partial<TupleSpec>;

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
  /** CTA_HELP's CTA_HELP_NAME: the helper to attach to a new entry (the kernel's name, e.g. "ftp") */
  helper?: string;
  /** CTA_LABELS bitmap (32-bit words, host order) and its mask */
  labels?: Uint8Array;
  labelsMask?: Uint8Array;
}

function writeNat(w: AttrSink, type: number, n: NatSpec, l3: number, protonum: number | undefined): void {
  const nat = w.beginNest(type);
  if (n.addr) w.bytes(l3 === AF.INET6 ? CTA_NAT.V6_MINIP : CTA_NAT.V4_MINIP, n.addr);
  // nfct_build_protonat(): ports only for TCP and UDP, an empty CTA_NAT_PROTO otherwise
  if (n.port !== undefined) {
    const proto = w.beginNest(CTA_NAT.PROTO);
    if (protonum === IPPROTO.TCP || protonum === IPPROTO.UDP) {
      w.u16be(CTA_PROTONAT.PORT_MIN, n.port);
      w.u16be(CTA_PROTONAT.PORT_MAX, n.port);
    }
    w.endNest(proto);
  }
  w.endNest(nat);
}

/** The attributes, in nfct_nlmsg_build()'s order, written into an AttrSink. */
export function writeEntry(w: AttrSink, e: EntrySpec): void {
  if (e.orig) writeTuple(w, CTA.TUPLE_ORIG, e.orig);
  if (e.reply) writeTuple(w, CTA.TUPLE_REPLY, e.reply);
  if (e.status !== undefined) w.u32be(CTA.STATUS, (e.status | IPS.CONFIRMED) >>> 0);
  if (e.timeout !== undefined) w.u32be(CTA.TIMEOUT, e.timeout);
  if (e.mark !== undefined) w.u32be(CTA.MARK, e.mark);
  if (e.secmark !== undefined) w.u32be(CTA.SECMARK, e.secmark);
  const p = e.orig?.protonum;
  if (p === IPPROTO.TCP && (e.tcpState !== undefined || e.tcpFlags !== undefined)) {
    const info = w.beginNest(CTA.PROTOINFO);
    const tcp = w.beginNest(CTA_PROTOINFO.TCP);
    if (e.tcpState !== undefined) w.u8(CTA_PROTOINFO_TCP.STATE, e.tcpState);
    if (e.tcpFlags !== undefined) {
      const flags = Uint8Array.of(e.tcpFlags, e.tcpFlags); // struct nf_ct_tcp_flags { flags, mask }
      w.bytes(CTA_PROTOINFO_TCP.FLAGS_ORIGINAL, flags);
      w.bytes(CTA_PROTOINFO_TCP.FLAGS_REPLY, flags);
    }
    w.endNest(tcp);
    w.endNest(info);
  } else if (p === IPPROTO.SCTP && (e.sctpState !== undefined || e.sctpVtagOrig !== undefined || e.sctpVtagReply !== undefined)) {
    const info = w.beginNest(CTA.PROTOINFO);
    const sctp = w.beginNest(CTA_PROTOINFO.SCTP);
    if (e.sctpState !== undefined) w.u8(CTA_PROTOINFO_SCTP.STATE, e.sctpState);
    if (e.sctpVtagOrig !== undefined) w.u32be(CTA_PROTOINFO_SCTP.VTAG_ORIGINAL, e.sctpVtagOrig);
    if (e.sctpVtagReply !== undefined) w.u32be(CTA_PROTOINFO_SCTP.VTAG_REPLY, e.sctpVtagReply);
    w.endNest(sctp);
    w.endNest(info);
  } else if (p === IPPROTO.DCCP && (e.dccpState !== undefined || e.dccpRole !== undefined)) {
    const info = w.beginNest(CTA.PROTOINFO);
    const dccp = w.beginNest(CTA_PROTOINFO.DCCP);
    if (e.dccpState !== undefined) w.u8(CTA_PROTOINFO_DCCP.STATE, e.dccpState);
    if (e.dccpRole !== undefined) w.u8(CTA_PROTOINFO_DCCP.ROLE, e.dccpRole);
    w.endNest(dccp);
    w.endNest(info);
  }
  const l3 = e.orig?.l3 ?? AF.INET;
  if (e.snat) writeNat(w, CTA.NAT_SRC, e.snat, l3, p);
  if (e.dnat) writeNat(w, CTA.NAT_DST, e.dnat, l3, p);
  if (e.helper !== undefined) {
    // nfct_build_helper_name(): the name as a NUL-terminated string (the kernel's policy is NLA_NUL_STRING)
    const help = w.beginNest(CTA.HELP);
    w.bytes(CTA_HELP.NAME, bytesOf(`${e.helper}\0`));
    w.endNest(help);
  }
  if (e.zone !== undefined) w.u16be(CTA.ZONE, e.zone);
  if (e.labels) {
    w.bytes(CTA.LABELS, e.labels);
    if (e.labelsMask && e.labelsMask.length === e.labels.length) w.bytes(CTA.LABELS_MASK, e.labelsMask);
  }
}

/** writeEntry() as attribute trees. */
export function entryAttrs(e: EntrySpec): AttrNode[] {
  const b = new TreeBuilder();
  writeEntry(b, e);
  return b.nodes;
}

/** nfct_bitmask with bits set: (max/32 + 1) 32-bit words, host (little-endian) order. */
export function labelBitmap(bits: Iterable<number>, minMaxBit = 0): Uint8Array {
  let max = minMaxBit;
  for (const b of bits) if (b > max) max = b;
  const out = new Uint8Array((Math.floor(max / 32) + 1) * 4);
  for (const b of bits) out[b >> 3] |= 1 << (b & 7);
  return out;
}
