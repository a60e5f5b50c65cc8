// Decoding ctnetlink messages into the model. Hand-rolled attribute loops (one per nesting level) keep a
// million-entry dump fast; every unknown attribute is kept raw, and errors name the attribute path.

import { ctFamily } from './raw-view.js';
import {
  DecodeError,
  nlaAlign,
  nlaBad,
  nlaLen,
  nlaType,
  RawAttr,
  rawAttr,
  readCString,
  readU16BE,
  readU32BE,
  readU64BE,
} from '../netlink/attributes.js';
import { NLA_HDRLEN } from '../netlink/constants.js';
import { ATTRS_OFFSET } from '../netlink/framing.js';
import { formatIPv4, formatIPv6 } from './addresses.js';
import {
  CTA,
  CTA_COUNTERS,
  CTA_HELP,
  CTA_IP,
  CTA_PROTO,
  CTA_PROTOINFO,
  CTA_PROTOINFO_DCCP,
  CTA_PROTOINFO_SCTP,
  CTA_PROTOINFO_TCP,
  CTA_SECCTX,
  CTA_SEQADJ,
  CTA_SYNPROXY,
  CTA_TIMESTAMP,
  CTA_TUPLE,
  CTA_STATS_GLOBAL,
} from './constants.js';
import type { Counters, CpuStats, DccpInfo, Flow, GlobalStats, SctpInfo, SeqAdj, TcpInfo, Tuple } from './model.js';

// The walks read these through module-local bindings: V8 (Node 20) loads an imported binding through its module
// cell at each use, which slows a per-attribute loop (see src/netlink/attributes.ts).
const nlaLen_ = nlaLen;
const nlaType_ = nlaType;
const nlaBad_ = nlaBad;
const nlaAlign_ = nlaAlign;
const HDRLEN = NLA_HDRLEN;

type Visit = (type: number, from: number, to: number) => void;

/** Calls visit(type, payloadStart, payloadEnd) for each attribute of buf[start, end); a bad length names `path`. */
function walk(buf: Buffer, start: number, end: number, path: string, visit: Visit): void {
  let off = start;
  while (off + HDRLEN <= end) {
    const len = nlaLen_(buf, off);
    if (nlaBad_(len, off, end)) badLength(path, off, start, len);
    visit(nlaType_(buf, off), off + HDRLEN, off + len);
    off += nlaAlign_(len);
  }
}

/** Like need(), with the path built only when the check fails. */
function needIn(from: number, to: number, n: number, path: string, name: string): void {
  if (to - from < n) throw new DecodeError(`payload of ${to - from} bytes, want ${n}`, [`${path} > ${name}`]);
}

function need(from: number, to: number, n: number, path: string): void {
  if (to - from < n) throw new DecodeError(`payload of ${to - from} bytes, want ${n}`, [path]);
}

function keep(list: RawAttr[] | undefined, buf: Buffer, from: number, to: number): RawAttr[] {
  const l = list ?? [];
  l.push(rawAttr(buf, from, to));
  return l;
}

/** A Tuple with every field present as undefined: one hidden class for all tuples keeps the formatters fast. */
export function newTuple(family: number): Tuple {
  return {
    family,
    src: undefined,
    dst: undefined,
    protonum: undefined,
    srcPort: undefined,
    dstPort: undefined,
    icmpId: undefined,
    icmpType: undefined,
    icmpCode: undefined,
    zone: undefined,
    unknown: undefined,
  };
}

/**
 * A tuple whose addresses are still bytes of the message it came from: FlowDecoder({ wireAddresses: true }) fills
 * these, and src/dst are made into text only when read (a filter, -o json, a library user). The default formatter
 * writes the bytes straight into its output instead (LineSink.ipv4): a million-entry listing then makes no
 * address strings at all. Valid as long as the message's buffer is, which FlowDecoder's callers already promise
 * (an entry is used before the next one is decoded).
 */
