// -L [conntrack|dying|unconfirmed]: dump, filter, format, stream out (conntrack.c CT_LIST, mnl_nfct_dump_cb).

import { FlowDecoder } from '../ctnetlink/decode.js';
import type { DumpOptions } from '../ctnetlink/client.js';
import { compileFilter, compileRawPrefilter } from '../filter/userspace.js';
import { kernelDumpFilter } from '../filter/kernel.js';
import { flowPrinter, FlowPrinter } from '../format/printer.js';
import { Tally } from '../format/tally.js';
import type { CommandContext, CommandResult } from './context.js';
import type { ListRequest } from './request.js';

export async function listConntrack(req: ListRequest, ctx: CommandContext): Promise<CommandResult> {
  let counter = 0;
  // each entry is printed (or counted, or skipped) before the next is decoded: addresses can stay bytes
  const decoder = new FlowDecoder({ wireAddresses: true });
  const print: FlowPrinter & { tally?: Tally } = req.tally ? tallyPrinter(req.tally, ctx) : flowPrinter(req.output, ctx, 'list');
  const { table, query } = req;
  if (table !== 'conntrack') {
    // the dying and unconfirmed lists are dumped without any filter (conntrack ignores the options)
    const error = await ctx.client
      .dumpRaw({ family: query.family, table }, (buf, off, len) => {
        print.flow(decoder.decode(buf, off, len));
        counter++;
      })
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    print.end();
    return { counter, error };
  }
  const skip = compileFilter(query);
  const skipRaw = compileRawPrefilter(query);
  const opts: DumpOptions = { ...kernelDumpFilter(query), zero: req.zero, threaded: ctx.threadedDumps === false ? false : 'auto' };
  // --tally of one field with no filter left to apply here: most entries are counted without decoding them
  const countRaw = print.tally && !skip ? print.tally : undefined;
  const error = await ctx.client
    .dumpRaw(opts, (buf, off, len) => {
      if (skipRaw && skipRaw(buf, off, len)) return;
      if (countRaw && countRaw.addRaw(buf, off, len)) {
        counter++;
        return;
      }
      const flow = decoder.decode(buf, off, len);
      if (skip && skip(flow)) return;
      print.flow(flow);
      counter++;
    })
    .then(
      () => undefined,
      (e: unknown) => e,
    );
  print.end();
  return { counter, error };
}

/** --tally: count instead of print; the report is written after the last entry. */
function tallyPrinter(spec: NonNullable<ListRequest['tally']>, ctx: CommandContext): FlowPrinter & { tally: Tally } {
  const tally = new Tally(spec.keys);
  return {
    tally,
    flow: (f) => tally.add(f),
    end: () => tally.render((s) => ctx.out.write(s), spec.top),
  };
}
