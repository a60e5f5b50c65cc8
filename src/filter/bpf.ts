// What of -E's filter the kernel can decide on an event's bytes, as a classic BPF socket filter: events that
// cannot match are dropped before they are queued for the socket, so a burst of them costs the listener no
// wakeup, no copy and no receive buffer. The program only ever drops what the userspace filter (userspace.ts
// compileFilter, and the family test of -E) would skip; whatever it cannot decide it lets through, and the
// userspace filter still runs on everything that arrives, so the output is the same with or without it.
//
// Decided here: the family, the mark, the CIDR networks of the original addresses, and with conntrack's
// comparison (CT_COMPARISON options) the id, status bits, the status filter, the TCP/SCTP/DCCP state, the zone,
// and per tuple the layer-3 family, the layer-4 protocol, the ports and the exact addresses. Left to userspace:
// NAT (-n/-g/-j), labels, the timeout, ICMP fields, tuple zones.

import { BPF, BpfAssembler, NEXT, SKF_AD, SKF_AD_OFF, type SockFilter, type Target } from '../netlink/bpf.js';
import { AF, NFGENMSG_LEN, NLA_HDRLEN, NLMSG_HDRLEN } from '../netlink/constants.js';
import {
  CTA,
  CTA_IP,
  CTA_PROTO,
  CTA_PROTOINFO,
  CTA_PROTOINFO_DCCP,
  CTA_PROTOINFO_SCTP,
  CTA_PROTOINFO_TCP,
  CTA_TUPLE,
  PORT_PROTOCOLS,
} from '../ctnetlink/constants.js';
import type { TupleTemplate } from '../ctnetlink/template.js';
import type { U32Filter } from '../ctnetlink/requests.js';
import type { FlowQuery, Network } from './query.js';

/** struct nfgenmsg's nfgen_family: the first byte after the netlink header */
const NFGEN_FAMILY_AT = NLMSG_HDRLEN;
/** where a conntrack message's attributes start */
const ATTRS_AT = NLMSG_HDRLEN + NFGENMSG_LEN;
/** what an accepted message keeps: all of it */
const ACCEPT = 0xffffffff;
const REJECT_LABEL = 'reject';

/** What happens to the event when an attribute a check reads is not there. */
type Absent = 'reject' | 'pass';

/** A path of attribute types from the top level down, e.g. [CTA.TUPLE_ORIG, CTA_TUPLE.PROTO, CTA_PROTO.NUM]. */
type AttrPath = readonly number[];

/** A value check on the payload of the attribute a path leads to: (value & mask) == want, word by word. */
interface ValueCheck {
  path: AttrPath;
  /** the payload's width */
  size: 'u8' | 'be16' | 'be32';
  mask?: number;
  want: number;
}

class EventFilterProgram {
  readonly asm = new BpfAssembler();

  /** A = the offset of the attribute at `path`, jumping to `absent` when any step of it is missing. */
  private find(path: AttrPath, absent: Target): void {
    const a = this.asm;
    a.stmt(BPF.LD | BPF.IMM, ATTRS_AT);
    path.forEach((type, depth) => {
      a.stmt(BPF.LDX | BPF.IMM, type);
      a.stmt(BPF.LD | BPF.W | BPF.ABS, SKF_AD_OFF + (depth === 0 ? SKF_AD.NLATTR : SKF_AD.NLATTR_NEST));
      a.jump(BPF.JEQ | BPF.K, 0, absent, NEXT);
    });
    // X = the attribute's offset, for the loads of its payload
    a.stmt(BPF.MISC | BPF.TAX);
  }

  private absentTarget(absent: Absent, pass: string): Target {
    return absent === 'reject' ? REJECT_LABEL : pass;
  }

  /** rejects the event unless the attribute at `path` is there */
  present(path: AttrPath): void {
    this.find(path, REJECT_LABEL);
  }

  family(f: number): void {
    this.asm.stmt(BPF.LD | BPF.B | BPF.ABS, NFGEN_FAMILY_AT);
    this.asm.jump(BPF.JEQ | BPF.K, f, NEXT, REJECT_LABEL);
  }