export class WireTuple implements Tuple {
  family = 0;
  protonum: number | undefined = undefined;
  srcPort: number | undefined = undefined;
  dstPort: number | undefined = undefined;
  icmpId: number | undefined = undefined;
  icmpType: number | undefined = undefined;
  icmpCode: number | undefined = undefined;
  zone: number | undefined = undefined;
  unknown: RawAttr[] | undefined = undefined;
  /** the message's bytes, where each address starts in them, and its length (4, 16; 0: no bytes) */
  wire: Uint8Array = EMPTY_WIRE;
  srcAt = 0;
  srcLen = 0;
  dstAt = 0;
  dstLen = 0;
  private srcText: string | undefined = undefined;
  private dstText: string | undefined = undefined;

  get src(): string | undefined {
    if (this.srcText === undefined && this.srcLen !== 0) this.srcText = addressText(this.wire, this.srcAt, this.srcLen);
    return this.srcText;
  }
  set src(v: string | undefined) {
    this.srcText = v;
    this.srcLen = 0;
  }
  get dst(): string | undefined {
    if (this.dstText === undefined && this.dstLen !== 0) this.dstText = addressText(this.wire, this.dstAt, this.dstLen);
    return this.dstText;
  }
  set dst(v: string | undefined) {
    this.dstText = v;
    this.dstLen = 0;
  }
  /** a plain object, as the other decoders return (JSON.stringify, structuredClone and toEqual see src/dst) */
  toJSON(): Tuple {
    const { family, src, dst, protonum, srcPort, dstPort, icmpId, icmpType, icmpCode, zone, unknown } = this;
    return { family, src, dst, protonum, srcPort, dstPort, icmpId, icmpType, icmpCode, zone, unknown };
  }
}

const EMPTY_WIRE = new Uint8Array(0);
const addressText = (b: Uint8Array, at: number, len: number): string => (len === 4 ? formatIPv4(b, at) : formatIPv6(b, at));

function resetTuple(t: Tuple, family: number): Tuple {
  t.family = family;
  t.src = t.dst = undefined;
  t.protonum = t.srcPort = t.dstPort = t.icmpId = t.icmpType = t.icmpCode = t.zone = undefined;
  t.unknown = undefined;
  return t;
}

function badLength(path: string, off: number, start: number, len: number): never {
  throw new DecodeError(`attribute at offset ${off - start} has bad length ${len}`, [path]);
}

// The loops below are written out instead of going through a visitor callback: a million-entry dump would
// otherwise allocate several closures per entry.

