// The expectation table: -L, -C, -F, -G, -D, -I expect (conntrack.c EXP_* cases, dump_exp_cb, count_exp_cb).

import { MESSAGE_PREFIX, otherProblem } from '../cli/errors.js';
import { ConntrackClient } from '../ctnetlink/client.js';
import { CTA_EXPECT } from '../ctnetlink/constants.js';
import { decodeExpect } from '../ctnetlink/expect.js';
import { tupleAttr, TupleSpec } from '../ctnetlink/encode.js';
import type { TupleTemplate } from '../ctnetlink/template.js';
import { deleteExpect, dumpExpect, getExpect, newExpect } from '../ctnetlink/requests.js';
import { EXPECT_XML_FOOTER, EXPECT_XML_HEADER, expectEventTimestamp, formatExpectDefault, formatExpectXml } from '../format/expect.js';
import type { AttrNode } from '../netlink/attributes.js';
import { u32be } from '../netlink/attributes.js';
import type { CommandContext, CommandResult } from './context.js';
import type { ExpectCreateRequest, ExpectDeleteRequest, ExpectGetRequest, ExpectListRequest, ExpectTableRequest } from './request.js';
import type { OutputSpec } from '../format/output.js';

function client(ctx: CommandContext): ConntrackClient {
  if (!(ctx.client instanceof ConntrackClient)) throw otherProblem("Can't open handler");
  return ctx.client;
}

/** dump_exp_cb(): XML header before the first, the space-padded timestamp prefix, one line each. */
function expectPrinter(output: OutputSpec, ctx: CommandContext): { print(buf: Buffer, off: number, len: number): void; end(): void; headerDone(): boolean } {
  let header = false;
  return {
    print(buf, off, len) {
      const e = decodeExpect(buf, off, len);
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
    await client(ctx).socket.request(dumpExpect(req.family), (buf, off, len) => {
      p.print(buf, off, len);
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
    await client(ctx).socket.request(dumpExpect(req.family), () => {
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
    await client(ctx).socket.request(deleteExpect(req.family));
  } catch (e) {
    error = e;
  }
  ctx.err(`${MESSAGE_PREFIX}expectation table has been emptied.\n`);
  return { counter: 0, error };
}

function spec(t: TupleTemplate): TupleSpec {
  return { l3: t.l3 ?? 0, src: t.src, dst: t.dst, protonum: t.protonum, srcPort: t.srcPort, dstPort: t.dstPort, icmpType: t.icmpType, icmpCode: t.icmpCode, icmpId: t.icmpId };
}

export async function getExpectation(req: ExpectGetRequest, ctx: CommandContext): Promise<CommandResult> {
  // conntrack hands the template as the expectation's master tuple; the kernel looks the expectation up by it
  const attrs: AttrNode[] = [tupleAttr(CTA_EXPECT.MASTER, spec(req.master))];
  const p = expectPrinter(req.output, ctx);
  try {
    await client(ctx).socket.request(getExpect(req.family, attrs), (buf, off, len) => p.print(buf, off, len));
  } catch (e) {
    return { counter: 0, error: e };
  }
  // like -G for conntrack entries, no footer after the header
  return { counter: 0 };
}

export async function deleteExpectation(req: ExpectDeleteRequest, ctx: CommandContext): Promise<CommandResult> {
  try {
    await client(ctx).socket.request(deleteExpect(req.family, [tupleAttr(CTA_EXPECT.TUPLE, spec(req.tuple))]));
  } catch (e) {
    return { counter: 0, error: e };
  }
  // conntrack never counts a deleted expectation: "0 expectations have been shown." and exit 1, even on success
  return { counter: 0 };
}

export async function createExpect(req: ExpectCreateRequest, ctx: CommandContext): Promise<CommandResult> {
  const attrs: AttrNode[] = [tupleAttr(CTA_EXPECT.TUPLE, spec(req.tuple)), tupleAttr(CTA_EXPECT.MASTER, spec(req.master)), tupleAttr(CTA_EXPECT.MASK, spec(req.mask))];
  if (req.timeout !== undefined) attrs.push(u32be(CTA_EXPECT.TIMEOUT, req.timeout));
  try {
    await client(ctx).socket.request(newExpect(req.family, attrs));
  } catch (e) {
    return { counter: 0, error: e };
  }
  return { counter: 0 };
}
