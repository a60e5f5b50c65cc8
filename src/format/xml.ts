// XML output, in the shape of libnetfilter_conntrack's __snprintf_conntrack_xml(), quirks included:
// SCTP and DCCP <state> use the TCP state names; counters of both directions are gated on the original ones.

import { IPPROTO, IPS } from '../ctnetlink/constants.js';
import { AF } from '../netlink/constants.js';
import type { Flow, MessageKind, Tuple } from '../ctnetlink/model.js';
import { BrokenDownTime, Clock } from './clock.js';
import type { FlowFormat } from './default.js';
import { labelNames } from './labelmap.js';
import { l3Name, protoName, stateName, TCP_STATES } from './tables.js';

export const XML_HEADER = '<?xml version="1.0" encoding="utf-8"?>\n<conntrack>\n';
export const XML_FOOTER = '</conntrack>\n';

const FLOW_OPEN: Record<MessageKind, string> = {
  unknown: '<flow>',
  new: '<flow type="new">',
  update: '<flow type="update">',
  destroy: '<flow type="destroy">',
};

function addr(t: Tuple, which: 'src' | 'dst'): string {
  const v = t[which];
  const text = t.family === AF.INET ? (v ?? '0.0.0.0') : t.family === AF.INET6 ? (v ?? '::') : '';
  return `<${which}>${text}</${which}>`;
}

function l4(t: Tuple): string {
  switch (t.protonum ?? 0) {
    case IPPROTO.TCP:
    case IPPROTO.UDP:
    case IPPROTO.UDPLITE:
    case IPPROTO.SCTP:
    case IPPROTO.DCCP:
      return `<sport>${t.srcPort ?? 0}</sport><dport>${t.dstPort ?? 0}</dport>`;
    case IPPROTO.GRE:
      return `<srckey>0x${(t.srcPort ?? 0).toString(16)}</srckey><dstkey>0x${(t.dstPort ?? 0).toString(16)}</dstkey>`;
    default:
      return '';
  }
}

function tuple(f: Flow, t: Tuple | undefined, dir: 'original' | 'reply'): string {
  // a missing tuple is all zeroes in libnetfilter_conntrack's struct (l3protonum 0, protonum 0)
  const tt: Tuple = t ?? { family: 0 };
  const l3 = t ? tt.family : 0;
  const p = tt.protonum ?? 0;
  let s = `<meta direction="${dir}"><layer3 protonum="${l3}" protoname="${l3Name(l3)}">${addr(tt, 'src')}${addr(tt, 'dst')}</layer3>`;
  s += `<layer4 protonum="${p}" protoname="${protoName(p)}">${l4(tt)}</layer4>`;
  if (tt.zone !== undefined) s += `<zone>${tt.zone}</zone>`;
  const co = f.countersOrig;
  if (co && co.packets !== undefined && co.bytes !== undefined) {
    const c = dir === 'original' ? co : f.countersReply;
    s += `<counters><packets>${c?.packets ?? 0n}</packets><bytes>${c?.bytes ?? 0n}</bytes></counters>`;
  }
  return s + '</meta>';
}

export function xmlWhen(t: BrokenDownTime): string {
  const p2 = (n: number): string => (n < 10 ? '0' + n : String(n));
  return (
    `<when><hour>${t.hour}</hour><min>${p2(t.min)}</min><sec>${p2(t.sec)}</sec><wday>${t.wday + 1}</wday>` +
    `<day>${t.mday}</day><month>${t.month + 1}</month><year>${t.year}</year></when>`
  );
}

export interface XmlFormat extends FlowFormat {
  /** NFCT_OF_TIME: a <when> element with the local time of printing (events with -o timestamp) */
  time?: boolean;
}

export function formatFlowXml(f: Flow, kind: MessageKind, fmt: XmlFormat, clock: Clock): string {
  let s = FLOW_OPEN[kind] + tuple(f, f.orig, 'original') + tuple(f, f.reply, 'reply');
  const ts = f.timestamp;
  const hasStart = ts?.start !== undefined;
  const hasStop = ts?.stop !== undefined;
  const independent =
    f.tcp?.state !== undefined ||
    f.sctp?.state !== undefined ||
    f.dccp?.state !== undefined ||
    f.timeout !== undefined ||
    f.mark !== undefined ||
    f.secmark !== undefined ||
    f.zone !== undefined ||
    f.use !== undefined ||
    f.status !== undefined ||
    f.id !== undefined ||
    (f.labels !== undefined && f.labels.length > 0) ||
    hasStart ||
    hasStop;
  if (independent) s += '<meta direction="independent">';
  if (f.tcp?.state !== undefined) s += `<state>${stateName(TCP_STATES, f.tcp.state)}</state>`;
  if (f.sctp?.state !== undefined) s += `<state>${stateName(TCP_STATES, f.sctp.state)}</state>`;
  if (f.dccp?.state !== undefined) s += `<state>${stateName(TCP_STATES, f.dccp.state)}</state>`;
  if (f.timeout !== undefined) s += `<timeout>${f.timeout}</timeout>`;
  if (f.mark !== undefined) s += `<mark>${f.mark}</mark>`;
  if (fmt.labels && f.labels && f.labels.length > 0) {
    s +=
      '<labels>' +
      labelNames(fmt.labels, f.labels)
        .map((n) => `<label>${n}</label>`)
        .join('') +
      '</labels>';
  }
  if (f.secmark !== undefined) s += `<secmark>${f.secmark}</secmark>`;
  if (f.secctx !== undefined) s += `<secctx>${f.secctx}</secctx>`;
  if (f.zone !== undefined) s += `<zone>${f.zone}</zone>`;
  if (f.use !== undefined) s += `<use>${f.use}</use>`;
  if (f.id !== undefined) s += `<id>${f.id}</id>`;
  if (f.status !== undefined && f.status & IPS.ASSURED) s += '<assured/>';
  if (f.status !== undefined && !(f.status & IPS.SEEN_REPLY)) s += '<unreplied/>';
  if (fmt.ktimestamp && (hasStart || hasStop)) {
    s += '<timestamp>';
    if (hasStart) s += `<start>${ts!.start}</start>`;
    if (hasStop) s += `<stop>${ts!.stop}</stop>`;
    s += '</timestamp>';
  }
  if (hasStart && hasStop) {
    s += `<deltatime>${BigInt.asUintN(64, (ts!.stop! - ts!.start!) / 1000000000n)}</deltatime>`;
  } else if (hasStart) {
    s += `<deltatime>${BigInt.asUintN(64, BigInt(clock.now() - Number(ts!.start! / 1000000000n)))}</deltatime>`;
  }
  if (independent) s += '</meta>';
  if (fmt.time) s += xmlWhen(clock.local(clock.now()));
  if (f.helper?.name !== undefined) s += `<helper>${f.helper.name}</helper>`;
  return s + '</flow>';
}
