// -o json (our addition): one JSON object per entry, one per line (NDJSON), from the typed model. Every attribute
// the kernel sent is present, nothing else; addresses are strings, 64-bit values (counters, timestamps) are
// decimal strings so that no JSON reader loses precision. Keys always come in the order written below; the
// schema is schema/flow.schema.json.

import { IPPROTO, IPS } from '../ctnetlink/constants.js';
import type { Counters, Flow, MessageKind, SeqAdj, Tuple } from '../ctnetlink/model.js';
import type { RawAttr } from '../netlink/attributes.js';
import type { LabelMap } from './labelmap.js';
import { flowStateName, l3Name, protoName } from './tables.js';

export type Json = string | number | boolean | Json[] | { [key: string]: Json };
export type JsonObject = { [key: string]: Json };

/** IPS_* flag names, lowest bit first. */
const STATUS_NAMES: Array<[number, string]> = Object.entries(IPS).map(([name, bit]) => [bit, name]);

export function statusNames(status: number): string[] {
  return STATUS_NAMES.filter(([bit]) => status & bit).map(([, name]) => name);
}

function tupleJson(t: Tuple, counters: Counters | undefined): JsonObject {
  const o: JsonObject = {};
  if (t.src !== undefined) o.src = t.src;
  if (t.dst !== undefined) o.dst = t.dst;
  if (t.protonum !== undefined) o.protonum = t.protonum;
  // GRE carries its keys in the port attributes
  const keys = t.protonum === IPPROTO.GRE;
  if (t.srcPort !== undefined) o[keys ? 'srckey' : 'sport'] = t.srcPort;
  if (t.dstPort !== undefined) o[keys ? 'dstkey' : 'dport'] = t.dstPort;
  if (t.icmpType !== undefined) o.icmpType = t.icmpType;
  if (t.icmpCode !== undefined) o.icmpCode = t.icmpCode;
  if (t.icmpId !== undefined) o.icmpId = t.icmpId;
  if (t.zone !== undefined) o.zone = t.zone;
  if (counters?.packets !== undefined) o.packets = String(counters.packets);
  if (counters?.bytes !== undefined) o.bytes = String(counters.bytes);
  if (t.unknown) o.unknownAttrs = unknownJson(t.unknown);
  return o;
}

function seqAdjJson(s: SeqAdj): JsonObject {
  const o: JsonObject = {};
  if (s.correctionPos !== undefined) o.correctionPos = s.correctionPos;
  if (s.offsetBefore !== undefined) o.offsetBefore = s.offsetBefore;
  if (s.offsetAfter !== undefined) o.offsetAfter = s.offsetAfter;
  return o;
}

function unknownJson(attrs: RawAttr[]): Json[] {
  return attrs.map((a) => ({ type: a.type, nested: a.nested, data: a.data.toString('hex') }));
}

/** Set bits of the kernel's label bitmap, lowest first. */
function labelBits(bits: Uint8Array): number[] {
  const out: number[] = [];
  for (let i = 0; i < bits.length * 8; i++) if ((bits[i >> 3] >> (i & 7)) & 1) out.push(i);
  return out;
}

/** The entry as one object; `kind` other than 'unknown' (an event, or -D's deletions) becomes "type". */
export function flowJson(f: Flow, kind: MessageKind, labelmap?: LabelMap): JsonObject {
  const o: JsonObject = {};
  if (kind !== 'unknown') o.type = kind;
  o.family = l3Name(f.family);
  const p = f.orig?.protonum ?? f.reply?.protonum;
  if (p !== undefined) {
    o.protocol = protoName(p);
    o.protonum = p;
  }
  if (f.orig) o.original = tupleJson(f.orig, f.countersOrig);
  if (f.reply) o.reply = tupleJson(f.reply, f.countersReply);
  if (f.master) o.master = tupleJson(f.master, undefined);
  const state = flowStateName(f);
  if (state !== undefined) o.state = state;
  if (f.status !== undefined) {
    o.status = statusNames(f.status);
    o.statusBits = f.status;
  }
  if (f.timeout !== undefined) o.timeout = f.timeout;
  if (f.mark !== undefined) o.mark = f.mark;
  if (f.secmark !== undefined) o.secmark = f.secmark;
  if (f.secctx !== undefined) o.secctx = f.secctx;
  if (f.zone !== undefined) o.zone = f.zone;
  if (f.use !== undefined) o.use = f.use;
  if (f.id !== undefined) o.id = f.id;
  if (f.helper?.name !== undefined) o.helper = f.helper.name;
  if (f.labels !== undefined) {
    const bits = labelBits(f.labels);
    o.labels = bits;
    if (labelmap) o.labelNames = bits.map((b) => labelmap.names[b]).filter((n): n is string => n !== undefined);
  }
  if (f.labelsMask !== undefined) o.labelsMask = labelBits(f.labelsMask);
  if (f.timestamp) {
    const ts: JsonObject = {};
    if (f.timestamp.start !== undefined) ts.start = String(f.timestamp.start);
    if (f.timestamp.stop !== undefined) ts.stop = String(f.timestamp.stop);
    o.timestamp = ts;
  }
  if (f.timestampEvent !== undefined) o.timestampEvent = String(f.timestampEvent);
  if (f.tcp) {
    const t: JsonObject = {};
    if (f.tcp.state !== undefined) t.state = f.tcp.state;
    if (f.tcp.wscaleOrig !== undefined) t.wscaleOrig = f.tcp.wscaleOrig;
    if (f.tcp.wscaleReply !== undefined) t.wscaleReply = f.tcp.wscaleReply;
    if (f.tcp.flagsOrig) t.flagsOrig = { ...f.tcp.flagsOrig };
    if (f.tcp.flagsReply) t.flagsReply = { ...f.tcp.flagsReply };
    o.tcp = t;
  }
  if (f.sctp) {
    const t: JsonObject = {};
    if (f.sctp.state !== undefined) t.state = f.sctp.state;
    if (f.sctp.vtagOrig !== undefined) t.vtagOrig = f.sctp.vtagOrig;
    if (f.sctp.vtagReply !== undefined) t.vtagReply = f.sctp.vtagReply;
    o.sctp = t;
  }
  if (f.dccp) {
    const t: JsonObject = {};
    if (f.dccp.state !== undefined) t.state = f.dccp.state;
    if (f.dccp.role !== undefined) t.role = f.dccp.role;
    if (f.dccp.handshakeSeq !== undefined) t.handshakeSeq = String(f.dccp.handshakeSeq);
    o.dccp = t;
  }
  if (f.seqAdjOrig) o.seqAdjOrig = seqAdjJson(f.seqAdjOrig);
  if (f.seqAdjReply) o.seqAdjReply = seqAdjJson(f.seqAdjReply);
  if (f.synproxy) {
    const s: JsonObject = {};
    if (f.synproxy.isn !== undefined) s.isn = f.synproxy.isn;
    if (f.synproxy.its !== undefined) s.its = f.synproxy.its;
    if (f.synproxy.tsoff !== undefined) s.tsoff = f.synproxy.tsoff;
    o.synproxy = s;
  }
  if (f.helper?.info !== undefined) o.helperInfo = f.helper.info.toString('hex');
  if (f.natSrc) o.natSrc = unknownJson([f.natSrc])[0];
  if (f.natDst) o.natDst = unknownJson([f.natDst])[0];
  if (f.unknown) o.unknownAttrs = unknownJson(f.unknown);
  return o;
}

export function formatFlowJson(f: Flow, kind: MessageKind, labelmap?: LabelMap): string {
  return JSON.stringify(flowJson(f, kind, labelmap));
}
