// -G [conntrack] and -F [conntrack] (conntrack.c CT_GET, CT_FLUSH).

import { MESSAGE_PREFIX, otherProblem } from './errors.js';
import { ConntrackClient } from '../ctnetlink/client.js';
import { CTA } from '../ctnetlink/constants.js';
import { FlowDecoder } from '../ctnetlink/decode.js';
import { tupleAttr } from '../ctnetlink/encode.js';
import type { TupleTemplate } from '../ctnetlink/template.js';
import { flushConntrack, getConntrack } from '../ctnetlink/requests.js';
import { compileFilter } from '../filter/userspace.js';
import { flowPrinter } from '../format/printer.js';
import type { AttrNode } from '../netlink/attributes.js';
import { ERRNO } from '../netlink/errno.js';
import { NetlinkError } from '../netlink/socket.js';
import type { CommandContext, CommandResult } from './context.js';
import type { FlushRequest, GetRequest } from './request.js';

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

/** nfct_nlmsg_build() of the query's tuples (the only attributes the kernel reads for a GET). */
function templateTuples(orig: TupleTemplate, reply: TupleTemplate): AttrNode[] {
  // libnetfilter_conntrack refuses to build a message without the original layer-3 protocol
  if (orig.l3 === undefined) throw new NetlinkError(ERRNO.EINVAL);
  const attrs: AttrNode[] = [];
  if (hasTuple(orig)) attrs.push(tupleAttr(CTA.TUPLE_ORIG, { ...orig, l3: orig.l3 }));
  if (hasTuple(reply))
    attrs.push(tupleAttr(CTA.TUPLE_REPLY, { ...reply, l3: reply.l3 ?? 0, icmpType: undefined, icmpCode: undefined, icmpId: undefined }));
  return attrs;
}

export async function getConntrackEntry(req: GetRequest, ctx: CommandContext): Promise<CommandResult> {
  const client = ctx.client;
  if (!(client instanceof ConntrackClient)) throw otherProblem("Can't open handler");
  let counter = 0;
  const { query } = req;
  const skip = compileFilter(query);
  const decoder = new FlowDecoder();
  const print = flowPrinter(req.output, ctx, 'get');
  try {
    const get = getConntrack(query.family, templateTuples(query.orig, query.reply), true);
    await client.transport.request(get, (buf, off, len) => {
      const flow = decoder.decode(buf, off, len);
      if (skip && skip(flow)) return;
      print.flow(flow);
      counter++;
    });
  } catch (e) {
    return { counter, error: e };
  }
  // -G prints the XML header but never the footer (conntrack uses the dump callback alone)
  return { counter };
}

export async function flush(req: FlushRequest, ctx: CommandContext): Promise<CommandResult> {
  const client = ctx.client;
  if (!(client instanceof ConntrackClient)) throw otherProblem("Can't open handler");
  let error: unknown;
  try {
    await client.transport.request(flushConntrack(req.family));
  } catch (e) {
    error = e;
  }
  // printed whether or not the flush worked, as conntrack does
  ctx.err(`${MESSAGE_PREFIX}connection tracking table has been emptied.\n`);
  return { counter: 0, error };
}
