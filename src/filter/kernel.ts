// What of a command's filter the kernel can apply to a dump, so that fewer entries cross the socket. The
// userspace filter still runs on everything the kernel returns (exact conntrack semantics, and kernels that
// ignore an attribute); a kernel that rejects a filter gets the request again without it.

import { OPT } from '../cli/commands.js';
import type { Template } from '../cli/template.js';
import { PORT_PROTOCOLS } from '../ctnetlink/constants.js';
import type { TupleFilter } from '../ctnetlink/encode.js';
import type { DumpFilter, U32Filter } from '../ctnetlink/requests.js';

export interface KernelFilterInput {
  options: number;
  family: number;
  tmpl: Template;
}

/** Protocols whose ports the kernel's CTA_FILTER compares, as conntrack's own comparison does. */

/**
 * The original-tuple part: exact addresses (not CIDR: those are checked in userspace), the protocol and, for
 * the protocols above, the ports. Undefined when nothing can be pushed down.
 */
export function tupleFilterOf(input: KernelFilterInput): TupleFilter | undefined {
  const { options, family, tmpl } = input;
  // the kernel refuses CTA_FILTER without a family (EINVAL on 6.18), and two dumps, one per family, would
  // not come out in the order of one: only a command with a family gets the tuple filter
  if (family !== 2 && family !== 10) return undefined;
  const f: TupleFilter = { l3: family };
  let any = false;
  if (family === 2 || family === 10) {
    if (options & OPT.ORIG_SRC && !(options & OPT.MASK_SRC) && tmpl.orig.src) {
      f.src = tmpl.orig.src;
      any = true;
    }
    if (options & OPT.ORIG_DST && !(options & OPT.MASK_DST) && tmpl.orig.dst) {
      f.dst = tmpl.orig.dst;
      any = true;
    }
  }
  const p = tmpl.orig.protonum;
  if (p !== undefined) {
    f.protonum = p;
    any = true;
    if (PORT_PROTOCOLS.has(p)) {
      if (tmpl.orig.srcPort !== undefined) f.srcPort = tmpl.orig.srcPort;
      if (tmpl.orig.dstPort !== undefined) f.dstPort = tmpl.orig.dstPort;
    }
  }
  return any ? f : undefined;
}

/**
 * -U's selection by status. There -u is a value to set (each entry gets the bits OR'ed on, as 1.4.8 does), so
 * a bit it sets selects nothing. A bit it wants absent (UNREPLIED: no SEEN_REPLY; "!ASSURED") cannot be set:
 * it selects what `-L -u` with the same argument lists, as for -D. (1.4.7 and 1.4.8 update every entry.)
 */
export function updateStatusFilter(tmpl: Template): U32Filter | undefined {
  const s = tmpl.filterStatusKernel;
  const absent = s ? (s.mask & ~s.value) >>> 0 : 0;
  return absent ? { value: 0, mask: absent } : undefined;
}

/**
 * The dump filter for -L (conntrack 1.4.7 sends the family, the mark and the status; we add the original tuple)
 * and for -D (1.4.7 sends the family and the mark; we add the status, whose userspace check 1.4.7 got wrong
 * for UNREPLIED and negations, and the tuple). For -U (`update`) -m is a value to set, not a filter, and the
 * status filters only as updateStatusFilter() says.
 */
export function kernelDumpFilter(input: KernelFilterInput, command: 'select' | 'update' = 'select'): DumpFilter {
  const f: DumpFilter = { family: input.family };
  const mark = command === 'update' ? undefined : input.tmpl.filterMarkKernel;
  const status = command === 'update' ? updateStatusFilter(input.tmpl) : input.tmpl.filterStatusKernel;
  if (mark) f.mark = mark;
  if (status) f.status = status;
  const tuple = tupleFilterOf(input);
  if (tuple) f.tuple = tuple;
  return f;
}
