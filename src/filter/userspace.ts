// conntrack's userspace filter (conntrack.c nfct_filter() and libnetfilter_conntrack's nfct_cmp() with
// NFCT_CMP_ALL | NFCT_CMP_MASK), over decoded entries. Template addresses are compared in their printed form:
// formatIPv4/formatIPv6 give one canonical text per address, so equal text means equal bytes.

import { addressBytes, formatIPv4, formatIPv6 } from '../ctnetlink/addresses.js';
import { CTA, CTA_PROTO, CTA_TUPLE, IPPROTO, IPS, PORT_PROTOCOLS } from '../ctnetlink/constants.js';
import { findAttr, NLA_ABSENT, nlaAlign, nlaBad, nlaLen, nlaType, readU16BE } from '../netlink/attributes.js';
import { NLA_HDRLEN } from '../netlink/constants.js';
import { ctAttrsStart } from '../ctnetlink/raw-view.js';
import type { Flow, Tuple } from '../ctnetlink/model.js';
import type { TupleTemplate } from '../ctnetlink/template.js';
import { isDnat, isSnat } from '../format/save.js';
import type { U32Filter } from '../ctnetlink/requests.js';
import type { FlowQuery, NatQuery, Network } from './query.js';

/**
 * -U selects entries differently (conntrack.c mnl_nfct_update_cb): -m, -u and -t are values to set, not
 * filters, so its query carries none of them; the NAT, label and network filters apply, then the status filter
 * (the bits -u wants absent: kernel.ts updateStatusFilter), the id when the entry has one, then the original and
 * reply tuples. `compare` and the other compared fields are not read.
 */
export function compileUpdateFilter(q: FlowQuery): FlowFilter {
  const nat = q.nat ? natFilter(q.nat) : undefined;
  const labels = q.labels;
  const nets = q.networks;
  const status = q.statusFilter;
  const id = q.id;
  return (f: Flow): boolean => {
    if (nat && nat(f)) return true;
    if (labelsOrNetworksFail(f, labels, nets)) return true;
    if (statusFails(f, status)) return true;
    if (id !== undefined && f.id !== undefined && f.id !== id) return true;
    if (!cmpTuple(q.orig, f.orig, f.family, q.orig, f.orig)) return true;
    if (!cmpTuple(q.reply, f.reply, f.family, q.orig, f.orig)) return true;
    return false;
  };
}

/** A compiled filter: returns true when the entry is to be SKIPPED, as nfct_filter() does. */
export type FlowFilter = (f: Flow) => boolean;

/** An address as the decoder writes it (one canonical text per address). */
export const addrText = (b: Uint8Array): string => (b.length === 4 ? formatIPv4(b, 0) : formatIPv6(b, 0));

function entryAddrBytes(text: string | undefined, family: number): Uint8Array | undefined {
  if (text === undefined) return undefined;
  return addressBytes(text) ?? (family === 2 ? new Uint8Array(4) : new Uint8Array(16));
}

function inNetwork(text: string | undefined, n: Network): boolean {
  const a = entryAddrBytes(text, n.family) ?? new Uint8Array(n.mask.length);
  for (let i = 0; i < n.mask.length; i++) if ((a[i] & n.mask[i]) !== n.net[i]) return false;
  return true;
}

/** __cmp(): both present → compare; only the template's → strict ? fail : compare with the entry's zero value. */
function cmpAttr<T>(t: T | undefined, e: T | undefined, strict: boolean, eq: (a: T, b: T | undefined) => boolean): boolean {
  if (t === undefined) return true;
  if (e !== undefined) return eq(t, e);
  return strict ? false : eq(t, undefined);
}

function cmpTuple(
  t: TupleTemplate,
  e: Tuple | undefined,
  familyOfEntry: number,
  tmplIcmp: TupleTemplate,
  entryOrig: Tuple | undefined,
): boolean {
  // l3proto: the entry's is its nfgen family when the tuple is present
  if (t.l3 !== undefined && (e === undefined || familyOfEntry !== t.l3)) return false;
  if (t.protonum !== undefined) {
    if (e?.protonum === undefined || e.protonum !== t.protonum) return false;
    switch (t.protonum) {
      case IPPROTO.ICMP:
      case IPPROTO.ICMPV6:
        // ATTR_ICMP_* live on the original tuple on both sides
        if (tmplIcmp.icmpId !== undefined && entryOrig?.icmpId !== tmplIcmp.icmpId) return false;
        if (tmplIcmp.icmpCode !== undefined && entryOrig?.icmpCode !== tmplIcmp.icmpCode) return false;
        if (tmplIcmp.icmpType !== undefined && entryOrig?.icmpType !== tmplIcmp.icmpType) return false;
        break;
      case IPPROTO.TCP:
      case IPPROTO.UDP:
      case IPPROTO.UDPLITE:
      case IPPROTO.DCCP:
      case IPPROTO.SCTP:
        if (t.srcPort !== undefined && e.srcPort !== t.srcPort) return false;
        if (t.dstPort !== undefined && e.dstPort !== t.dstPort) return false;
        break;
    }
  }
  if (t.src !== undefined && e?.src !== addrText(t.src)) return false;
  if (t.dst !== undefined && e?.dst !== addrText(t.dst)) return false;
  // zones compare against 0 when the entry has none (non-strict)
  if (!cmpAttr(t.zone, e?.zone, false, (a, b) => a === (b ?? 0))) return false;
  return true;
}

