// One request builder per ctnetlink operation, with its netlink flags spelled out.

import { ctAttrsStart, ctFamily } from './raw-view.js';
import { AttrNode, nlaAlign, nlaBad, nlaLen, nlaType, u32be } from '../netlink/attributes.js';
import { AF, NFNETLINK_V1, NFNL_SUBSYS, NLA_HDRLEN, NLM_F } from '../netlink/constants.js';
import type { NfRequest } from '../netlink/framing.js';
import { CTA, CTA_EXPECT, IPCTNL_MSG_CT, IPCTNL_MSG_EXP } from './constants.js';
import { TupleFilter, tupleAttr, tupleFilterAttrs, TupleSpec, writeTuple } from './encode.js';
import { entryAttrs, type EntrySpec, type TupleTemplate, writeEntry } from './template.js';
import type { NlWriter } from '../netlink/writer.js';

/** The message writer the batch paths encode with (-R keeps its lines' messages in one). */
export { NlWriter } from '../netlink/writer.js';

export interface U32Filter {
  value: number;
  mask: number;
}

/** What the kernel can filter a conntrack dump by (nf_conntrack_netlink.c ctnetlink_start/ctnetlink_filter_match). */
export interface DumpFilter {
  /** nfgen_family: AF_UNSPEC dumps both families (kernel >= 4.20 filters by it) */
  family?: number;
  /** CTA_MARK + CTA_MARK_MASK */
  mark?: U32Filter;
  /** CTA_STATUS + CTA_STATUS_MASK (kernel >= 5.15) */
  status?: U32Filter;
  /**
   * CTA_TUPLE_ORIG + CTA_FILTER (kernel >= 5.8): exact original-direction addresses, protocol, ports. IPv6 addresses
   * are not sent (the kernel's IPv6 address match is inverted, see tupleFilterAttrs): check them on what arrives.
   */
  tuple?: TupleFilter;
}

export type DumpTable = 'conntrack' | 'dying' | 'unconfirmed';

/**
 * IPCTNL_MSG_CT_GET with NLM_F_DUMP (or GET_CTRZERO to zero counters while dumping, GET_DYING / GET_UNCONFIRMED
 * for the other lists). Filter attributes as libnetfilter_conntrack's nfct_nlmsg_build_filter() puts them.
 */
export function dumpConntrack(filter: DumpFilter = {}, table: DumpTable = 'conntrack', zero = false): NfRequest {
  const msg =
    table === 'dying'
      ? IPCTNL_MSG_CT.GET_DYING
      : table === 'unconfirmed'
        ? IPCTNL_MSG_CT.GET_UNCONFIRMED
        : zero
          ? IPCTNL_MSG_CT.GET_CTRZERO
          : IPCTNL_MSG_CT.GET;
  const attrs: AttrNode[] = [];
  if (table === 'conntrack') {
    if (filter.mark) attrs.push(u32be(CTA.MARK, filter.mark.value), u32be(CTA.MARK_MASK, filter.mark.mask));
    if (filter.status) attrs.push(u32be(CTA.STATUS, filter.status.value), u32be(CTA.STATUS_MASK, filter.status.mask));
    if (filter.tuple) attrs.push(...tupleFilterAttrs(filter.tuple));
  }
  return { subsys: NFNL_SUBSYS.CTNETLINK, msg, flags: NLM_F.DUMP, family: filter.family ?? AF.UNSPEC, attrs };
}

/** IPCTNL_MSG_CT_GET_STATS: the global counters (entries, max). conntrack sends it with no flags but REQUEST. */
export function getGlobalStats(): NfRequest {
  return { subsys: NFNL_SUBSYS.CTNETLINK, msg: IPCTNL_MSG_CT.GET_STATS, flags: 0, family: AF.UNSPEC };
}

/** IPCTNL_MSG_CT_GET_STATS_CPU, a dump: one message per possible CPU. */
export function dumpCpuStats(): NfRequest {
  return { subsys: NFNL_SUBSYS.CTNETLINK, msg: IPCTNL_MSG_CT.GET_STATS_CPU, flags: NLM_F.DUMP, family: AF.UNSPEC };
}

