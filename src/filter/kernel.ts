// What of a command's filter the kernel can apply to a dump, so that fewer entries cross the socket. The
// userspace filter still runs on everything the kernel returns (exact conntrack semantics, and kernels that
// ignore an attribute); a kernel that rejects a filter gets the request again without it.

import { PORT_PROTOCOLS } from '../ctnetlink/constants.js';
import type { TupleFilter } from '../ctnetlink/encode.js';
import type { DumpFilter, U32Filter } from '../ctnetlink/requests.js';
import type { FlowQuery } from './query.js';
import type { Flow } from '../ctnetlink/model.js';
import { addrText } from './userspace.js';

/**
 * The original-tuple part: exact addresses (not networks: those are checked in userspace), the protocol and,
 * for the protocols whose ports conntrack compares (PORT_PROTOCOLS), the ports. Undefined when nothing can be
 * pushed down.
 */
export function tupleFilterOf(q: FlowQuery): TupleFilter | undefined {
  const { family, orig } = q;
  // the kernel refuses CTA_FILTER without a family (EINVAL on 6.18), and two dumps, one per family, would
  // not come out in the order of one: only a command with a family gets the tuple filter
  if (family !== 2 && family !== 10) return undefined;
  const f: TupleFilter = { l3: family };
  let any = false;
  if (orig.src) {
    f.src = orig.src;
    any = true;
  }
  if (orig.dst) {
    f.dst = orig.dst;
    any = true;
  }
  const p = orig.protonum;
  if (p !== undefined) {
    f.protonum = p;
    any = true;
    if (PORT_PROTOCOLS.has(p)) {
      if (orig.srcPort !== undefined) f.srcPort = orig.srcPort;
      if (orig.dstPort !== undefined) f.dstPort = orig.dstPort;
    }
  }
  return any ? f : undefined;
}

/**
 * -U's selection by status, from the status filter `-L -u` would use. There -u is a value to set (each entry
 * gets the bits OR'ed on, as 1.4.8 does), so a bit it sets selects nothing. A bit it wants absent (UNREPLIED: no
 * SEEN_REPLY; "!ASSURED") cannot be set: it selects what `-L -u` with the same argument lists, as for -D. (1.4.7
 * and 1.4.8 update every entry.)
 */
export function updateStatusFilter(s: U32Filter | undefined): U32Filter | undefined {
  const absent = s ? (s.mask & ~s.value) >>> 0 : 0;
  return absent ? { value: 0, mask: absent } : undefined;
}

/**
 * The dump filter for a query: the family, the mark, the status filter and the original tuple. For -L conntrack
 * 1.4.7 sends the family, the mark and the status (we add the original tuple); for -D the family and the mark
 * (we add the status, whose userspace check 1.4.7 got wrong for UNREPLIED and negations, and the tuple). -U's
 * query has no mark (-m is a value to set there) and the status filter of updateStatusFilter().
 */
export function kernelDumpFilter(q: FlowQuery): DumpFilter {
  const f: DumpFilter = { family: q.family };
  if (q.mark) f.mark = q.mark;
  if (q.statusFilter) f.status = q.statusFilter;
  const tuple = tupleFilterOf(q);
  if (tuple) f.tuple = tuple;
  return f;
}

/**
 * What the kernel's dump filter (ctnetlink_filter_match) keeps, tested on a decoded entry: for a dump that could
 * not carry it (the one dump of -R's -D lines, commands/delete-run.ts). The kernel reads an absent mark or status as 0.
 */
export function matchesDumpFilter(d: DumpFilter, f: Flow): boolean {
  if (d.family && f.family !== d.family) return false;
  if (d.mark && ((f.mark ?? 0) & d.mark.mask) >>> 0 !== d.mark.value) return false;
  if (d.status && ((f.status ?? 0) & d.status.mask) >>> 0 !== d.status.value) return false;
  const t = d.tuple;
  if (t) {
    const o = f.orig;
    if (!o) return false;
    if (t.src && o.src !== addrText(t.src)) return false;
    if (t.dst && o.dst !== addrText(t.dst)) return false;
    if (t.protonum !== undefined && o.protonum !== t.protonum) return false;
    if (t.srcPort !== undefined && o.srcPort !== t.srcPort) return false;
    if (t.dstPort !== undefined && o.dstPort !== t.dstPort) return false;
  }
  return true;
}

/**
 * What every one of the dump filters requires: the filter of one dump that serves them all (-R's runs of -D and -U
 * lines, commands/delete-run.ts and update-run.ts). Whatever one of the filters keeps, this keeps, in the same
 * order (a filtered dump is the whole dump less what it skips); each line's own filter is then tested on what
 * arrives (matchesDumpFilter). Ports are kept only with the protocol they belong to.
 */
export function commonDumpFilter(filters: readonly DumpFilter[]): DumpFilter {
  const [first, ...rest] = filters;
  const f: DumpFilter = { family: rest.every((d) => d.family === first.family) ? first.family : 0 };
  const mark = first.mark;
  if (mark && rest.every((d) => sameU32(d.mark, mark))) f.mark = mark;
  const status = first.status;
  if (status && rest.every((d) => sameU32(d.status, status))) f.status = status;
  const t = first.tuple;
  if (t && rest.every((d) => d.tuple?.l3 === t.l3)) {
    const tuples = rest.map((d) => d.tuple as TupleFilter);
    const c: TupleFilter = { l3: t.l3 };
    if (t.src && tuples.every((u) => sameBytes(u.src, t.src))) c.src = t.src;
    if (t.dst && tuples.every((u) => sameBytes(u.dst, t.dst))) c.dst = t.dst;
    if (t.protonum !== undefined && tuples.every((u) => u.protonum === t.protonum)) {
      c.protonum = t.protonum;
      if (t.srcPort !== undefined && tuples.every((u) => u.srcPort === t.srcPort)) c.srcPort = t.srcPort;
      if (t.dstPort !== undefined && tuples.every((u) => u.dstPort === t.dstPort)) c.dstPort = t.dstPort;
    }
    if (c.src || c.dst || c.protonum !== undefined) f.tuple = c;
  }
  return f;
}

const sameU32 = (a: U32Filter | undefined, b: U32Filter): boolean => a !== undefined && a.value === b.value && a.mask === b.mask;
const sameBytes = (a: Uint8Array | undefined, b: Uint8Array | undefined): boolean =>
  a !== undefined && b !== undefined && a.length === b.length && a.every((x, i) => x === b[i]);