export function decodeTuple(buf: Buffer, start: number, end: number, family: number, path: string, into?: Tuple): Tuple {
  const t = into ? resetTuple(into, family) : newTuple(family);
  const w = t instanceof WireTuple ? t : undefined;
  if (w) w.wire = buf;
  let off = start;
  while (off + HDRLEN <= end) {
    const len = nlaLen_(buf, off);
    if (nlaBad_(len, off, end)) badLength(path, off, start, len);
    const type = nlaType_(buf, off);
    const from = off + HDRLEN;
    const to = off + len;
    if (type === CTA_TUPLE.IP) {
      let o = from;
      while (o + HDRLEN <= to) {
        const l = nlaLen_(buf, o);
        if (nlaBad_(l, o, to)) badLength(path + ' > CTA_TUPLE_IP', o, from, l);
        const a = o + HDRLEN;
        const b = o + l;
        switch (nlaType_(buf, o)) {
          case CTA_IP.V4_SRC:
            needIn(a, b, 4, path, 'CTA_IP_V4_SRC');
            if (w) {
              w.srcAt = a;
              w.srcLen = 4;
            } else t.src = formatIPv4(buf, a);
            break;
          case CTA_IP.V4_DST:
            needIn(a, b, 4, path, 'CTA_IP_V4_DST');
            if (w) {
              w.dstAt = a;
              w.dstLen = 4;
            } else t.dst = formatIPv4(buf, a);
            break;
          case CTA_IP.V6_SRC:
            needIn(a, b, 16, path, 'CTA_IP_V6_SRC');
            if (w) {
              w.srcAt = a;
              w.srcLen = 16;
            } else t.src = formatIPv6(buf, a);
            break;
          case CTA_IP.V6_DST:
            needIn(a, b, 16, path, 'CTA_IP_V6_DST');
            if (w) {
              w.dstAt = a;
              w.dstLen = 16;
            } else t.dst = formatIPv6(buf, a);
            break;
          default:
            t.unknown = keep(t.unknown, buf, a, b);
        }
        o += nlaAlign_(l);
      }
    } else if (type === CTA_TUPLE.PROTO) {
      let o = from;
      while (o + HDRLEN <= to) {
        const l = nlaLen_(buf, o);
        if (nlaBad_(l, o, to)) badLength(`${path} > CTA_TUPLE_PROTO`, o, from, l);
        const a = o + HDRLEN;
        const b = o + l;
        switch (nlaType_(buf, o)) {
          case CTA_PROTO.NUM:
            needIn(a, b, 1, path, 'CTA_PROTO_NUM');
            t.protonum = buf[a];
            break;
          case CTA_PROTO.SRC_PORT:
            needIn(a, b, 2, path, 'CTA_PROTO_SRC_PORT');
            t.srcPort = (buf[a] << 8) | buf[a + 1];
            break;
          case CTA_PROTO.DST_PORT:
            needIn(a, b, 2, path, 'CTA_PROTO_DST_PORT');
            t.dstPort = (buf[a] << 8) | buf[a + 1];
            break;
          case CTA_PROTO.ICMP_ID:
          case CTA_PROTO.ICMPV6_ID:
            needIn(a, b, 2, path, 'CTA_PROTO_ICMP_ID');
            t.icmpId = (buf[a] << 8) | buf[a + 1];
            break;
          case CTA_PROTO.ICMP_TYPE:
          case CTA_PROTO.ICMPV6_TYPE:
            needIn(a, b, 1, path, 'CTA_PROTO_ICMP_TYPE');
            t.icmpType = buf[a];
            break;
          case CTA_PROTO.ICMP_CODE:
          case CTA_PROTO.ICMPV6_CODE:
            needIn(a, b, 1, path, 'CTA_PROTO_ICMP_CODE');
            t.icmpCode = buf[a];
            break;
          default:
            t.unknown = keep(t.unknown, buf, a, b);
        }
        o += nlaAlign_(l);
      }
    } else if (type === CTA_TUPLE.ZONE) {
      needIn(from, to, 2, path, 'CTA_TUPLE_ZONE');
      t.zone = readU16BE(buf, from);
    } else {
      t.unknown = keep(t.unknown, buf, from, to);
    }
    off += nlaAlign_(len);
  }
  return t;
}

function decodeCounters(buf: Buffer, start: number, end: number, path: string, unknown: () => RawAttr[]): Counters {
  const c: Counters = {};
  walk(buf, start, end, path, (type, a, b) => {
    switch (type) {
      case CTA_COUNTERS.PACKETS:
        needIn(a, b, 8, path, 'CTA_COUNTERS_PACKETS');
        c.packets = readU64BE(buf, a);
        break;
      case CTA_COUNTERS.BYTES:
        needIn(a, b, 8, path, 'CTA_COUNTERS_BYTES');
        c.bytes = readU64BE(buf, a);
        break;
      case CTA_COUNTERS.PACKETS32:
        needIn(a, b, 4, path, 'CTA_COUNTERS32_PACKETS');
        c.packets = BigInt(readU32BE(buf, a));
        break;
      case CTA_COUNTERS.BYTES32:
        needIn(a, b, 4, path, 'CTA_COUNTERS32_BYTES');
        c.bytes = BigInt(readU32BE(buf, a));
        break;
      case CTA_COUNTERS.PAD:
        break;
      default:
        unknown().push(rawAttr(buf, a, b));
    }
  });
  return c;
}

function decodeSeqAdj(buf: Buffer, start: number, end: number, path: string, unknown: () => RawAttr[]): SeqAdj {
  const s: SeqAdj = {};
  walk(buf, start, end, path, (type, a, b) => {
    if (type === CTA_SEQADJ.CORRECTION_POS) s.correctionPos = u32In(buf, a, b, path, 'CTA_SEQADJ_CORRECTION_POS');
    else if (type === CTA_SEQADJ.OFFSET_BEFORE) s.offsetBefore = u32In(buf, a, b, path, 'CTA_SEQADJ_OFFSET_BEFORE');
    else if (type === CTA_SEQADJ.OFFSET_AFTER) s.offsetAfter = u32In(buf, a, b, path, 'CTA_SEQADJ_OFFSET_AFTER');
    else unknown().push(rawAttr(buf, a, b));
  });
  return s;
}