/** IPCTNL_MSG_EXP_GET_STATS_CPU, a dump. */
export function dumpExpectCpuStats(): NfRequest {
  return { subsys: NFNL_SUBSYS.CTNETLINK_EXP, msg: IPCTNL_MSG_EXP.GET_STATS_CPU, flags: NLM_F.DUMP, family: AF.UNSPEC };
}

/** IPCTNL_MSG_CT_GET of one entry by tuple (the reply comes as one IPCTNL_MSG_CT_NEW). */
export function getConntrack(family: number, attrs: AttrNode[], ack: boolean): NfRequest {
  return { subsys: NFNL_SUBSYS.CTNETLINK, msg: IPCTNL_MSG_CT.GET, flags: ack ? NLM_F.ACK : 0, family, attrs };
}

/**
 * IPCTNL_MSG_CT_NEW of a new entry. -I is NLM_F_CREATE | NLM_F_EXCL (fails with EEXIST when the entry is there);
 * -A is NLM_F_CREATE only: conntrack 1.4.8 made -A create-or-update (1.4.7 sent EXCL too and ignored EEXIST).
 * NLM_F_ACK as libnetfilter_conntrack's NFCT_Q_CREATE.
 */
export function newConntrack(family: number, e: EntrySpec, exclusive: boolean): NfRequest {
  const flags = NLM_F.CREATE | NLM_F.ACK | (exclusive ? NLM_F.EXCL : 0);
  return { subsys: NFNL_SUBSYS.CTNETLINK, msg: IPCTNL_MSG_CT.NEW, flags, family, attrs: entryAttrs(e) };
}

/** IPCTNL_MSG_CT_NEW without NLM_F_CREATE changes an existing entry (NFCT_Q_UPDATE: REQUEST | ACK); ENOENT if none. */
export function updateConntrack(family: number, e: EntrySpec): NfRequest {
  return { subsys: NFNL_SUBSYS.CTNETLINK, msg: IPCTNL_MSG_CT.NEW, flags: NLM_F.ACK, family, attrs: entryAttrs(e) };
}

/** IPCTNL_MSG_CT_DELETE of the entry with these tuples and zone (NFCT_Q_DESTROY: REQUEST | ACK); ENOENT if none. */
export function deleteConntrack(family: number, e: EntrySpec): NfRequest {
  return { subsys: NFNL_SUBSYS.CTNETLINK, msg: IPCTNL_MSG_CT.DELETE, flags: NLM_F.ACK, family, attrs: entryAttrs(identity(e)) };
}

const identity = (e: EntrySpec): EntrySpec => ({ orig: e.orig, reply: e.reply, zone: e.zone });

// ---- the same operations written straight into a batch's bytes (batch.ts); no NLM_F_ACK: the batch sets it
// on the datagram's last message ----

/** IPCTNL_MSG_CT_NEW that updates an entry (as updateConntrack). */
export function writeUpdate(w: NlWriter, family: number, e: EntrySpec, seq: number): void {
  const start = w.beginMessage(NFNL_SUBSYS.CTNETLINK, IPCTNL_MSG_CT.NEW, 0, family, seq);
  writeEntry(w, e);
  w.endMessage(start);
}

/** IPCTNL_MSG_CT_GET of one entry by its original tuple and zone; the answer is one IPCTNL_MSG_CT_NEW. */
export function writeGet(w: NlWriter, family: number, orig: TupleSpec | undefined, zone: number | undefined, seq: number): void {
  const start = w.beginMessage(NFNL_SUBSYS.CTNETLINK, IPCTNL_MSG_CT.GET, 0, family, seq);
  writeEntry(w, { orig });
  if (zone !== undefined) w.u16be(CTA.ZONE, zone);
  w.endMessage(start);
}

