// Decoding ctnetlink messages into the model. Hand-rolled attribute loops (one per nesting level) keep a
// million-entry dump fast; every unknown attribute is kept raw, and errors name the attribute path.

import { DecodeError, RawAttr, rawAttr, readU16BE, readU32BE, readU64BE } from '../netlink/attributes.js';
import { NLA_TYPE_MASK } from '../netlink/constants.js';
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

type Visit = (type: number, from: number, to: number) => void;

/** Attribute walk with the bounds checks of forEachAttr, inlined for the hot path. */
function walk(buf: Buffer, start: number, end: number, path: string, visit: Visit): void {
  let off = start;
  while (off + 4 <= end) {
    const len = buf[off] | (buf[off + 1] << 8);
    if (len < 4 || off + len > end) {
      throw new DecodeError(`attribute at offset ${off - start} has bad length ${len}`, [path]);
    }
    visit((buf[off + 2] | (buf[off + 3] << 8)) & NLA_TYPE_MASK, off + 4, off + len);
    off += (len + 3) & ~3;
  }
}

function need(from: number, to: number, n: number, path: string): void {
  if (to - from < n) throw new DecodeError(`payload of ${to - from} bytes, want ${n}`, [path]);
}

function keep(list: RawAttr[] | undefined, buf: Buffer, from: number, to: number): RawAttr[] {
  const l = list ?? [];
  l.push(rawAttr(buf, from, to));
  return l;
}

function cString(buf: Buffer, from: number, to: number): string {
  let end = from;
  while (end < to && buf[end] !== 0) end++;
  return buf.toString('utf8', from, end);
}

export function decodeTuple(buf: Buffer, start: number, end: number, family: number, path: string): Tuple {
  const t: Tuple = { family };
  walk(buf, start, end, path, (type, from, to) => {
    switch (type) {
      case CTA_TUPLE.IP:
        walk(buf, from, to, `${path} > CTA_TUPLE_IP`, (ipType, a, b) => {
          switch (ipType) {
            case CTA_IP.V4_SRC:
              need(a, b, 4, `${path} > CTA_IP_V4_SRC`);
              t.src = formatIPv4(buf, a);
              break;
            case CTA_IP.V4_DST:
              need(a, b, 4, `${path} > CTA_IP_V4_DST`);
              t.dst = formatIPv4(buf, a);
              break;
            case CTA_IP.V6_SRC:
              need(a, b, 16, `${path} > CTA_IP_V6_SRC`);
              t.src = formatIPv6(buf, a);
              break;
            case CTA_IP.V6_DST:
              need(a, b, 16, `${path} > CTA_IP_V6_DST`);
              t.dst = formatIPv6(buf, a);
              break;
            default:
              t.unknown = keep(t.unknown, buf, a, b);
          }
        });
        break;
      case CTA_TUPLE.PROTO:
        walk(buf, from, to, `${path} > CTA_TUPLE_PROTO`, (pType, a, b) => {
          switch (pType) {
            case CTA_PROTO.NUM:
              need(a, b, 1, `${path} > CTA_PROTO_NUM`);
              t.protonum = buf[a];
              break;
            case CTA_PROTO.SRC_PORT:
              need(a, b, 2, `${path} > CTA_PROTO_SRC_PORT`);
              t.srcPort = readU16BE(buf, a);
              break;
            case CTA_PROTO.DST_PORT:
              need(a, b, 2, `${path} > CTA_PROTO_DST_PORT`);
              t.dstPort = readU16BE(buf, a);
              break;
            case CTA_PROTO.ICMP_ID:
            case CTA_PROTO.ICMPV6_ID:
              need(a, b, 2, `${path} > CTA_PROTO_ICMP_ID`);
              t.icmpId = readU16BE(buf, a);
              break;
            case CTA_PROTO.ICMP_TYPE:
            case CTA_PROTO.ICMPV6_TYPE:
              need(a, b, 1, `${path} > CTA_PROTO_ICMP_TYPE`);
              t.icmpType = buf[a];
              break;
            case CTA_PROTO.ICMP_CODE:
            case CTA_PROTO.ICMPV6_CODE:
              need(a, b, 1, `${path} > CTA_PROTO_ICMP_CODE`);
              t.icmpCode = buf[a];
              break;
            default:
              t.unknown = keep(t.unknown, buf, a, b);
          }
        });
        break;
      case CTA_TUPLE.ZONE:
        need(from, to, 2, `${path} > CTA_TUPLE_ZONE`);
        t.zone = readU16BE(buf, from);
        break;
      default:
        t.unknown = keep(t.unknown, buf, from, to);
    }
  });
  return t;
}