  value(c: ValueCheck, absent: Absent): void {
    const pass = this.asm.newLabel('pass');
    this.find(c.path, this.absentTarget(absent, pass));
    const size = c.size === 'u8' ? BPF.B : c.size === 'be16' ? BPF.H : BPF.W;
    this.asm.stmt(BPF.LD | size | BPF.IND, NLA_HDRLEN);
    if (c.mask !== undefined) this.asm.stmt(BPF.ALU | BPF.AND | BPF.K, c.mask);
    this.asm.jump(BPF.JEQ | BPF.K, c.want, NEXT, REJECT_LABEL);
    this.asm.label(pass);
  }

  /** A byte string (an address) at `path`, masked: every 32-bit word equal. */
  bytes(path: AttrPath, want: Uint8Array, mask: Uint8Array | undefined, absent: Absent): void {
    const pass = this.asm.newLabel('pass');
    this.find(path, this.absentTarget(absent, pass));
    for (let i = 0; i + 4 <= want.length; i += 4) {
      const w = word(want, i);
      const m = mask ? word(mask, i) : 0xffffffff;
      if (m === 0) continue;
      this.asm.stmt(BPF.LD | BPF.W | BPF.IND, NLA_HDRLEN + i);
      if (m !== 0xffffffff) this.asm.stmt(BPF.ALU | BPF.AND | BPF.K, m);
      this.asm.jump(BPF.JEQ | BPF.K, w, NEXT, REJECT_LABEL);
    }
    this.asm.label(pass);
  }

  /** The zone compares as 0 when the event has none (nfct_cmp's non-strict attribute). */
  zone(zone: number): void {
    const absent = this.asm.newLabel('nozone');
    const done = this.asm.newLabel('zone');
    this.find([CTA.ZONE], absent);
    this.asm.stmt(BPF.LD | BPF.H | BPF.IND, NLA_HDRLEN);
    this.asm.jump(BPF.JEQ | BPF.K, zone, done, REJECT_LABEL);
    this.asm.label(absent);
    if (zone !== 0) this.asm.goto(REJECT_LABEL);
    this.asm.label(done);
  }

  finish(): SockFilter[] {
    this.asm.stmt(BPF.RET | BPF.K, ACCEPT);
    this.asm.label(REJECT_LABEL);
    this.asm.stmt(BPF.RET | BPF.K, 0);
    return this.asm.assemble();
  }
}

const word = (b: Uint8Array, i: number): number => ((b[i] << 24) | (b[i + 1] << 16) | (b[i + 2] << 8) | b[i + 3]) >>> 0;

function u32Check(path: AttrPath, f: U32Filter): ValueCheck {
  return { path, size: 'be32', mask: f.mask >>> 0, want: (f.value & f.mask) >>> 0 };
}

const ipAttr = (len: number, dir: 'src' | 'dst'): number =>
  len === 4 ? (dir === 'src' ? CTA_IP.V4_SRC : CTA_IP.V4_DST) : dir === 'src' ? CTA_IP.V6_SRC : CTA_IP.V6_DST;

/** cmp_orig / cmp_repl (userspace.ts cmpTuple): what of one tuple of the template the bytes decide. */
function tupleChecks(p: EventFilterProgram, tupleType: number, t: TupleTemplate): void {
  if (t.l3 !== undefined) {
    // the tuple must be there, and the entry of that family
    p.present([tupleType]);
    p.family(t.l3);
  }
  if (t.protonum !== undefined) {
    const proto = [tupleType, CTA_TUPLE.PROTO];
    p.value({ path: [...proto, CTA_PROTO.NUM], size: 'u8', want: t.protonum }, 'reject');
    if (PORT_PROTOCOLS.has(t.protonum)) {
      if (t.srcPort !== undefined) p.value({ path: [...proto, CTA_PROTO.SRC_PORT], size: 'be16', want: t.srcPort }, 'reject');
      if (t.dstPort !== undefined) p.value({ path: [...proto, CTA_PROTO.DST_PORT], size: 'be16', want: t.dstPort }, 'reject');
    }
  }
  // an address compares by its text, so an entry of the other family (the other attribute) does not match
  for (const dir of ['src', 'dst'] as const) {
    const a = t[dir];
    if (a !== undefined) p.bytes([tupleType, CTA_TUPLE.IP, ipAttr(a.length, dir)], a, undefined, 'reject');
  }
}