function u32In(buf: Buffer, a: number, b: number, path: string, name: string): number {
  needIn(a, b, 4, path, name);
  return readU32BE(buf, a);
}

/** CTA_PROTOINFO_TCP, on most entries: written out (no visitor closures per entry, as decodeTuple). */
function decodeTcpInfo(buf: Buffer, start: number, end: number, f: Flow): TcpInfo {
  const tcp: TcpInfo = {};
  let off = start;
  while (off + HDRLEN <= end) {
    const len = nlaLen_(buf, off);
    if (nlaBad_(len, off, end)) badLength('CTA_PROTOINFO > CTA_PROTOINFO_TCP', off, start, len);
    const a = off + HDRLEN;
    const b = off + len;
    switch (nlaType_(buf, off)) {
      case CTA_PROTOINFO_TCP.STATE:
        need(a, b, 1, 'CTA_PROTOINFO_TCP_STATE');
        tcp.state = buf[a];
        break;
      case CTA_PROTOINFO_TCP.WSCALE_ORIGINAL:
        need(a, b, 1, 'CTA_PROTOINFO_TCP_WSCALE_ORIGINAL');
        tcp.wscaleOrig = buf[a];
        break;
      case CTA_PROTOINFO_TCP.WSCALE_REPLY:
        need(a, b, 1, 'CTA_PROTOINFO_TCP_WSCALE_REPLY');
        tcp.wscaleReply = buf[a];
        break;
      case CTA_PROTOINFO_TCP.FLAGS_ORIGINAL:
        need(a, b, 2, 'CTA_PROTOINFO_TCP_FLAGS_ORIGINAL');
        tcp.flagsOrig = { flags: buf[a], mask: buf[a + 1] };
        break;
      case CTA_PROTOINFO_TCP.FLAGS_REPLY:
        need(a, b, 2, 'CTA_PROTOINFO_TCP_FLAGS_REPLY');
        tcp.flagsReply = { flags: buf[a], mask: buf[a + 1] };
        break;
      default:
        f.unknown = keep(f.unknown, buf, a, b);
    }
    off += nlaAlign_(len);
  }
  return tcp;
}

function decodeProtoinfo(buf: Buffer, start: number, end: number, f: Flow): void {
  let off = start;
  while (off + HDRLEN <= end) {
    const len = nlaLen_(buf, off);
    if (nlaBad_(len, off, end)) badLength('CTA_PROTOINFO', off, start, len);
    const type = nlaType_(buf, off);
    if (type === CTA_PROTOINFO.TCP) f.tcp = decodeTcpInfo(buf, off + HDRLEN, off + len, f);
    else decodeOtherProtoinfo(buf, type, off + HDRLEN, off + len, f);
    off += nlaAlign_(len);
  }
}

function decodeOtherProtoinfo(buf: Buffer, type: number, from: number, to: number, f: Flow): void {
  switch (type) {
    case CTA_PROTOINFO.SCTP: {
      const sctp: SctpInfo = {};
      walk(buf, from, to, 'CTA_PROTOINFO > CTA_PROTOINFO_SCTP', (t, a, b) => {
        switch (t) {
          case CTA_PROTOINFO_SCTP.STATE:
            need(a, b, 1, 'CTA_PROTOINFO_SCTP_STATE');
            sctp.state = buf[a];
            break;
          case CTA_PROTOINFO_SCTP.VTAG_ORIGINAL:
            need(a, b, 4, 'CTA_PROTOINFO_SCTP_VTAG_ORIGINAL');
            sctp.vtagOrig = readU32BE(buf, a);
            break;
          case CTA_PROTOINFO_SCTP.VTAG_REPLY:
            need(a, b, 4, 'CTA_PROTOINFO_SCTP_VTAG_REPLY');
            sctp.vtagReply = readU32BE(buf, a);
            break;
          default:
            f.unknown = keep(f.unknown, buf, a, b);
        }
      });
      f.sctp = sctp;
      break;
    }
    case CTA_PROTOINFO.DCCP: {
      const dccp: DccpInfo = {};
      walk(buf, from, to, 'CTA_PROTOINFO > CTA_PROTOINFO_DCCP', (t, a, b) => {
        switch (t) {
          case CTA_PROTOINFO_DCCP.STATE:
            need(a, b, 1, 'CTA_PROTOINFO_DCCP_STATE');
            dccp.state = buf[a];
            break;
          case CTA_PROTOINFO_DCCP.ROLE:
            need(a, b, 1, 'CTA_PROTOINFO_DCCP_ROLE');
            dccp.role = buf[a];
            break;
          case CTA_PROTOINFO_DCCP.HANDSHAKE_SEQ:
            need(a, b, 8, 'CTA_PROTOINFO_DCCP_HANDSHAKE_SEQ');
            dccp.handshakeSeq = readU64BE(buf, a);
            break;
          case CTA_PROTOINFO_DCCP.PAD:
            break;
          default:
            f.unknown = keep(f.unknown, buf, a, b);
        }
      });
      f.dccp = dccp;
      break;
    }
    default:
      f.unknown = keep(f.unknown, buf, from, to);
  }
}

