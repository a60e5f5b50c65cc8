// -I (create) and -A (add: create, or update when it exists, as 1.4.8 does), conntrack.c CT_CREATE / CT_ADD.

import type { ParsedCommand } from '../cli/parse.js';
import { CMD, OPT, OPT_ORIG, OPT_REPL } from '../cli/commands.js';
import { otherProblem } from '../cli/errors.js';
import type { TupleTemplate } from '../cli/template.js';
import { ConntrackClient } from '../ctnetlink/client.js';
import { IPCTNL_MSG_CT, IPPROTO } from '../ctnetlink/constants.js';
import type { TupleSpec } from '../ctnetlink/encode.js';
import { EntrySpec, entryAttrs, labelBitmap } from '../ctnetlink/template.js';
import { NFNL_SUBSYS, NLM_F } from '../netlink/constants.js';
import type { NfRequest } from '../netlink/framing.js';
import type { CommandContext, CommandResult } from './context.js';

const PORTED = new Set<number>([IPPROTO.UDP, IPPROTO.TCP, IPPROTO.SCTP, IPPROTO.DCCP, IPPROTO.GRE, IPPROTO.UDPLITE]);

// __icmp_reply_type / __icmpv6_reply_type: the reply tuple of an ICMP entry has the reply type
const ICMP_REPLY: Record<number, number> = { 8: 0, 0: 8, 13: 14, 14: 13, 15: 16, 16: 15, 17: 18, 18: 17 };
const ICMPV6_REPLY: Record<number, number> = { 128: 129, 129: 128, 139: 140, 140: 139 };

/** The ICMP reply type libnetfilter_conntrack's setter fills in; 255 (refused by the kernel) when there is none. */
export function icmpReplyType(type: number, l3: number | undefined): number {
  const r = l3 === 2 ? ICMP_REPLY[type] : l3 === 10 ? ICMPV6_REPLY[type] : undefined;
  return r ?? 255;
}

function spec(t: TupleTemplate, l3: number): TupleSpec {
  return { l3, src: t.src, dst: t.dst, protonum: t.protonum, srcPort: t.srcPort, dstPort: t.dstPort, zone: t.zone };
}

/** __autocomplete(): a tuple as the inverse of the other one (addresses and ports swapped). */
function inverse(other: TupleSpec): TupleSpec {
  const t: TupleSpec = { l3: other.l3, protonum: other.protonum, src: other.dst, dst: other.src };
  if (other.protonum !== undefined && PORTED.has(other.protonum)) {
    t.srcPort = other.dstPort;
    t.dstPort = other.srcPort;
  }
  return t;
}

/** The entry a -I / -A line describes (nfct_setobjopt SETUP_REPLY / SETUP_ORIGINAL, then the template). */
export function entryFromTemplate(cmd: ParsedCommand): EntrySpec {
  const { tmpl, options } = cmd;
  let orig = spec(tmpl.orig, tmpl.orig.l3 ?? 0);
  let reply = spec(tmpl.reply, tmpl.reply.l3 ?? 0);
  const icmp = tmpl.orig.protonum === IPPROTO.ICMP || tmpl.orig.protonum === IPPROTO.ICMPV6;
  if (options & OPT_ORIG && !(options & OPT_REPL)) reply = { ...inverse(orig), zone: tmpl.reply.zone };
  else if (!(options & OPT_ORIG) && options & OPT_REPL) orig = { ...inverse(reply), zone: tmpl.orig.zone };
  if (icmp || tmpl.orig.icmpType !== undefined || tmpl.orig.icmpCode !== undefined || tmpl.orig.icmpId !== undefined) {
    // the ICMP setters fill both tuples: the same code and id, the reply type for the reply
    orig = { ...orig, icmpType: tmpl.orig.icmpType, icmpCode: tmpl.orig.icmpCode, icmpId: tmpl.orig.icmpId };
    reply = {
      ...reply,
      icmpType: tmpl.orig.icmpType !== undefined ? icmpReplyType(tmpl.orig.icmpType, tmpl.orig.l3) : undefined,
      icmpCode: tmpl.orig.icmpCode,
      icmpId: tmpl.orig.icmpId,
    };
  }
  const e: EntrySpec = { orig, reply };
  if (tmpl.status !== undefined) e.status = tmpl.status;
  if (tmpl.timeout !== undefined) e.timeout = tmpl.timeout;
  if (options & OPT.MARK && tmpl.mark) e.mark = tmpl.mark.value;
  if (tmpl.secmark !== undefined) e.secmark = tmpl.secmark;
  if (tmpl.tcpState !== undefined) e.tcpState = tmpl.tcpState;
  if (tmpl.tcpFlags !== undefined) e.tcpFlags = tmpl.tcpFlags;
  if (tmpl.sctpState !== undefined) e.sctpState = tmpl.sctpState;
  if (tmpl.sctpVtagOrig !== undefined) e.sctpVtagOrig = tmpl.sctpVtagOrig;
  if (tmpl.sctpVtagReply !== undefined) e.sctpVtagReply = tmpl.sctpVtagReply;
  if (tmpl.dccpState !== undefined) e.dccpState = tmpl.dccpState;
  if (tmpl.dccpRole !== undefined) e.dccpRole = tmpl.dccpRole;
  if (tmpl.snat) e.snat = tmpl.snat;
  if (tmpl.dnat) e.dnat = tmpl.dnat;
  if (tmpl.zone !== undefined) e.zone = tmpl.zone;
  if (options & OPT.ADD_LABEL && tmpl.labelModify) e.labels = labelBitmap(tmpl.labelModify);
  return e;
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
