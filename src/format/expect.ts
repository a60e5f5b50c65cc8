// Expectation output, in the shape of libnetfilter_conntrack 1.0.9's __snprintf_expect_default() and
// __snprintf_expect_xml() (src/expect/snprintf_*.c) as conntrack 1.4.7 prints them, quirks included:
//
// - Layer-3 numbers are cross-wired by the parser (nfexp_nlmsg_parse): the *expected* tuple gets the message
//   family when CTA_EXPECT_MASTER is present, the *mask* when CTA_EXPECT_TUPLE is, the *master* when
//   CTA_EXPECT_MASK is. A tuple whose layer-3 number stayed 0 prints no addresses (default) or empty
//   <src></src> (XML). The kernel always sends all three, so this only shows on hand-made messages.
// - A missing tuple is all zeroes: "proto=0", zero addresses (when its layer-3 number is set), no ports.
// - Each tuple's ports are printed by that tuple's own protocol number (the kernel puts the expected protocol
//   into the mask's CTA_PROTO_NUM, so the mask shows "sport=0 dport=65535" for TCP/UDP).
// - Flags print as "PERMANENT,INACTIVE,USERSPACE" (comma only after something) and one space if flags != 0,
//   even if no known bit is set (flags=8 prints a lone extra space).
// - "helper=%s" has no trailing space; the line's last character is dropped only if it is a space.
// - The helper name is copied into a 16-byte buffer: longer names are cut to 15 bytes.
// - conntrack prints through a 1024-byte buffer: longer output is cut to 1023 bytes.
// - CTA_EXPECT_ID is never parsed by libnetfilter_conntrack, so no id is printed in any format.

import { IPPROTO, NF_CT_EXPECT } from '../ctnetlink/constants.js';
import { AF } from '../netlink/constants.js';
import type { Expect } from '../ctnetlink/expect.js';
import type { MessageKind, Tuple } from '../ctnetlink/model.js';
import type { Clock } from './clock.js';
import { l3Name, protoName } from './tables.js';
import { xmlWhen } from './xml.js';

/** Printed before the first expectation with -o xml (dump_exp_cb / event_exp_cb in conntrack.c). */
export const EXPECT_XML_HEADER = '<?xml version="1.0" encoding="utf-8"?>\n<expect>\n';
/** Printed after -L expect (only if the header was printed) and by the -E expect signal handler. */
export const EXPECT_XML_FOOTER = '</expect>\n';

/** The output buffer of dump_exp_cb / event_exp_cb (char buf[1024]); nfexp_snprintf keeps 1023 bytes. */
const BUFFER_LIMIT = 1023;

const EVENT_PREFIX: Record<MessageKind, string> = {
  unknown: '',
  new: '    [NEW] ', // "%9s "
  update: ' [UPDATE] ',
  destroy: '[DESTROY] ',
};

const FLOW_OPEN: Record<MessageKind, string> = {
  unknown: '<flow>',
  new: '<flow type="new">',
  update: '<flow type="update">',
  destroy: '<flow type="destroy">',
};

/** A tuple as libnetfilter_conntrack's struct holds it after parsing: its layer-3 number and its fields. */
interface TupleView {
  l3: number;
  t: Tuple | undefined;
}

/** The three tuples with the layer-3 numbers nfexp_nlmsg_parse() gives them (cross-wired, see above). */
function views(e: Expect): { expected: TupleView; mask: TupleView; master: TupleView } {
  return {
    expected: { l3: e.master ? e.family : 0, t: e.tuple },
    mask: { l3: e.tuple ? e.family : 0, t: e.mask },
    master: { l3: e.mask ? e.family : 0, t: e.master },
  };
}

function address(v: TupleView, which: 'src' | 'dst'): string | undefined {
  if (v.l3 === AF.INET) return v.t?.[which] ?? '0.0.0.0';
  if (v.l3 === AF.INET6) return v.t?.[which] ?? '::';
  return undefined;
}

/** __snprintf_address with the given tags: "%s=%s %s=%s " for AF_INET / AF_INET6, else nothing. */
function addressPart(v: TupleView, srcTag: string, dstTag: string): string {
  const src = address(v, 'src');
  if (src === undefined) return '';
  return `${srcTag}=${src} ${dstTag}=${address(v, 'dst')} `;
}

/** __snprintf_proto: the layer-4 part of a tuple, by that tuple's protocol number. */
function l4Part(t: Tuple | undefined): string {
  switch (t?.protonum ?? 0) {
    case IPPROTO.TCP:
    case IPPROTO.UDP:
    case IPPROTO.UDPLITE:
    case IPPROTO.SCTP:
    case IPPROTO.DCCP:
      return `sport=${t!.srcPort ?? 0} dport=${t!.dstPort ?? 0} `;
    case IPPROTO.GRE:
      return `srckey=0x${(t!.srcPort ?? 0).toString(16)} dstkey=0x${(t!.dstPort ?? 0).toString(16)} `;
    case IPPROTO.ICMP:
    case IPPROTO.ICMPV6:
      return `type=${t!.icmpType ?? 0} code=${t!.icmpCode ?? 0} id=${t!.icmpId ?? 0} `;
    default:
      return '';
  }
}

/** snprintf(helper_name, NFCT_HELPER_NAME_MAX = 16, "%s", name): at most 15 bytes survive. */
function helperName(name: string): string {
  // text is one byte per character (src/text.ts)
  return name.length <= 15 ? name : name.slice(0, 15);
}

