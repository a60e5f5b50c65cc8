// -I (create) and -A (add: create, or update when it exists, as 1.4.8 does), conntrack.c CT_CREATE / CT_ADD.

import type { ParsedCommand } from '../cli/parse.js';
import { CMD, OPT, OPT_ORIG, OPT_REPL } from '../cli/commands.js';
import { otherProblem } from '../cli/errors.js';
import type { TupleTemplate } from '../cli/template.js';
import { ConntrackClient } from '../ctnetlink/client.js';
import { IPCTNL_MSG_CT, IPPROTO, PORT_PROTOCOLS } from '../ctnetlink/constants.js';
import type { TupleSpec } from '../ctnetlink/encode.js';
import { EntrySpec, entryAttrs, labelBitmap } from '../ctnetlink/template.js';
import { AF, NFNL_SUBSYS, NLM_F } from '../netlink/constants.js';
import type { NfRequest } from '../netlink/framing.js';
import type { CommandContext, CommandResult } from './context.js';

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

function spec(t: TupleTemplate, l3: number): TupleSpec {
  return { l3, src: t.src, dst: t.dst, protonum: t.protonum, srcPort: t.srcPort, dstPort: t.dstPort, zone: t.zone, icmpType: undefined, icmpCode: undefined, icmpId: undefined };
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

/** The entry a -I / -A line describes (nfct_setobjopt SETUP_REPLY / SETUP_ORIGINAL, then the template). */
export function entryFromTemplate(cmd: ParsedCommand): EntrySpec {
  const { tmpl, options } = cmd;
  let orig = spec(tmpl.orig, tmpl.orig.l3 ?? 0);
  let reply = spec(tmpl.reply, tmpl.reply.l3 ?? 0);
  if (options & OPT_ORIG && !(options & OPT_REPL)) reply = inverse(orig, tmpl.reply.zone);
  else if (!(options & OPT_ORIG) && options & OPT_REPL) orig = inverse(reply, tmpl.orig.zone);
  const t = tmpl.orig;
  if (t.protonum === IPPROTO.ICMP || t.protonum === IPPROTO.ICMPV6 || t.icmpType !== undefined || t.icmpCode !== undefined || t.icmpId !== undefined) {
    // the ICMP setters fill both tuples: the same code and id, the reply type for the reply
    orig.icmpType = t.icmpType;
    orig.icmpCode = t.icmpCode;
    orig.icmpId = t.icmpId;
    reply.icmpType = t.icmpType !== undefined ? icmpReplyType(t.icmpType, t.l3) : undefined;
    reply.icmpCode = t.icmpCode;
    reply.icmpId = t.icmpId;
  }
  return {
    orig,
    reply,
    status: tmpl.status,
    timeout: tmpl.timeout,
    mark: options & OPT.MARK && tmpl.mark ? tmpl.mark.value : undefined,
    secmark: tmpl.secmark,
    tcpState: tmpl.tcpState,
    tcpFlags: tmpl.tcpFlags,
    sctpState: tmpl.sctpState,
    sctpVtagOrig: tmpl.sctpVtagOrig,
    sctpVtagReply: tmpl.sctpVtagReply,
    dccpState: tmpl.dccpState,
    dccpRole: tmpl.dccpRole,
    snat: tmpl.snat,
    dnat: tmpl.dnat,
    zone: tmpl.zone,
    labels: options & OPT.ADD_LABEL && tmpl.labelModify ? labelBitmap(tmpl.labelModify) : undefined,
    labelsMask: undefined,
  };
}

/**
 * IPCTNL_MSG_CT_NEW for -I (NLM_F_CREATE | NLM_F_EXCL) or -A (NLM_F_CREATE only: conntrack 1.4.8 made -A
 * create-or-update; 1.4.7 sent EXCL too and silently ignored EEXIST).
 */
export function createRequest(cmd: ParsedCommand, excl = cmd.command === CMD.CT_CREATE): NfRequest {
  const flags = NLM_F.CREATE | NLM_F.ACK | (excl ? NLM_F.EXCL : 0);
  return { subsys: NFNL_SUBSYS.CTNETLINK, msg: IPCTNL_MSG_CT.NEW, flags, family: cmd.family, attrs: entryAttrs(entryFromTemplate(cmd)) };
}

export async function create(cmd: ParsedCommand, ctx: CommandContext): Promise<CommandResult> {
  const client = ctx.client;
  if (!(client instanceof ConntrackClient)) throw otherProblem("Can't open handler");
  try {
    await client.socket.request(createRequest(cmd));
  } catch (e) {
    return { counter: 0, error: e };
  }
  return { counter: 1 };
}