/** IPCTNL_MSG_CT_NEW of a new entry (as newConntrack), its flags and sequence number left for stampCreate(). */
export function writeCreate(w: NlWriter, family: number, e: EntrySpec): void {
  const start = w.beginMessage(NFNL_SUBSYS.CTNETLINK, IPCTNL_MSG_CT.NEW, 0, family, 0);
  writeEntry(w, e);
  w.endMessage(start);
}

/** What identifies the entry writeCreate() wrote, for the IPCTNL_MSG_CT_DELETE that removes it again (writeDelete). */
export function writeIdentity(w: NlWriter, e: EntrySpec): void {
  if (e.orig) writeTuple(w, CTA.TUPLE_ORIG, e.orig);
  if (e.zone !== undefined) w.u16be(CTA.ZONE, e.zone);
}

/** IPCTNL_MSG_CT_DELETE with attributes encoded before (writeIdentity). */
export function writeDelete(w: NlWriter, family: number, identityAttrs: Uint8Array, seq: number): void {
  const start = w.beginMessage(NFNL_SUBSYS.CTNETLINK, IPCTNL_MSG_CT.DELETE, 0, family, seq);
  w.raw(identityAttrs);
  w.endMessage(start);
}

/**
 * Fills in the flags and sequence number of a message writeCreate() wrote, where it lies: NLM_F_CREATE, with
 * NLM_F_EXCL for a create that must not find the entry (-I, and every -R line's first try), NLM_F_ACK on a
 * datagram's last message.
 */
export function stampCreate(buf: Buffer, at: number, seq: number, exclusive: boolean, ack: boolean): void {
  const flags = NLM_F.REQUEST | NLM_F.CREATE | (exclusive ? NLM_F.EXCL : 0) | (ack ? NLM_F.ACK : 0);
  buf.writeUInt16LE(flags, at + 6);
  buf.writeUInt32LE(seq >>> 0, at + 8);
}

/**
 * IPCTNL_MSG_CT_DELETE without a tuple: the kernel flushes the table. With `onlyFamily` it empties that family
 * alone (NFNETLINK_V1); without, the family goes out as conntrack sends it, in an NFNETLINK_V0 message, and the
 * kernel empties every family (conntrack -F -f ipv6 flushes IPv4 too, in 1.4.7 and 1.4.8 alike).
 */
export function flushConntrack(family: number, onlyFamily = false): NfRequest {
  const req: NfRequest = { subsys: NFNL_SUBSYS.CTNETLINK, msg: IPCTNL_MSG_CT.DELETE, flags: NLM_F.ACK, family };
  if (onlyFamily && family !== AF.UNSPEC) req.version = NFNETLINK_V1;
  return req;
}

// The delete copy walks through module-local bindings: V8 (Node 20) loads an imported binding through its module
// cell at each use, which slows a per-attribute loop (see src/netlink/attributes.ts).
const ctAttrsStart_ = ctAttrsStart;
const nlaLen_ = nlaLen;
const nlaType_ = nlaType;
const nlaBad_ = nlaBad;
const nlaAlign_ = nlaAlign;
const HDRLEN = NLA_HDRLEN;

/** The attributes that identify an entry for IPCTNL_MSG_CT_DELETE: both tuples (with their zones) and the zone. */
const IDENTITY = new Set<number>([CTA.TUPLE_ORIG, CTA.TUPLE_REPLY, CTA.ZONE]);

/**
 * Appends the IPCTNL_MSG_CT_DELETE for the entry in a dumped message to w: its identifying attributes copied as
 * the kernel sent them, the family being the entry's own (as conntrack deletes with the entry's layer-3
 * protocol). No NLM_F_ACK: a batch's sender asks for it on its last message.
 */
export function writeDeleteFromMessage(w: NlWriter, buf: Buffer, off: number, len: number, seq: number): void {
  const start = w.beginMessage(NFNL_SUBSYS.CTNETLINK, IPCTNL_MSG_CT.DELETE, 0, ctFamily(buf, off), seq);
  const end = off + len;
  for (let a = ctAttrsStart_(off); a + HDRLEN <= end; ) {
    const alen = nlaLen_(buf, a);
    if (nlaBad_(alen, a, end)) break;
    const padded = nlaAlign_(alen);
    if (IDENTITY.has(nlaType_(buf, a))) w.rawPadded(buf, a, alen, padded);
    a += padded;
  }
  w.endMessage(start);
}