/** A Flow with every field present as undefined (one hidden class). */
export function newFlow(family: number): Flow {
  return {
    family,
    orig: undefined,
    reply: undefined,
    master: undefined,
    status: undefined,
    tcp: undefined,
    sctp: undefined,
    dccp: undefined,
    helper: undefined,
    timeout: undefined,
    mark: undefined,
    countersOrig: undefined,
    countersReply: undefined,
    use: undefined,
    id: undefined,
    seqAdjOrig: undefined,
    seqAdjReply: undefined,
    secmark: undefined,
    zone: undefined,
    secctx: undefined,
    timestamp: undefined,
    labels: undefined,
    labelsMask: undefined,
    synproxy: undefined,
    timestampEvent: undefined,
    natSrc: undefined,
    natDst: undefined,
    unknown: undefined,
  };
}

/**
 * Objects a FlowDecoder reuses from one entry to the next: a million-entry listing then allocates little more
 * than its strings.
 */
interface Scratch {
  flow: Flow;
  orig: Tuple;
  reply: Tuple;
  master: Tuple;
}

/**
 * Decodes entries into one reused Flow: each decode() returns the same object, valid until the next call.
 * For streaming consumers that format or filter an entry and move on (the CLI); decodeFlow() returns fresh ones.
 */
export class FlowDecoder {
  private readonly scratch: Scratch;
  /**
   * wireAddresses: the tuples are WireTuples (addresses read from the message when asked for, or written straight
   * out by the default formatter), for a consumer that is done with each entry before its handler returns (-L).
   */
  constructor(opts: { wireAddresses?: boolean } = {}) {
    const tuple = opts.wireAddresses ? () => new WireTuple() : () => newTuple(0);
    this.scratch = { flow: newFlow(0), orig: tuple(), reply: tuple(), master: tuple() };
  }
  decode(buf: Buffer, off: number, len: number): Flow {
    if (len < ATTRS_OFFSET) throw new DecodeError(`conntrack message of ${len} bytes is shorter than its headers`);
    return decodeFlowAttrs(buf, off + ATTRS_OFFSET, off + len, ctFamily(buf, off), this.scratch);
  }
}

function resetFlow(f: Flow, family: number): Flow {
  f.family = family;
  f.orig = f.reply = f.master = undefined;
  f.status = f.timeout = f.mark = f.use = f.id = f.secmark = f.zone = undefined;
  f.tcp = undefined;
  f.sctp = undefined;
  f.dccp = undefined;
  f.helper = undefined;
  f.countersOrig = f.countersReply = undefined;
  f.seqAdjOrig = f.seqAdjReply = undefined;
  f.secctx = undefined;
  f.timestamp = undefined;
  f.labels = f.labelsMask = undefined;
  f.synproxy = undefined;
  f.timestampEvent = undefined;
  f.natSrc = f.natDst = undefined;
  f.unknown = undefined;
  return f;
}

