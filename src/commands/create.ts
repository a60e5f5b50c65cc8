// -I (create) and -A (add: create, or update when it exists, as 1.4.8 does), conntrack.c CT_CREATE / CT_ADD.

import { AF, IPPROTO, PORT_PROTOCOLS } from '../ctnetlink/constants.js';
import type { TupleSpec } from '../ctnetlink/encode.js';
import type { CommandContext, CommandResult } from './context.js';
import type { CreateRequest } from './request.js';

/** the protocols whose reply tuple swaps the original's ports (GRE: its keys) */
const PORTED: ReadonlySet<number> = new Set([...PORT_PROTOCOLS, IPPROTO.GRE]);

// __icmp_reply_type / __icmpv6_reply_type: the reply tuple of an ICMP entry has the reply type
const ICMP_REPLY: Record<number, number> = { 8: 0, 0: 8, 13: 14, 14: 13, 15: 16, 16: 15, 17: 18, 18: 17 };
const ICMPV6_REPLY: Record<number, number> = { 128: 129, 129: 128, 139: 140, 140: 139 };

/** The ICMP reply type libnetfilter_conntrack's setter fills in; 255 (refused by the kernel) when there is none. */
export function icmpReplyType(type: number, l3: number | undefined): number {
  const r = l3 === AF.INET ? ICMP_REPLY[type] : l3 === AF.INET6 ? ICMPV6_REPLY[type] : undefined;
  return r ?? 255;
}

/** __autocomplete(): `into` becomes the inverse of the other tuple (addresses and ports swapped). */
export function inverse(other: TupleSpec, zone: number | undefined): TupleSpec {
  const ported = other.protonum !== undefined && PORTED.has(other.protonum);
  return {
    l3: other.l3,
    protonum: other.protonum,
    src: other.dst,
    dst: other.src,
    srcPort: ported ? other.dstPort : undefined,
    dstPort: ported ? other.srcPort : undefined,
    zone,
    icmpType: undefined,
    icmpCode: undefined,
    icmpId: undefined,
  };
}

/**
 * -I sends the entry exclusive (NLM_F_EXCL: EEXIST when it is there); -A not, so it creates or updates (1.4.8),
 * the flags as ctnetlink/requests.ts newConntrack() spells them.
 */
export async function create(req: CreateRequest, ctx: CommandContext): Promise<CommandResult> {
  try {
    await ctx.client.create({ family: req.family, entry: req.flow }, { exclusive: req.exclusive });
  } catch (e) {
    return { counter: 0, error: e };
  }
  return { counter: 1 };
}