// ---- expectations (conntrack 1.4.7 sends these through libnetfilter_conntrack's nfexp_query) ----

/** An expectation to create (-I expect): the expected tuple, its master's, the mask, the timeout in seconds. */
export interface ExpectSpec {
  family: number;
  tuple: TupleTemplate;
  master: TupleTemplate;
  mask: TupleTemplate;
  timeout?: number;
}

/** A template as the tuple encoder takes it: an unset layer-3 protocol is 0, as in an unset ATTR_*_L3PROTO. */
function tupleSpec(t: TupleTemplate): TupleSpec {
  return {
    l3: t.l3 ?? 0,
    src: t.src,
    dst: t.dst,
    protonum: t.protonum,
    srcPort: t.srcPort,
    dstPort: t.dstPort,
    icmpType: t.icmpType,
    icmpCode: t.icmpCode,
    icmpId: t.icmpId,
  };
}

/** IPCTNL_MSG_EXP_GET dump of one family (conntrack defaults to AF_INET here). */
export function dumpExpect(family: number): NfRequest {
  return { subsys: NFNL_SUBSYS.CTNETLINK_EXP, msg: IPCTNL_MSG_EXP.GET, flags: NLM_F.DUMP, family };
}

/**
 * IPCTNL_MSG_EXP_GET of one expectation (NFCT_Q_GET: REQUEST | ACK). conntrack hands its template as the
 * expectation's master tuple; the kernel looks the expectation up by it (ctnetlink_get_expect: CTA_EXPECT_MASTER).
 */
export function getExpect(family: number, master: TupleTemplate): NfRequest {
  return {
    subsys: NFNL_SUBSYS.CTNETLINK_EXP,
    msg: IPCTNL_MSG_EXP.GET,
    flags: NLM_F.ACK,
    family,
    attrs: [tupleAttr(CTA_EXPECT.MASTER, tupleSpec(master))],
  };
}

/** IPCTNL_MSG_EXP_DELETE of the expectation with this tuple (NFCT_Q_DESTROY: REQUEST | ACK). */
export function deleteExpect(family: number, tuple: TupleTemplate): NfRequest {
  return {
    subsys: NFNL_SUBSYS.CTNETLINK_EXP,
    msg: IPCTNL_MSG_EXP.DELETE,
    flags: NLM_F.ACK,
    family,
    attrs: [tupleAttr(CTA_EXPECT.TUPLE, tupleSpec(tuple))],
  };
}

/** IPCTNL_MSG_EXP_DELETE without a tuple: the kernel empties the table of one family (NFCT_Q_FLUSH: REQUEST | ACK). */
export function flushExpect(family: number): NfRequest {
  return { subsys: NFNL_SUBSYS.CTNETLINK_EXP, msg: IPCTNL_MSG_EXP.DELETE, flags: NLM_F.ACK, family, attrs: [] };
}

/** IPCTNL_MSG_EXP_NEW (NFCT_Q_CREATE: REQUEST | CREATE | ACK | EXCL), attributes in nfexp_nlmsg_build()'s order. */
export function newExpect(spec: ExpectSpec): NfRequest {
  const attrs: AttrNode[] = [
    tupleAttr(CTA_EXPECT.TUPLE, tupleSpec(spec.tuple)),
    tupleAttr(CTA_EXPECT.MASTER, tupleSpec(spec.master)),
    tupleAttr(CTA_EXPECT.MASK, tupleSpec(spec.mask)),
  ];
  if (spec.timeout !== undefined) attrs.push(u32be(CTA_EXPECT.TIMEOUT, spec.timeout));
  return {
    subsys: NFNL_SUBSYS.CTNETLINK_EXP,
    msg: IPCTNL_MSG_EXP.NEW,
    flags: NLM_F.CREATE | NLM_F.ACK | NLM_F.EXCL,
    family: spec.family,
    attrs,
  };
}
