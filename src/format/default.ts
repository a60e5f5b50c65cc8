// The default conntrack line, piece by piece in the order of libnetfilter_conntrack's
// __snprintf_conntrack_default(): each piece is printed only when its attribute is present and ends with a
// space; the last space of the line is dropped.

import { IPPROTO, IPS } from '../ctnetlink/constants.js';
import type { Flow, MessageKind, Tuple } from '../ctnetlink/model.js';
import { Clock, ctime } from './clock.js';
import { LabelMap, labelNames } from './labelmap.js';
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
const column = (name: string, n: number): string => name.padEnd(8, ' ') + ' ' + n + ' ';

function address(t: Tuple): string {
  // printed only for AF_INET / AF_INET6 tuples; an absent address prints as the zero address
  if (t.family === 2) return 'src=' + (t.src ?? '0.0.0.0') + ' dst=' + (t.dst ?? '0.0.0.0') + ' ';
  if (t.family === 10) return 'src=' + (t.src ?? '::') + ' dst=' + (t.dst ?? '::') + ' ';
  return '';
}

/** __snprintf_proto: the layer-4 part of a tuple, by protocol number. */
export function l4Part(t: Tuple): string {
  switch (t.protonum) {
    case IPPROTO.TCP:
    case IPPROTO.UDP:
    case IPPROTO.UDPLITE:
    case IPPROTO.SCTP:
    case IPPROTO.DCCP:
      return 'sport=' + (t.srcPort ?? 0) + ' dport=' + (t.dstPort ?? 0) + ' ';
    case IPPROTO.GRE:
      return 'srckey=0x' + (t.srcPort ?? 0).toString(16) + ' dstkey=0x' + (t.dstPort ?? 0).toString(16) + ' ';
    case IPPROTO.ICMP:
    case IPPROTO.ICMPV6:
      return 'type=' + (t.icmpType ?? 0) + ' code=' + (t.icmpCode ?? 0) + ' id=' + (t.icmpId ?? 0) + ' ';
    default:
      return '';
  }
}

/** Formats one entry as libnetfilter_conntrack's default output (no trailing newline). */
export function formatFlowDefault(f: Flow, kind: MessageKind, fmt: FlowFormat, clock: Clock): string {
  let s = EVENT_PREFIX[kind];
  const orig = f.orig;
  const reply = f.reply;
  if (fmt.extended && orig) s += column(l3Name(f.family), f.family);
  if (orig && orig.protonum !== undefined) s += column(protoName(orig.protonum), orig.protonum);
  if (f.timeout !== undefined) s += f.timeout + ' ';
  if (f.tcp && f.tcp.state !== undefined) s += stateName(TCP_STATES, f.tcp.state) + ' ';
  if (f.sctp && f.sctp.state !== undefined) s += stateName(SCTP_STATES, f.sctp.state) + ' ';
  if (f.dccp && f.dccp.state !== undefined) s += stateName(DCCP_STATES, f.dccp.state) + ' ';
  if (orig) s += address(orig) + l4Part(orig);
  if (orig && orig.zone !== undefined) s += 'zone-orig=' + orig.zone + ' ';
  const co = f.countersOrig;
  if (co && co.packets !== undefined && co.bytes !== undefined) s += 'packets=' + co.packets + ' bytes=' + co.bytes + ' ';
  if (f.status !== undefined && !(f.status & IPS.SEEN_REPLY)) s += '[UNREPLIED] ';
  if (reply) s += address(reply) + l4Part(reply);
  if (reply && reply.zone !== undefined) s += 'zone-reply=' + reply.zone + ' ';
  const cr = f.countersReply;
  if (cr && cr.packets !== undefined && cr.bytes !== undefined) s += 'packets=' + cr.packets + ' bytes=' + cr.bytes + ' ';
  if (f.status !== undefined) {
    if (f.status & IPS.HW_OFFLOAD) s += '[HW_OFFLOAD] ';
    else if (f.status & IPS.OFFLOAD) s += '[OFFLOAD] ';
    else if (f.status & IPS.ASSURED) s += '[ASSURED] ';
  }
  if (f.mark !== undefined) s += 'mark=' + f.mark + ' ';
  if (f.secmark !== undefined) s += 'secmark=' + f.secmark + ' ';
  if (f.secctx !== undefined) s += 'secctx=' + f.secctx + ' ';
  if (f.zone !== undefined) s += 'zone=' + f.zone + ' ';
  const ts = f.timestamp;
  if (ts && ts.start !== undefined) {
    // delta-time: (stop or now) - start, in whole seconds; a zero stop counts as "still running"
    const start = Number(ts.start / 1000000000n);
    const stop = ts.stop !== undefined && ts.stop !== 0n ? Number(ts.stop / 1000000000n) : clock.now();
    s += 'delta-time=' + BigInt.asUintN(64, BigInt(stop - start)) + ' ';
  }
  if (fmt.ktimestamp && ts) {
    if (ts.start !== undefined) s += '[start=' + ctime(clock, Number(ts.start / 1000000000n)) + '] ';
    if (ts.stop !== undefined) s += '[stop=' + ctime(clock, Number(ts.stop / 1000000000n)) + '] ';
  }
  if (f.helper && f.helper.name !== undefined) s += 'helper=' + f.helper.name + ' ';
  if (f.use !== undefined) s += 'use=' + f.use + ' ';
  if (fmt.id && f.id !== undefined) s += 'id=' + f.id + ' ';
  if (fmt.labels && f.labels && f.labels.length > 0) {
    const names = labelNames(fmt.labels, f.labels);
    // "labels=" then "name," per name, then the last character (',' or the '=') becomes a space
    s += names.length ? 'labels=' + names.join(',') + ' ' : 'labels ';
  }
  return s.length > 0 ? s.slice(0, -1) : s;
}