/** Decodes the attributes of a conntrack message body (after nfgenmsg) given the message's family. */
export function decodeFlowAttrs(buf: Buffer, start: number, end: number, family: number, scratch?: Scratch): Flow {
  const f = scratch ? resetFlow(scratch.flow, family) : newFlow(family);
  let off = start;
  while (off + HDRLEN <= end) {
    const len = nlaLen_(buf, off);
    if (nlaBad_(len, off, end)) badLength('conntrack', off, start, len);
    const type = nlaType_(buf, off);
    const from = off + HDRLEN;
    const to = off + len;
    switch (type) {
      case CTA.TUPLE_ORIG:
        f.orig = decodeTuple(buf, from, to, family, 'CTA_TUPLE_ORIG', scratch?.orig);
        break;
      case CTA.TUPLE_REPLY:
        f.reply = decodeTuple(buf, from, to, family, 'CTA_TUPLE_REPLY', scratch?.reply);
        break;
      case CTA.TUPLE_MASTER:
        f.master = decodeTuple(buf, from, to, family, 'CTA_TUPLE_MASTER', scratch?.master);
        break;
      case CTA.STATUS:
        need(from, to, 4, 'CTA_STATUS');
        f.status = readU32BE(buf, from);
        break;
      case CTA.TIMEOUT:
        need(from, to, 4, 'CTA_TIMEOUT');
        f.timeout = readU32BE(buf, from);
        break;
      case CTA.MARK:
        need(from, to, 4, 'CTA_MARK');
        f.mark = readU32BE(buf, from);
        break;
      case CTA.USE:
        need(from, to, 4, 'CTA_USE');
        f.use = readU32BE(buf, from);
        break;
      case CTA.ID:
        need(from, to, 4, 'CTA_ID');
        f.id = readU32BE(buf, from);
        break;
      case CTA.ZONE:
        need(from, to, 2, 'CTA_ZONE');
        f.zone = readU16BE(buf, from);
        break;
      case CTA.SECMARK:
        need(from, to, 4, 'CTA_SECMARK');
        f.secmark = readU32BE(buf, from);
        break;
      default:
        decodeRareAttr(buf, type, from, to, f);
    }
    off += nlaAlign_(len);
  }
  return f;
}

/** The attributes that are not on every entry (nested ones decode through walk()). */
function decodeRareAttr(buf: Buffer, type: number, from: number, to: number, f: Flow): void {
  const unknown = (): RawAttr[] => (f.unknown ??= []);
  switch (type) {
    case CTA.PROTOINFO:
      decodeProtoinfo(buf, from, to, f);
      break;
    case CTA.HELP: {
      const h: { name?: string; info?: Buffer } = {};
      walk(buf, from, to, 'CTA_HELP', (t, a, b) => {
        if (t === CTA_HELP.NAME) h.name = readCString(buf, a, b);
        else if (t === CTA_HELP.INFO) h.info = Buffer.from(buf.subarray(a, b));
        else unknown().push(rawAttr(buf, a, b));
      });
      f.helper = h;
      break;
    }
    case CTA.COUNTERS_ORIG:
      f.countersOrig = decodeCounters(buf, from, to, 'CTA_COUNTERS_ORIG', unknown);
      break;
    case CTA.COUNTERS_REPLY:
      f.countersReply = decodeCounters(buf, from, to, 'CTA_COUNTERS_REPLY', unknown);
      break;
    case CTA.SEQ_ADJ_ORIG:
      f.seqAdjOrig = decodeSeqAdj(buf, from, to, 'CTA_SEQ_ADJ_ORIG', unknown);
      break;
    case CTA.SEQ_ADJ_REPLY:
      f.seqAdjReply = decodeSeqAdj(buf, from, to, 'CTA_SEQ_ADJ_REPLY', unknown);
      break;
    case CTA.SECCTX:
      walk(buf, from, to, 'CTA_SECCTX', (t, a, b) => {
        if (t === CTA_SECCTX.NAME) f.secctx = readCString(buf, a, b);
        else unknown().push(rawAttr(buf, a, b));
      });
      break;
    case CTA.TIMESTAMP: {
      const ts: { start?: bigint; stop?: bigint } = {};
      walk(buf, from, to, 'CTA_TIMESTAMP', (t, a, b) => {
        if (t === CTA_TIMESTAMP.START) {
          need(a, b, 8, 'CTA_TIMESTAMP_START');
          ts.start = readU64BE(buf, a);
        } else if (t === CTA_TIMESTAMP.STOP) {
          need(a, b, 8, 'CTA_TIMESTAMP_STOP');
          ts.stop = readU64BE(buf, a);
        } else if (t !== CTA_TIMESTAMP.PAD) unknown().push(rawAttr(buf, a, b));
      });
      f.timestamp = ts;
      break;
    }
    case CTA.LABELS:
      f.labels = Buffer.from(buf.subarray(from, to));
      break;
    case CTA.LABELS_MASK:
      f.labelsMask = Buffer.from(buf.subarray(from, to));
      break;
    case CTA.SYNPROXY:
      f.synproxy = decodeSynproxy(buf, from, to, f);
      break;
    case CTA.TIMESTAMP_EVENT:
      need(from, to, 8, 'CTA_TIMESTAMP_EVENT');
      f.timestampEvent = readU64BE(buf, from);
      break;
    case CTA.NAT_SRC:
      f.natSrc = rawAttr(buf, from, to);
      break;
    case CTA.NAT_DST:
      f.natDst = rawAttr(buf, from, to);
      break;
    default:
      unknown().push(rawAttr(buf, from, to));
  }
}

