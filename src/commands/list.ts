// -L [conntrack|dying|unconfirmed]: dump, filter, format, stream out (conntrack.c CT_LIST, mnl_nfct_dump_cb).

import type { ParsedCommand } from '../cli/parse.js';
import { CT_COMPARISON, OPT, TABLE } from '../cli/commands.js';
import { parameterProblem } from '../cli/errors.js';
import { FlowDecoder } from '../ctnetlink/decode.js';
import type { DumpOptions } from '../ctnetlink/client.js';
import { compileFilter, compileRawPrefilter } from '../filter/userspace.js';
import { kernelDumpFilter } from '../filter/kernel.js';
import { outputSpec, selectQuery } from '../cli/resolve.js';
import { flowPrinter, FlowPrinter } from '../format/printer.js';
import { Tally } from '../format/tally.js';
import type { CommandContext, CommandResult } from './context.js';

export async function listConntrack(cmd: ParsedCommand, ctx: CommandContext): Promise<CommandResult> {
  let counter = 0;
  const decoder = new FlowDecoder();
  const print: FlowPrinter & { tally?: Tally } = cmd.extras.tally ? tallyPrinter(cmd, ctx) : flowPrinter(outputSpec(cmd), ctx, 'list');
  if (cmd.table === TABLE.DYING || cmd.table === TABLE.UNCONFIRMED) {
    // the dying and unconfirmed lists are dumped without any filter (conntrack ignores the options)
    const table = cmd.table === TABLE.DYING ? 'dying' : 'unconfirmed';
    const error = await ctx.client
      .dumpRaw({ family: cmd.family, table }, (buf, off, len) => {
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
  if (cmd.options & CT_COMPARISON && cmd.options & OPT.ZERO) throw parameterProblem("Can't use -z with filtering parameters");
  const query = selectQuery(cmd);
  const skip = compileFilter(query);
  const skipRaw = compileRawPrefilter(query);
  const opts: DumpOptions = { ...kernelDumpFilter(query), zero: (cmd.options & OPT.ZERO) !== 0, threaded: 'auto' };
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
function tallyPrinter(cmd: ParsedCommand, ctx: CommandContext): FlowPrinter & { tally: Tally } {
  const tally = new Tally(cmd.extras.tally!);
  return {
    tally,
    flow: (f) => tally.add(f),
    end: () => tally.render((s) => ctx.out.write(s), cmd.extras.top),
  };
}
