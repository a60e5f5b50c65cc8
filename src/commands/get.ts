// -G [conntrack] and -F [conntrack] (conntrack.c CT_GET, CT_FLUSH).

import { MESSAGE_PREFIX } from './errors.js';
import { FlowDecoder } from '../ctnetlink/decode.js';
import { compileFilter } from '../filter/userspace.js';
import { flowPrinter } from '../format/printer.js';
import type { CommandContext, CommandResult } from './context.js';
import type { FlushRequest, GetRequest } from './request.js';

export async function getConntrackEntry(req: GetRequest, ctx: CommandContext): Promise<CommandResult> {
  let counter = 0;
  const { query } = req;
  const skip = compileFilter(query);
  const decoder = new FlowDecoder();
  const print = flowPrinter(req.output, ctx, 'get');
  try {
    await ctx.client.queryRaw(query.family, query.orig, query.reply, (buf, off, len) => {
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
  let error: unknown;
  try {
    // conntrack's request: with -f the kernel still empties every family
    await ctx.client.flush({ family: req.family, asConntrack: true });
  } catch (e) {
    error = e;
  }
  // printed whether or not the flush worked, as conntrack does
  ctx.err(`${MESSAGE_PREFIX}connection tracking table has been emptied.\n`);
  return { counter: 0, error };
}