function decodeCounters(buf: Buffer, start: number, end: number, path: string, unknown: () => RawAttr[]): Counters {
  const c: Counters = {};
  walk(buf, start, end, path, (type, a, b) => {
    switch (type) {
      case CTA_COUNTERS.PACKETS:
        need(a, b, 8, `${path} > CTA_COUNTERS_PACKETS`);
        c.packets = readU64BE(buf, a);
        break;
      case CTA_COUNTERS.BYTES:
        need(a, b, 8, `${path} > CTA_COUNTERS_BYTES`);
        c.bytes = readU64BE(buf, a);
        break;
      case CTA_COUNTERS.PACKETS32:
        need(a, b, 4, `${path} > CTA_COUNTERS32_PACKETS`);
        c.packets = BigInt(readU32BE(buf, a));
        break;
      case CTA_COUNTERS.BYTES32:
        need(a, b, 4, `${path} > CTA_COUNTERS32_BYTES`);
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

function decodeSeqAdj(buf: Buffer, start: number, end: number, path: string): SeqAdj {
  const s: SeqAdj = {};
  walk(buf, start, end, path, (type, a, b) => {
    need(a, b, 4, path);
    if (type === CTA_SEQADJ.CORRECTION_POS) s.correctionPos = readU32BE(buf, a);
    else if (type === CTA_SEQADJ.OFFSET_BEFORE) s.offsetBefore = readU32BE(buf, a);
    else if (type === CTA_SEQADJ.OFFSET_AFTER) s.offsetAfter = readU32BE(buf, a);
  });
  return s;
}

function decodeProtoinfo(buf: Buffer, start: number, end: number, f: Flow): void {
  walk(buf, start, end, 'CTA_PROTOINFO', (type, from, to) => {
    switch (type) {
      case CTA_PROTOINFO.TCP: {
        const tcp: TcpInfo = {};
        walk(buf, from, to, 'CTA_PROTOINFO > CTA_PROTOINFO_TCP', (t, a, b) => {
          switch (t) {
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
        });
        f.tcp = tcp;
        break;
      }
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
  });
}

/** Decodes the attributes of a conntrack message body (after nfgenmsg) given the message's family. */
export function decodeFlowAttrs(buf: Buffer, start: number, end: number, family: number): Flow {
  const f: Flow = { family };
  const unknown = (): RawAttr[] => (f.unknown ??= []);
  walk(buf, start, end, 'conntrack', (type, from, to) => {
    switch (type) {
      case CTA.TUPLE_ORIG:
        f.orig = decodeTuple(buf, from, to, family, 'CTA_TUPLE_ORIG');
        break;
      case CTA.TUPLE_REPLY:
        f.reply = decodeTuple(buf, from, to, family, 'CTA_TUPLE_REPLY');
        break;
      case CTA.TUPLE_MASTER:
        f.master = decodeTuple(buf, from, to, family, 'CTA_TUPLE_MASTER');
        break;
      case CTA.STATUS:
        need(from, to, 4, 'CTA_STATUS');
        f.status = readU32BE(buf, from);
        break;
      case CTA.PROTOINFO:
        decodeProtoinfo(buf, from, to, f);
        break;
      case CTA.HELP: {
        const h: { name?: string; info?: Buffer } = {};
        walk(buf, from, to, 'CTA_HELP', (t, a, b) => {
          if (t === CTA_HELP.NAME) h.name = cString(buf, a, b);
          else if (t === CTA_HELP.INFO) h.info = Buffer.from(buf.subarray(a, b));
          else unknown().push(rawAttr(buf, a, b));
        });
        f.helper = h;
        break;
      }
      case CTA.TIMEOUT:
        need(from, to, 4, 'CTA_TIMEOUT');
        f.timeout = readU32BE(buf, from);
        break;
      case CTA.MARK:
        need(from, to, 4, 'CTA_MARK');
        f.mark = readU32BE(buf, from);
        break;
      case CTA.COUNTERS_ORIG:
        f.countersOrig = decodeCounters(buf, from, to, 'CTA_COUNTERS_ORIG', unknown);
        break;
      case CTA.COUNTERS_REPLY:
        f.countersReply = decodeCounters(buf, from, to, 'CTA_COUNTERS_REPLY', unknown);
        break;
      case CTA.USE:
        need(from, to, 4, 'CTA_USE');
        f.use = readU32BE(buf, from);
        break;
      case CTA.ID:
        need(from, to, 4, 'CTA_ID');
        f.id = readU32BE(buf, from);
        break;
      case CTA.SEQ_ADJ_ORIG:
        f.seqAdjOrig = decodeSeqAdj(buf, from, to, 'CTA_SEQ_ADJ_ORIG');
        break;
      case CTA.SEQ_ADJ_REPLY:
        f.seqAdjReply = decodeSeqAdj(buf, from, to, 'CTA_SEQ_ADJ_REPLY');
        break;
      case CTA.SECMARK:
        need(from, to, 4, 'CTA_SECMARK');
        f.secmark = readU32BE(buf, from);
        break;
      case CTA.ZONE:
        need(from, to, 2, 'CTA_ZONE');
        f.zone = readU16BE(buf, from);
        break;
      case CTA.SECCTX:
        walk(buf, from, to, 'CTA_SECCTX', (t, a, b) => {
          if (t === CTA_SECCTX.NAME) f.secctx = cString(buf, a, b);
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
      case CTA.SYNPROXY: {
        const s: { isn?: number; its?: number; tsoff?: number } = {};
        walk(buf, from, to, 'CTA_SYNPROXY', (t, a, b) => {
          need(a, b, 4, 'CTA_SYNPROXY');
          if (t === CTA_SYNPROXY.ISN) s.isn = readU32BE(buf, a);
          else if (t === CTA_SYNPROXY.ITS) s.its = readU32BE(buf, a);
          else if (t === CTA_SYNPROXY.TSOFF) s.tsoff = readU32BE(buf, a);
          else unknown().push(rawAttr(buf, a, b));
        });
        f.synproxy = s;
        break;
      }
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
  });
  return f;
}

/** Decodes the conntrack message buf[off, off+len) (nlmsghdr included). */
export function decodeFlow(buf: Buffer, off: number, len: number): Flow {
  if (len < ATTRS_OFFSET) throw new DecodeError(`conntrack message of ${len} bytes is shorter than its headers`);
  return decodeFlowAttrs(buf, off + ATTRS_OFFSET, off + len, buf[off + 16]);
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
    }
  });
  return g;
}