/** The 1024-byte output buffer of conntrack's expectation callbacks. */
function limit(s: string): string {
  return s.length <= BUFFER_LIMIT ? s : s.slice(0, BUFFER_LIMIT);
}

/**
 * One expectation as libnetfilter_conntrack's default output (no newline). kind is 'unknown' for dumps
 * (-L expect, -G expect) and 'new' / 'update' / 'destroy' for events (-E expect).
 */
export function formatExpectDefault(e: Expect, kind: MessageKind): string {
  const { expected, mask, master } = views(e);
  let s = EVENT_PREFIX[kind];
  if (e.timeout !== undefined) s += `${e.timeout} `;
  s += `proto=${e.tuple?.protonum ?? 0} `;
  s += addressPart(expected, 'src', 'dst') + l4Part(expected.t);
  s += addressPart(mask, 'mask-src', 'mask-dst') + l4Part(mask.t);
  s += addressPart(master, 'master-src', 'master-dst') + l4Part(master.t);
  if (e.zone !== undefined) s += `zone=${e.zone} `;
  const flags = e.flags ?? 0;
  let delim = '';
  if (flags & NF_CT_EXPECT.PERMANENT) {
    s += 'PERMANENT';
    delim = ',';
  }
  if (flags & NF_CT_EXPECT.INACTIVE) {
    s += delim + 'INACTIVE';
    delim = ',';
  }
  if (flags & NF_CT_EXPECT.USERSPACE) s += delim + 'USERSPACE';
  if (flags) s += ' ';
  if (e.class !== undefined) s += `class=${e.class} `;
  if (e.helpName !== undefined) s += `helper=${helperName(e.helpName)}`;
  if (s.endsWith(' ')) s = s.slice(0, -1);
  return limit(s);
}

function addrXml(v: TupleView, which: 'src' | 'dst'): string {
  return `<${which}>${address(v, which) ?? ''}</${which}>`;
}

/** __snprintf_proto_xml for both ends: ports / GRE keys, nothing for other protocols (ICMP included). */
function l4Xml(t: Tuple | undefined): string {
  switch (t?.protonum ?? 0) {
    case IPPROTO.TCP:
    case IPPROTO.UDP:
    case IPPROTO.UDPLITE:
    case IPPROTO.SCTP:
    case IPPROTO.DCCP:
      return `<sport>${t!.srcPort ?? 0}</sport><dport>${t!.dstPort ?? 0}</dport>`;
    case IPPROTO.GRE:
      return `<srckey>0x${(t!.srcPort ?? 0).toString(16)}</srckey><dstkey>0x${(t!.dstPort ?? 0).toString(16)}</dstkey>`;
    default:
      return '';
  }
}

export interface ExpectXmlFormat {
  /** NFCT_OF_TIME: a <when> element with the local time of printing (-o xml,timestamp) */
  time?: boolean;
}

/** One expectation as libnetfilter_conntrack's XML output (one line, no newline; header/footer are separate). */
export function formatExpectXml(e: Expect, kind: MessageKind, opts: ExpectXmlFormat, clock: Clock): string {
  const { expected, mask, master } = views(e);
  const l3 = expected.l3;
  const p = e.tuple?.protonum ?? 0;
  let s = FLOW_OPEN[kind];
  s += `<layer3 protonum="${l3}" protoname="${l3Name(l3)}">`;
  s += `<expected>${addrXml(expected, 'src')}${addrXml(expected, 'dst')}</expected>`;
  s += `<mask>${addrXml(mask, 'src')}${addrXml(mask, 'dst')}</mask>`;
  s += `<master>${addrXml(master, 'src')}${addrXml(master, 'dst')}</master>`;
  s += '</layer3>';
  s += `<layer4 protonum="${p}" protoname="${protoName(p)}">`;
  s += `<expected>${l4Xml(expected.t)}</expected><mask>${l4Xml(mask.t)}</mask><master>${l4Xml(master.t)}</master>`;
  s += '</layer4><meta>';
  if (e.helpName !== undefined) s += `<helper-name>${helperName(e.helpName)}</helper-name>`;
  if (e.timeout !== undefined) s += `<timeout>${e.timeout}</timeout>`;
  if (e.class !== undefined) s += `<class>${e.class}</class>`;
  if (e.zone !== undefined) s += `<zone>${e.zone}</zone>`;
  if (opts.time) s += xmlWhen(clock.local(clock.now()));
  const flags = e.flags ?? 0;
  if (flags & NF_CT_EXPECT.PERMANENT) s += '<permanent/>';
  if (flags & NF_CT_EXPECT.INACTIVE) s += '<inactive/>';
  if (flags & NF_CT_EXPECT.USERSPACE) s += '<userspace/>';
  s += '</meta></flow>';
  return limit(s);
}

/**
 * The "-o timestamp" prefix conntrack prints before each expectation line (dump_exp_cb and event_exp_cb, default
 * output only): printf("[%-8ld.%-6ld]\t", tv_sec, tv_usec) - left-justified and padded with SPACES on the right
 * (usec 5 → "5     "), unlike the zero-padded "[%-.8ld.%-.6ld]" of conntrack events.
 */
export function expectEventTimestamp(sec: number, usec: number): string {
  return `[${String(sec).padEnd(8, ' ')}.${String(usec).padEnd(6, ' ')}]\t`;
}