/**
 * libnetfilter_conntrack's tuple keeps the layer-4 fields in unions, and the NAT port checks compare those raw
 * 16-bit values whatever the protocol: l4src is the source port, the ICMP id or the GRE key; l4dst is the
 * destination port, or the ICMP type and code bytes.
 */
const l4src = (t: Tuple | undefined): number => t?.srcPort ?? t?.icmpId ?? 0;
const l4dst = (t: Tuple | undefined): number =>
  t?.dstPort ?? (t?.icmpType !== undefined || t?.icmpCode !== undefined ? ((t.icmpType ?? 0) << 8) | (t.icmpCode ?? 0) : 0);

/** NAT filter (filter_nat()): -n / -g / -j with optional address and port. */
function natFilter(q: NatQuery): (f: Flow) => boolean {
  const kind = q.kind;
  const checkSrc = kind !== 'dst';
  const checkDst = kind !== 'src';
  const snatAddr = q.snat?.addr ? addrText(q.snat.addr) : undefined;
  const dnatAddr = q.dnat?.addr ? addrText(q.dnat.addr) : undefined;
  const snatPort = q.snat?.port;
  const dnatPort = q.dnat?.port;
  const statusOr = (f: Flow, bit: number): boolean => (f.status !== undefined ? (f.status & bit) !== 0 : true);
  const isSpat = (f: Flow): boolean => statusOr(f, IPS.SRC_NAT_DONE) && l4dst(f.reply) !== l4src(f.orig);
  const isDpat = (f: Flow): boolean => statusOr(f, IPS.DST_NAT_DONE) && l4src(f.reply) !== l4dst(f.orig);
  return (f: Flow): boolean => {
    let hasSrc = false;
    let hasDst = false;
    if (checkSrc) {
      let checkAddress = false;
      if (snatAddr !== undefined) {
        checkAddress = true;
        // the template's SNAT address is compared as IPv4 (nfct_get_attr_u32), whatever the family
        if (isSnat(f) && snatAddr === f.reply?.dst) hasSrc = true;
      }
      if (snatPort !== undefined) {
        const ret = isSpat(f) && snatPort === l4dst(f.reply);
        if (checkAddress && hasSrc && !ret) hasSrc = false;
        if (!checkAddress && ret) hasSrc = true;
      }
      if (!checkAddress && snatPort === undefined && (isSnat(f) || isSpat(f))) hasSrc = true;
    }
    if (checkDst) {
      let checkAddress = false;
      if (dnatAddr !== undefined) {
        checkAddress = true;
        if (isDnat(f) && dnatAddr === f.reply?.src) hasDst = true;
      }
      if (dnatPort !== undefined) {
        const ret = isDpat(f) && dnatPort === l4src(f.reply);
        if (checkAddress && hasDst && !ret) hasDst = false;
        if (!checkAddress && ret) hasDst = true;
      }
      if (!checkAddress && dnatPort === undefined && (isDnat(f) || isDpat(f))) hasDst = true;
    }
    if (kind === 'either') return !(hasSrc || hasDst);
    if (kind === 'both') return !(hasSrc && hasDst);
    if (kind === 'src') return !hasSrc;
    return !hasDst;
  };
}

/** filter_label() and filter_network(): every -l label set, the original addresses inside the CIDR networks. */
function labelsOrNetworksFail(f: Flow, labels: number[] | undefined, nets: { src?: Network; dst?: Network }): boolean {
  if (labels) {
    if (f.labels === undefined) return true;
    for (const b of labels) if (!labelSet(f.labels, b)) return true;
  }
  for (const dir of ['src', 'dst'] as const) {
    const n = nets[dir];
    if (!n) continue;
    if (!f.orig || f.family !== n.family) return true;
    if (!inNetwork(f.orig[dir], n)) return true;
  }
  return false;
}

/** The kernel's dump filter by status (ctnetlink_filter_match_status): (status & mask) == value. */
function statusFails(f: Flow, s: U32Filter | undefined): boolean {
  return s !== undefined && (f.status === undefined || (f.status & s.mask) >>> 0 !== s.value);
}

function labelSet(bits: Uint8Array | undefined, bit: number): boolean {
  return bits !== undefined && ((bits[bit >> 3] >> (bit & 7)) & 1) === 1;
}

