// The expectation table: -L, -C, -F, -G, -D, -I expect (conntrack.c EXP_* cases, dump_exp_cb, count_exp_cb).

import { MESSAGE_PREFIX } from './errors.js';
import type { Expect } from '../ctnetlink/expect.js';
import { EXPECT_XML_FOOTER, EXPECT_XML_HEADER, expectEventTimestamp, formatExpectDefault, formatExpectXml } from '../format/expect.js';
import type { CommandContext, CommandResult } from './context.js';
import type { ExpectCreateRequest, ExpectDeleteRequest, ExpectGetRequest, ExpectListRequest, ExpectTableRequest } from './request.js';
import type { OutputSpec } from '../format/output.js';

/** dump_exp_cb(): XML header before the first, the space-padded timestamp prefix, one line each. */
function expectPrinter(output: OutputSpec, ctx: CommandContext): { print(e: Expect): void; end(): void; headerDone(): boolean } {
  let header = false;
  return {
    print(e) {
      if (output.format === 'xml') {
        if (!header) {
          header = true;
          ctx.out.write(EXPECT_XML_HEADER);
        }
        ctx.out.write(formatExpectXml(e, 'unknown', { time: output.timestamp }, ctx.clock) + '\n');
        return;
      }
      if (output.timestamp) {
        const t = ctx.clock.nowMicros();
        ctx.out.write(expectEventTimestamp(t.sec, t.usec));
      }
      ctx.out.write(formatExpectDefault(e, 'unknown') + '\n');
    },
    end() {
      if (header) ctx.out.write(EXPECT_XML_FOOTER);
    },
    headerDone: () => header,
  };
}

export async function listExpect(req: ExpectListRequest, ctx: CommandContext): Promise<CommandResult> {
  const p = expectPrinter(req.output, ctx);
  let counter = 0;
  let error: unknown;
  try {
    await ctx.client.forEachExpect(req.family, (e) => {
      p.print(e);
      counter++;
    });
  } catch (e) {
    error = e;
  }
  p.end();
  return { counter, error };
}

export async function countExpect(req: ExpectTableRequest, ctx: CommandContext): Promise<CommandResult> {
  let counter = 0;
  let error: unknown;
  try {
    // counted as they come: what came before a failure is still printed
    await ctx.client.forEachExpect(req.family, () => {
      counter++;
    });
  } catch (e) {
    error = e;
  }
  ctx.out.write(`${counter}\n`);
  return { counter: 0, error };
}

export async function flushExpect(req: ExpectTableRequest, ctx: CommandContext): Promise<CommandResult> {
  let error: unknown;
  try {
    await ctx.client.flushExpect(req.family);
  } catch (e) {
    error = e;
  }
  ctx.err(`${MESSAGE_PREFIX}expectation table has been emptied.\n`);
  return { counter: 0, error };
}

export async function getExpectation(req: ExpectGetRequest, ctx: CommandContext): Promise<CommandResult> {
  // conntrack hands the template as the expectation's master tuple; the kernel looks the expectation up by it
  const p = expectPrinter(req.output, ctx);
  try {
    await ctx.client.queryExpect(req.family, req.master, (e) => p.print(e));
  } catch (e) {
    return { counter: 0, error: e };
  }
  // like -G for conntrack entries, no footer after the header
  return { counter: 0 };
}

export async function deleteExpectation(req: ExpectDeleteRequest, ctx: CommandContext): Promise<CommandResult> {
  try {
    await ctx.client.deleteExpect(req.tuple, req.family);
  } catch (e) {
    return { counter: 0, error: e };
  }
  // conntrack never counts a deleted expectation: "0 expectations have been shown." and exit 1, even on success
  return { counter: 0 };
}

export async function createExpect(req: ExpectCreateRequest, ctx: CommandContext): Promise<CommandResult> {
  try {
    await ctx.client.createExpect({ family: req.family, tuple: req.tuple, master: req.master, mask: req.mask, timeout: req.timeout });
  } catch (e) {
    return { counter: 0, error: e };
  }
  return { counter: 0 };
}