/** filter_network(): the original address inside the network; an event without the address is left to userspace. */
function networkCheck(p: EventFilterProgram, dir: 'src' | 'dst', n: Network): void {
  // the original tuple must be there and the entry of the network's family
  p.present([CTA.TUPLE_ORIG]);
  p.family(n.family);
  p.bytes([CTA.TUPLE_ORIG, CTA_TUPLE.IP, ipAttr(n.mask.length, dir)], n.net, n.mask, 'pass');
}

/**
 * The socket filter for the conntrack events of a query, or undefined when the kernel can decide nothing of it
 * (every event may match). Address families other than AF_INET / AF_INET6 in the query leave it undecided.
 */
export function compileEventFilter(q: FlowQuery): SockFilter[] | undefined {
  const p = new EventFilterProgram();
  if (q.family !== AF.UNSPEC) p.family(q.family);
  // filter_mark(): the event must carry a mark
  if (q.mark) p.value(u32Check([CTA.MARK], q.mark), 'reject');
  for (const dir of ['src', 'dst'] as const) {
    const n = q.networks[dir];
    if (n) networkCheck(p, dir, n);
  }
  if (q.compare) {
    if (q.id !== undefined) p.value({ path: [CTA.ID], size: 'be32', want: q.id >>> 0 }, 'reject');
    if (q.status !== undefined) p.value({ path: [CTA.STATUS], size: 'be32', mask: q.status >>> 0, want: q.status >>> 0 }, 'reject');
    if (q.statusFilter) p.value(u32Check([CTA.STATUS], q.statusFilter), 'reject');
    const state = (proto: number, type: number, want: number | undefined): void => {
      if (want !== undefined) p.value({ path: [CTA.PROTOINFO, proto, type], size: 'u8', want }, 'reject');
    };
    state(CTA_PROTOINFO.TCP, CTA_PROTOINFO_TCP.STATE, q.tcpState);
    state(CTA_PROTOINFO.SCTP, CTA_PROTOINFO_SCTP.STATE, q.sctpState);
    state(CTA_PROTOINFO.DCCP, CTA_PROTOINFO_DCCP.STATE, q.dccpState);
    if (q.zone !== undefined) p.zone(q.zone);
    tupleChecks(p, CTA.TUPLE_ORIG, q.orig);
    tupleChecks(p, CTA.TUPLE_REPLY, q.reply);
  }
  if (p.asm.length === 0) return undefined;
  try {
    return p.finish();
  } catch {
    // a program too long for 8-bit jumps: the userspace filter alone decides
    return undefined;
  }
}

/** A tuple's fields the program leaves to userspace: ICMP fields, the directional zone, ports of a portless protocol. */
function tupleLeavesSome(t: TupleTemplate): boolean {
  if (t.icmpType !== undefined || t.icmpCode !== undefined || t.icmpId !== undefined || t.zone !== undefined) return true;
  const ports = t.srcPort !== undefined || t.dstPort !== undefined;
  return ports && (t.protonum === undefined || !PORT_PROTOCOLS.has(t.protonum));
}

/**
 * Whether compileEventFilter's program decides every event of the query by itself: there is one, and nothing of
 * the query is left to userspace (NAT, labels, the timeout, ICMP fields, tuple zones). Then only matching events
 * reach the socket, however many the kernel sends (ctnetlink/event-stream.ts reads those in the listener's own
 * process). The userspace filter still runs on them.
 */
export function eventFilterDecidesAll(q: FlowQuery): boolean {
  if (q.nat || q.labels) return false;
  if (q.family !== AF.UNSPEC && q.family !== AF.INET && q.family !== AF.INET6) return false;
  if (q.compare && (q.timeout !== undefined || tupleLeavesSome(q.orig) || tupleLeavesSome(q.reply))) return false;
  return compileEventFilter(q) !== undefined;
}