/** CTA_SYNPROXY: the kernel sends it on every entry (zeros without synproxy), so written out as decodeTcpInfo. */
function decodeSynproxy(buf: Buffer, start: number, end: number, f: Flow): NonNullable<Flow['synproxy']> {
  const sp: NonNullable<Flow['synproxy']> = {};
  let off = start;
  while (off + HDRLEN <= end) {
    const len = nlaLen_(buf, off);
    if (nlaBad_(len, off, end)) badLength('CTA_SYNPROXY', off, start, len);
    const a = off + HDRLEN;
    const b = off + len;
    const t = nlaType_(buf, off);
    if (t === CTA_SYNPROXY.ISN) sp.isn = u32In(buf, a, b, 'CTA_SYNPROXY', 'CTA_SYNPROXY_ISN');
    else if (t === CTA_SYNPROXY.ITS) sp.its = u32In(buf, a, b, 'CTA_SYNPROXY', 'CTA_SYNPROXY_ITS');
    else if (t === CTA_SYNPROXY.TSOFF) sp.tsoff = u32In(buf, a, b, 'CTA_SYNPROXY', 'CTA_SYNPROXY_TSOFF');
    else (f.unknown ??= []).push(rawAttr(buf, a, b));
    off += nlaAlign_(len);
  }
  return sp;
}

/** Decodes the conntrack message buf[off, off+len) (nlmsghdr included). */
export function decodeFlow(buf: Buffer, off: number, len: number): Flow {
  if (len < ATTRS_OFFSET) throw new DecodeError(`conntrack message of ${len} bytes is shorter than its headers`);
  return decodeFlowAttrs(buf, off + ATTRS_OFFSET, off + len, ctFamily(buf, off));
}

/** IPCTNL_MSG_CT_GET_STATS_CPU reply: the CPU is nfgen res_id; u32 attributes kept in the order sent. */
export function decodeCpuStats(buf: Buffer, off: number, len: number): CpuStats {
  const cpu = buf.readUInt16BE(off + 18);
  const values: Array<[number, number]> = [];
  walk(buf, off + ATTRS_OFFSET, off + len, 'stats', (t, a, b) => {
    need(a, b, 4, `CTA_STATS type ${t}`);
    values.push([t, readU32BE(buf, a)]);
  });
  return { cpu, values };
}

/** IPCTNL_MSG_CT_GET_STATS reply. */
export function decodeGlobalStats(buf: Buffer, off: number, len: number): GlobalStats {
  const g: GlobalStats = {};
  walk(buf, off + ATTRS_OFFSET, off + len, 'stats', (t, a, b) => {
    if (t === CTA_STATS_GLOBAL.ENTRIES) {
      need(a, b, 4, 'CTA_STATS_GLOBAL_ENTRIES');
      g.entries = readU32BE(buf, a);
    } else if (t === CTA_STATS_GLOBAL.MAX_ENTRIES) {
      need(a, b, 4, 'CTA_STATS_GLOBAL_MAX_ENTRIES');
      g.maxEntries = readU32BE(buf, a);
    } else {
      (g.unknown ??= []).push(rawAttr(buf, a, b));
    }
  });
  return g;
}