/** Compiles nfct_filter() for a query. Returns undefined when nothing is filtered. */
export function compileFilter(q: FlowQuery): FlowFilter | undefined {
  const nets = q.networks;
  const nat = q.nat ? natFilter(q.nat) : undefined;
  const mark = q.mark;
  const labels = q.labels;
  const compare = q.compare;
  if (!nat && !mark && !labels && !nets.src && !nets.dst && !compare) return undefined;
  const tOrig = q.orig;
  const tReply = q.reply;
  return (f: Flow): boolean => {
    if (nat && nat(f)) return true;
    // filter_mark(): the entry must carry a mark
    if (mark && (f.mark === undefined || (f.mark & mark.mask) >>> 0 !== mark.value)) return true;
    if (labelsOrNetworksFail(f, labels, nets)) return true;
    if (!compare) return false;
    // cmp_meta
    if (q.id !== undefined && f.id !== q.id) return true;
    if (q.timeout !== undefined && f.timeout !== q.timeout) return true;
    if (q.status !== undefined && (f.status === undefined || (q.status & f.status) >>> 0 !== q.status)) return true;
    // the status filter as the kernel applies it to -L dumps: (status & mask) == value. conntrack 1.4.7's -D
    // used only the subset test above, which UNREPLIED and "!BIT" (value 0) pass for every entry.
    if (statusFails(f, q.statusFilter)) return true;
    if (q.tcpState !== undefined && f.tcp?.state !== q.tcpState) return true;
    if (q.sctpState !== undefined && f.sctp?.state !== q.sctpState) return true;
    if (q.dccpState !== undefined && f.dccp?.state !== q.dccpState) return true;
    if (q.zone !== undefined && (f.zone ?? 0) !== q.zone) return true;
    // __cmp_orig / cmp_repl
    if (!cmpTuple(tOrig, f.orig, f.family, q.orig, f.orig)) return true;
    if (!cmpTuple(tReply, f.reply, f.family, q.orig, f.orig)) return true;
    return false;
  };
}

/**
 * A cheap first look at the raw message, before it is decoded: when the template names the protocol (and
 * ports), conntrack's comparison requires the entry's original tuple to have exactly those, so an entry whose
 * bytes say otherwise can be skipped without decoding it. Returns true to skip; undefined when there is
 * nothing to look at. Only ever skips what the full filter would skip.
 */
export function compileRawPrefilter(q: FlowQuery): ((buf: Buffer, off: number, len: number) => boolean) | undefined {
  if (!q.compare) return undefined;
  const t = q.orig;
  if (t.protonum === undefined) return undefined;
  const protonum = t.protonum;
  const ported = PORT_PROTOCOLS.has(protonum);
  const sport = ported ? t.srcPort : undefined;
  const dport = ported ? t.dstPort : undefined;
  return (buf, off, len) => {
    const end = off + len;
    // malformed on the way: keep the entry and let the decoder say so; absent: the comparison fails
    const o = findAttr_(buf, ctAttrsStart_(off), end, TUPLE_ORIG);
    if (o < 0) return o === ABSENT;
    const p = findAttr_(buf, o + HDRLEN, o + nlaLen_(buf, o), TUPLE_PROTO);
    if (p < 0) return p === ABSENT;
    const pEnd = p + nlaLen_(buf, p);
    let num = -1;
    let sp = -1;
    let dp = -1;
    for (let c = p + HDRLEN; c + HDRLEN <= pEnd; ) {
      const n = nlaLen_(buf, c);
      if (nlaBad_(n, c, pEnd)) return false;
      const type = nlaType_(buf, c);
      if (type === PROTO_NUM && n >= HDRLEN + 1) num = buf[c + HDRLEN];
      else if (type === PROTO_SRC_PORT && n >= HDRLEN + 2) sp = readU16BE_(buf, c + HDRLEN);
      else if (type === PROTO_DST_PORT && n >= HDRLEN + 2) dp = readU16BE_(buf, c + HDRLEN);
      c += NLA_ALIGN_(n);
    }
    if (num !== protonum) return true;
    if (sport !== undefined && sp !== sport) return true;
    if (dport !== undefined && dp !== dport) return true;
    return false;
  };
}

// The prefilter's walk reads these through module-local bindings: V8 (Node 20) loads an imported binding
// through its module cell at each use, which made this walk 40% slower (see src/netlink/attributes.ts).
const ctAttrsStart_ = ctAttrsStart;
const findAttr_ = findAttr;
const nlaLen_ = nlaLen;
const nlaType_ = nlaType;
const nlaBad_ = nlaBad;
const readU16BE_ = readU16BE;
const NLA_ALIGN_ = nlaAlign;
const HDRLEN = NLA_HDRLEN;
const ABSENT = NLA_ABSENT;
const TUPLE_ORIG = CTA.TUPLE_ORIG;
const TUPLE_PROTO = CTA_TUPLE.PROTO;
const PROTO_NUM = CTA_PROTO.NUM;
const PROTO_SRC_PORT = CTA_PROTO.SRC_PORT;
const PROTO_DST_PORT = CTA_PROTO.DST_PORT;
