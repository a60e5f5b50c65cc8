// What the write operations take: the model's plain objects (a Flow as dump() yields it, or any part of one, with
// string addresses) for library users, or an EntrySpec (network-order address bytes, the shape the command line's
// template resolves to) with its message family. Both become the EntrySpec the encoder writes (template.ts).

import { AF } from '../netlink/constants.js';
import { ERRNO } from '../netlink/errno.js';
import { NetlinkError } from '../netlink/socket/nfnl-socket.js';
import type { AttrNode } from '../netlink/attributes.js';
import { addressBytes } from './addresses.js';
import { CTA } from './constants.js';
import { tupleAttr, type TupleSpec } from './encode.js';
import type { Flow, Tuple } from './model.js';
import type { EntrySpec, TupleTemplate } from './template.js';

/** A tuple as a library user writes it: the model's Tuple, the family optional (the flow's, else AF_INET). */
export type TupleInput = Omit<Tuple, 'family' | 'unknown'> & { family?: number };

/**
 * A flow to create, update, get or delete: the model's Flow, any field optional. Of what the kernel accepts from
 * userspace, these are sent: both tuples, status, timeout, mark, zone, labels (and their mask), the TCP / SCTP /
 * DCCP state (and TCP flags, SCTP vtags), the helper's name; the rest (counters, id, use, timestamps) is the kernel's and ignored.
 */
export interface FlowInput {
  /** nfgen_family: by default the original tuple's, else AF_INET */
  family?: number;
  orig?: TupleInput;
  reply?: TupleInput;
  status?: number;
  timeout?: number;
  mark?: number;
  zone?: number;
  labels?: Uint8Array;
  labelsMask?: Uint8Array;
  tcp?: { state?: number; flags?: number };
  sctp?: { state?: number; vtagOrig?: number; vtagReply?: number };
  dccp?: { state?: number; role?: number };
  /** the helper a new entry gets (CTA_HELP), e.g. `{ name: 'ftp' }`: expectations need a master with one */
  helper?: { name?: string };
}

/** An entry as the command line resolves it (EntrySpec), with the family of its message. */
export interface FlowSpec {
  family: number;
  entry: EntrySpec;
}

export const isFlowSpec = (f: FlowInput | FlowSpec): f is FlowSpec => (f as FlowSpec).entry !== undefined;

function addr(s: string | undefined, what: string): Uint8Array | undefined {
  if (s === undefined) return undefined;
  const b = addressBytes(s);
  if (!b) throw new RangeError(`${what}: not an IPv4 or IPv6 address: ${s}`);
  return b;
}

/** The encoder's tuple of a model tuple: addresses as network-order bytes, its family as the layer-3 protocol. */
export function tupleSpecOf(t: TupleInput, family: number): TupleSpec {
  const src = addr(t.src, 'src');
  const dst = addr(t.dst, 'dst');
  const l3 = t.family ?? (src?.length === 16 || dst?.length === 16 ? AF.INET6 : family);
  return {
    l3,
    src,
    dst,
    protonum: t.protonum,
    srcPort: t.srcPort,
    dstPort: t.dstPort,
    icmpType: t.icmpType,
    icmpCode: t.icmpCode,
    icmpId: t.icmpId,
    zone: t.zone,
  };
}

/** The FlowSpec of a library user's flow (or the spec itself). */
export function flowSpecOf(f: FlowInput | FlowSpec): FlowSpec {
  if (isFlowSpec(f)) return f;
  const orig = f.orig ? tupleSpecOf(f.orig, f.family ?? AF.INET) : undefined;
  const family = f.family ?? orig?.l3 ?? AF.INET;
  const entry: EntrySpec = {
    orig,
    reply: f.reply ? tupleSpecOf(f.reply, family) : undefined,
    status: f.status,
    timeout: f.timeout,
    mark: f.mark,
    zone: f.zone,
    labels: f.labels,
    labelsMask: f.labelsMask,
    tcpState: f.tcp?.state,
    tcpFlags: f.tcp?.flags,
    sctpState: f.sctp?.state,
    sctpVtagOrig: f.sctp?.vtagOrig,
    sctpVtagReply: f.sctp?.vtagReply,
    dccpState: f.dccp?.state,
    dccpRole: f.dccp?.role,
    helper: f.helper?.name,
  };
  return { family, entry };
}

/** The identity of a dumped or given flow: its tuples and zone (what the kernel looks an entry up by). */
export function identityOf(f: Flow | FlowInput | FlowSpec): FlowSpec {
  const s = flowSpecOf(isFlowSpec(f) ? f : { family: f.family, orig: f.orig, reply: f.reply, zone: f.zone });
  return { family: s.family, entry: { orig: s.entry.orig, reply: s.entry.reply, zone: s.entry.zone } };
}

const hasTuple = (t: TupleTemplate): boolean =>
  t.l3 !== undefined ||
  t.src !== undefined ||
  t.dst !== undefined ||
  t.protonum !== undefined ||
  t.srcPort !== undefined ||
  t.dstPort !== undefined ||
  t.zone !== undefined ||
  t.icmpType !== undefined ||
  t.icmpCode !== undefined ||
  t.icmpId !== undefined;

/**
 * nfct_nlmsg_build() of a lookup's tuples, the only attributes the kernel reads for a GET; libnetfilter_conntrack
 * refuses to build the message without the original layer-3 protocol (EINVAL). The reply tuple carries no ICMP
 * fields (they live on the original tuple).
 */
export function lookupTuples(orig: TupleTemplate, reply: TupleTemplate = {}): AttrNode[] {
  if (orig.l3 === undefined) throw new NetlinkError(ERRNO.EINVAL);
  const attrs: AttrNode[] = [];
  if (hasTuple(orig)) attrs.push(tupleAttr(CTA.TUPLE_ORIG, { ...orig, l3: orig.l3 }));
  if (hasTuple(reply))
    attrs.push(tupleAttr(CTA.TUPLE_REPLY, { ...reply, l3: reply.l3 ?? 0, icmpType: undefined, icmpCode: undefined, icmpId: undefined }));
  return attrs;
}
