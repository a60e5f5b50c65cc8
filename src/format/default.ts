// The default conntrack line, piece by piece in the order of libnetfilter_conntrack's
// __snprintf_conntrack_default(): each piece is printed only when its attribute is present and ends with a
// space; the last space of the line is dropped.

import { IPPROTO, IPS } from '../ctnetlink/constants.js';
import { AF } from '../netlink/constants.js';
import type { Flow, MessageKind, Tuple } from '../ctnetlink/model.js';
import { WireTuple } from '../ctnetlink/decode.js';
import { Clock, ctime } from './clock.js';
import { LabelMap, labelNames } from './labelmap.js';
import { LineSink, StringLineSink } from './sink.js';
import { DCCP_STATES, l3Name, protoName, SCTP_STATES, stateName, TCP_STATES } from './tables.js';

export interface FlowFormat {
  /** NFCT_OF_SHOW_LAYER3 (-o extended) */
  extended?: boolean;
  /** NFCT_OF_ID (-o id) */
  id?: boolean;
  /** NFCT_OF_TIMESTAMP (-o ktimestamp) */
  ktimestamp?: boolean;
  /** the label map, when one was loaded (-o labels, -l, --label-add, --label-del) */
  labels?: LabelMap;
}

const EVENT_PREFIX: Record<MessageKind, string> = {
  unknown: '',
  new: '    [NEW] ', // "%9s "
  update: ' [UPDATE] ',
  destroy: '[DESTROY] ',
};

/** "%-8s %u " */
function columnText(name: string, n: number): string {
  return name.padEnd(8) + ' ' + n + ' ';
}

/** The column of each layer-3 and layer-4 protocol number, made once (every line starts with one or two). */
const columns: Array<Map<string, string>> = [];

function column(o: LineSink, name: string, n: number): void {
  if (n >= 0 && n < 256 && (n | 0) === n) {
    const byName = (columns[n] ??= new Map());
    let text = byName.get(name);
    if (text === undefined) byName.set(name, (text = columnText(name, n)));
    o.str(text);
  } else o.str(columnText(name, n));
}

function address(o: LineSink, t: Tuple): void {
  // printed only for AF_INET / AF_INET6 tuples; an absent address prints as the zero address
  const zero = t.family === AF.INET ? '0.0.0.0' : t.family === AF.INET6 ? '::' : undefined;
  if (zero === undefined) return;
  // a WireTuple's IPv4 addresses go from the message's bytes straight into the sink (no string per address)
  const w = t instanceof WireTuple ? t : undefined;
  o.str('src=');
  if (w && w.srcLen === 4) o.ipv4(w.wire, w.srcAt);
  else o.str(t.src ?? zero);
  o.str(' dst=');
  if (w && w.dstLen === 4) o.ipv4(w.wire, w.dstAt);
  else o.str(t.dst ?? zero);
  o.str(' ');
}

/** __snprintf_proto: the layer-4 part of a tuple, by protocol number. */
function l4Part(o: LineSink, t: Tuple): void {
  switch (t.protonum) {
    case IPPROTO.TCP:
    case IPPROTO.UDP:
    case IPPROTO.UDPLITE:
    case IPPROTO.SCTP:
    case IPPROTO.DCCP:
      o.str('sport=');
      o.num(t.srcPort ?? 0);
      o.str(' dport=');
      o.num(t.dstPort ?? 0);
      o.str(' ');
      break;
    case IPPROTO.GRE:
      o.str('srckey=0x' + (t.srcPort ?? 0).toString(16) + ' dstkey=0x' + (t.dstPort ?? 0).toString(16) + ' ');
      break;
    case IPPROTO.ICMP:
    case IPPROTO.ICMPV6:
      o.str('type=');
      o.num(t.icmpType ?? 0);
      o.str(' code=');
      o.num(t.icmpCode ?? 0);
      o.str(' id=');
      o.num(t.icmpId ?? 0);
      o.str(' ');
      break;
  }
}

function counters(o: LineSink, packets: bigint, bytes: bigint): void {
  o.str('packets=' + packets + ' bytes=' + bytes + ' ');
}

/**
 * Writes one entry as libnetfilter_conntrack's default output (no newline) into a LineSink: each piece ends
 * with a space, and the last character is dropped at the end.
 */
