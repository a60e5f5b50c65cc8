// -I (create) and -A (add: create, or update when it exists, as 1.4.8 does), conntrack.c CT_CREATE / CT_ADD.

import { otherProblem } from './errors.js';
import { ConntrackClient } from '../ctnetlink/client.js';
import { IPCTNL_MSG_CT, IPPROTO, PORT_PROTOCOLS } from '../ctnetlink/constants.js';
import type { TupleSpec } from '../ctnetlink/encode.js';
import { entryAttrs } from '../ctnetlink/template.js';
import { AF, NFNL_SUBSYS, NLM_F } from '../netlink/constants.js';
import type { NfRequest } from '../netlink/framing.js';
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
 * IPCTNL_MSG_CT_NEW for -I (NLM_F_CREATE | NLM_F_EXCL) or -A (NLM_F_CREATE only: conntrack 1.4.8 made -A
 * create-or-update; 1.4.7 sent EXCL too and silently ignored EEXIST).
 */
export function createRequest(req: CreateRequest): NfRequest {
  const flags = NLM_F.CREATE | NLM_F.ACK | (req.exclusive ? NLM_F.EXCL : 0);
  return { subsys: NFNL_SUBSYS.CTNETLINK, msg: IPCTNL_MSG_CT.NEW, flags, family: req.family, attrs: entryAttrs(req.flow) };
}

export async function create(req: CreateRequest, ctx: CommandContext): Promise<CommandResult> {
  const client = ctx.client;
  if (!(client instanceof ConntrackClient)) throw otherProblem("Can't open handler");
  try {
    await client.transport.request(createRequest(req));
  } catch (e) {
    return { counter: 0, error: e };
  }
  return { counter: 1 };
}