export function writeFlowDefault(o: LineSink, f: Flow, kind: MessageKind, fmt: FlowFormat, clock: Clock): void {
  o.str(EVENT_PREFIX[kind]);
  const orig = f.orig;
  const reply = f.reply;
  if (fmt.extended && orig) column(o, l3Name(f.family), f.family);
  if (orig && orig.protonum !== undefined) column(o, protoName(orig.protonum), orig.protonum);
  if (f.timeout !== undefined) {
    o.num(f.timeout);
    o.str(' ');
  }
  if (f.tcp && f.tcp.state !== undefined) {
    o.str(stateName(TCP_STATES, f.tcp.state));
    o.str(' ');
  }
  if (f.sctp && f.sctp.state !== undefined) o.str(stateName(SCTP_STATES, f.sctp.state) + ' ');
  if (f.dccp && f.dccp.state !== undefined) o.str(stateName(DCCP_STATES, f.dccp.state) + ' ');
  if (orig) {
    address(o, orig);
    l4Part(o, orig);
    if (orig.zone !== undefined) o.str('zone-orig=' + orig.zone + ' ');
  }
  const co = f.countersOrig;
  if (co && co.packets !== undefined && co.bytes !== undefined) counters(o, co.packets, co.bytes);
  if (f.status !== undefined && !(f.status & IPS.SEEN_REPLY)) o.str('[UNREPLIED] ');
  if (reply) {
    address(o, reply);
    l4Part(o, reply);
    if (reply.zone !== undefined) o.str('zone-reply=' + reply.zone + ' ');
  }
  const cr = f.countersReply;
  if (cr && cr.packets !== undefined && cr.bytes !== undefined) counters(o, cr.packets, cr.bytes);
  if (f.status !== undefined) {
    if (f.status & IPS.HW_OFFLOAD) o.str('[HW_OFFLOAD] ');
    else if (f.status & IPS.OFFLOAD) o.str('[OFFLOAD] ');
    else if (f.status & IPS.ASSURED) o.str('[ASSURED] ');
  }
  if (f.mark !== undefined) {
    o.str('mark=');
    o.num(f.mark);
    o.str(' ');
  }
  if (f.secmark !== undefined) o.str('secmark=' + f.secmark + ' ');
  if (f.secctx !== undefined) o.str('secctx=' + f.secctx + ' ');
  if (f.zone !== undefined) o.str('zone=' + f.zone + ' ');
  const ts = f.timestamp;
  if (ts && ts.start !== undefined) {
    // delta-time: (stop or now) - start, in whole seconds; a zero stop counts as "still running"
    const start = Number(ts.start / 1000000000n);
    const stop = ts.stop !== undefined && ts.stop !== 0n ? Number(ts.stop / 1000000000n) : clock.now();
    o.str('delta-time=' + BigInt.asUintN(64, BigInt(stop - start)) + ' ');
  }
  if (fmt.ktimestamp && ts) {
    if (ts.start !== undefined) o.str('[start=' + ctime(clock, Number(ts.start / 1000000000n)) + '] ');
    if (ts.stop !== undefined) o.str('[stop=' + ctime(clock, Number(ts.stop / 1000000000n)) + '] ');
  }
  if (f.helper && f.helper.name !== undefined) o.str('helper=' + f.helper.name + ' ');
  if (f.use !== undefined) {
    o.str('use=');
    o.num(f.use);
    o.str(' ');
  }
  if (fmt.id && f.id !== undefined) {
    o.str('id=');
    o.num(f.id);
    o.str(' ');
  }
  if (fmt.labels && f.labels && f.labels.length > 0) {
    const names = labelNames(fmt.labels, f.labels);
    // "labels=" then "name," per name, then the last character (',' or the '=') becomes a space
    o.str(names.length ? 'labels=' + names.join(',') + ' ' : 'labels ');
  }
  o.dropLast();
}

/** Formats one entry as libnetfilter_conntrack's default output, as a string without a newline. */
export function formatFlowDefault(f: Flow, kind: MessageKind, fmt: FlowFormat, clock: Clock): string {
  const o = new StringLineSink();
  writeFlowDefault(o, f, kind, fmt, clock);
  return o.text;
}
