// The expectation commands and -E through the client's typed operations, without root: the client answers from
// datagrams captured from the real kernel (fixtures/kernel/expect-*.hex, fixtures/kernel/answers/), and what the command printed, its exit
// code, and the requests it sent (as declarative attribute trees) are checked against what conntrack 1.4.7 did
// (fixtures/golden/expect-*). The ENOENT captures hold the kernel's echo of the request it refused, so the bytes
// our builders make are also checked against what the kernel received.

import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { main } from '../../src/cli/main.js';
import { MemorySink } from '../../src/format/sink.js';
import type { EventProcess } from '../../src/commands/events.js';
import { CTA_EXPECT, CTA_IP, CTA_PROTO, CTA_TUPLE, IPCTNL_MSG_CT, IPCTNL_MSG_EXP } from '../../src/ctnetlink/constants.js';
import { subscriptionGroups } from '../../src/ctnetlink/event-stream.js';
import { fixedClock } from '../../src/format/clock.js';
import { AttrNode, bytes, encodeAttrsToBuffer, nest, u16be, u32be, u8 } from '../../src/netlink/attributes.js';
import { NFNL_SUBSYS, NFNLGRP, NLM_F, NLMSG_HDRLEN } from '../../src/netlink/constants.js';
import { encodeRequest, forEachMessage, type NfRequest } from '../../src/netlink/framing.js';
import { NetlinkError } from '../../src/netlink/socket/nfnl-socket.js';
import { readDatagrams, ReplayClient } from '../helpers/replay.js';

const FIXTURES = join(__dirname, '../../fixtures');
const AF_INET = 2;
const IPPROTO_TCP = 6;
/** the answer captures (ACK, ENOENT, DONE: fixtures/kernel/answers/) or the dumps and events beside them */
const kernelPath = (name: string, ext: string): string => {
  const answer = join(FIXTURES, 'kernel', 'answers', `${name}.${ext}`);
  return existsSync(answer) ? answer : join(FIXTURES, 'kernel', `${name}.${ext}`);
};
const kernel = (name: string): Buffer[] => readDatagrams(kernelPath(name, 'hex'));
/** What the reference printed; its exit code from the case's .json (the older captures without one exited 0). */
const golden = (name: string): { stdout: string; stderr: string; exit: number } => {
  const meta = kernelPath(name, 'json');
  return {
    stdout: readFileSync(join(FIXTURES, 'golden', `${name}.stdout`), 'latin1'),
    stderr: readFileSync(join(FIXTURES, 'golden', `${name}.stderr`), 'latin1'),
    exit: existsSync(meta) ? JSON.parse(readFileSync(meta, 'utf8')).exit : 0,
  };
};
/** the arguments a capture case ran with (fixtures/cases-expect.tsv, kept in the case's .json) */
const args = (name: string): string[] => JSON.parse(readFileSync(kernelPath(name, 'json'), 'utf8')).args;

async function run(argv: string[], client: ReplayClient, proc?: EventProcess): Promise<{ stdout: string; stderr: string; exit: number }> {
  const out = new MemorySink();
  let stderr = '';
  const exit = await main({
    argv: ['conntrack', ...argv],
    out,
    err: (s) => (stderr += s),
    clock: fixedClock(0),
    openClient: () => client,
    labelmapPath: '/nonexistent',
    process: proc,
  });
  return { stdout: out.text, stderr, exit };
}

const ip4 = (s: string): Uint8Array => Uint8Array.from(s.split('.').map(Number));
/** A tuple as libnetfilter_conntrack builds it: addresses, then the protocol and its ports. */
const tuple = (type: number, src: string, dst: string, sport: number, dport: number): AttrNode =>
  nest(
    type,
    nest(CTA_TUPLE.IP, bytes(CTA_IP.V4_SRC, ip4(src)), bytes(CTA_IP.V4_DST, ip4(dst))),
    nest(CTA_TUPLE.PROTO, u8(CTA_PROTO.NUM, IPPROTO_TCP), u16be(CTA_PROTO.SRC_PORT, sport), u16be(CTA_PROTO.DST_PORT, dport)),
  );
const exp = (msg: number, flags: number, attrs: AttrNode[] = []): NfRequest => ({
  subsys: NFNL_SUBSYS.CTNETLINK_EXP,
  msg,
  flags,
  family: AF_INET,
  attrs,
});

/** The request sent, compared as a tree: header fields as they are, attributes by their encoding. */
function expectSent(client: ReplayClient, want: NfRequest[]): void {
  const shape = (r: NfRequest) => ({
    subsys: r.subsys,
    msg: r.msg,
    flags: r.flags,
    family: r.family,
    attrs: encodeAttrsToBuffer(r.attrs ?? []).toString('hex'),
  });
  expect(client.sent.map(shape)).toEqual(want.map(shape));
}

/** The request the kernel echoed in its NLMSG_ERROR (nlmsgerr.msg: header and payload), without its sequence. */
function echoedRequest(d: Buffer): Buffer {
  const echo = d.subarray(NLMSG_HDRLEN + 4);
  return echo.subarray(0, echo.readUInt32LE(0));
}
function expectEchoed(client: ReplayClient, capture: string): void {
  const echo = echoedRequest(kernel(capture)[0]);
  const ours = encodeRequest(client.sent[0], echo.readUInt32LE(8));
  // the kernel's copy has the port it saw; the rest is what we sent
  echo.writeUInt32LE(0, 12);
  expect(ours.toString('hex')).toBe(echo.toString('hex'));
}

const MASTER = tuple(CTA_EXPECT.MASTER, '10.9.0.1', '10.9.0.2', 40000, 21);

describe('the expectation commands on the client', () => {
  it.each(['expect-list', 'expect-list-xml', 'expect-empty-list'])(
    '-L expect (%s): one IPCTNL_MSG_EXP_GET dump, printed as the reference did',
    async (name) => {
      const client = new ReplayClient(kernel(name));
      const argv = name === 'expect-list-xml' ? ['-L', 'expect', '-o', 'xml'] : ['-L', 'expect'];
      expect(await run(argv, client)).toEqual(golden(name));
      expectSent(client, [exp(IPCTNL_MSG_EXP.GET, NLM_F.DUMP)]);
    },
  );

  it('-C expect counts a dump of the table', async () => {
    const client = new ReplayClient(kernel('expect-empty-count'));
    expect(await run(args('expect-empty-count'), client)).toEqual(golden('expect-empty-count'));
    expectSent(client, [exp(IPCTNL_MSG_EXP.GET, NLM_F.DUMP)]);
    const full = new ReplayClient(kernel('expect-list'));
    expect((await run(['-C', 'expect'], full)).stdout).toBe('8\n');
  });

  it('-F expect: one IPCTNL_MSG_EXP_DELETE without a tuple, ACKed', async () => {
    const client = new ReplayClient(kernel('expect-flush'));
    expect(await run(args('expect-flush'), client)).toEqual(golden('expect-flush'));
    expectSent(client, [exp(IPCTNL_MSG_EXP.DELETE, NLM_F.ACK)]);
  });

  it('-G expect looks up by the master tuple; ENOENT is "Operation failed", exit 1', async () => {
    const client = new ReplayClient(kernel('expect-get-enoent'));
    expect(await run(args('expect-get-enoent'), client)).toEqual(golden('expect-get-enoent'));
    expectSent(client, [exp(IPCTNL_MSG_EXP.GET, NLM_F.ACK, [MASTER])]);
    expectEchoed(client, 'expect-get-enoent');
  });

  it('-D expect sends the expectation tuple; ENOENT is "Operation failed", exit 1', async () => {
    const client = new ReplayClient(kernel('expect-delete-enoent'));
    expect(await run(args('expect-delete-enoent'), client)).toEqual(golden('expect-delete-enoent'));
    expectSent(client, [exp(IPCTNL_MSG_EXP.DELETE, NLM_F.ACK, [tuple(CTA_EXPECT.TUPLE, '10.9.0.1', '10.9.0.2', 40000, 21)])]);
    expectEchoed(client, 'expect-delete-enoent');
  });

  it('-D expect answered with an ACK: nothing printed, "0 expectations", exit 1 (conntrack never counts it)', async () => {
    // any ACK ends a request; the -F expect capture's is the expectation subsystem's own
    const client = new ReplayClient(kernel('expect-flush'));
    const r = await run(args('expect-delete-enoent'), client);
    expect(r).toEqual({ stdout: '', stderr: 'conntrack v1.4.7 (conntrack-tools): 0 expectations have been shown.\n', exit: 1 });
  });

  it('-I expect: tuple, master, mask and timeout with CREATE | EXCL | ACK; a missing master is ENOENT', async () => {
    const client = new ReplayClient(kernel('expect-create-enoent'));
    expect(await run(args('expect-create-enoent'), client)).toEqual(golden('expect-create-enoent'));
    const mask = nest(
      CTA_EXPECT.MASK,
      nest(CTA_TUPLE.IP, bytes(CTA_IP.V4_SRC, ip4('255.255.255.255')), bytes(CTA_IP.V4_DST, ip4('255.255.255.255'))),
      nest(CTA_TUPLE.PROTO, u8(CTA_PROTO.NUM, IPPROTO_TCP), u16be(CTA_PROTO.SRC_PORT, 0), u16be(CTA_PROTO.DST_PORT, 65535)),
    );
    expectSent(client, [
      exp(IPCTNL_MSG_EXP.NEW, NLM_F.CREATE | NLM_F.ACK | NLM_F.EXCL, [
        tuple(CTA_EXPECT.TUPLE, '10.9.0.1', '10.9.0.2', 0, 40001),
        MASTER,
        mask,
        u32be(CTA_EXPECT.TIMEOUT, 30),
      ]),
    ]);
    expectEchoed(client, 'expect-create-enoent');
  });

  it('-S expect: the per-CPU expectation counters', async () => {
    const client = new ReplayClient(kernel('expect-stats'));
    expect(await run(args('expect-stats'), client)).toEqual(golden('expect-stats'));
  });
});

describe('the client as a library: expectations as plain objects, errors typed', () => {
  it('dumpExpect yields decoded expectations; getExpect is undefined on ENOENT; deleteExpect rejects with NetlinkError', async () => {
    const all = [];
    for await (const e of new ReplayClient(kernel('expect-list')).dumpExpect()) all.push(e);
    expect(all).toHaveLength(8);
    expect(all[0].family).toBe(AF_INET);
    const master = { l3: AF_INET, src: ip4('10.9.0.1'), dst: ip4('10.9.0.2'), protonum: IPPROTO_TCP, srcPort: 40000, dstPort: 21 };
    expect(await new ReplayClient(kernel('expect-get-enoent')).getExpect(master)).toBeUndefined();
    const err = await new ReplayClient(kernel('expect-delete-enoent')).deleteExpect(master).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NetlinkError);
    expect((err as NetlinkError).errno).toBe(2);
    expect(await new ReplayClient(kernel('expect-list')).expectCount()).toBe(8);
  });
});

describe('-E through the client: a subscription by table and kinds, events replayed from a capture', () => {
  it('subscriptions name their multicast groups', () => {
    const all = { new: true, update: true, destroy: true };
    expect(subscriptionGroups({ table: 'expect', events: all })).toEqual([
      NFNLGRP.CONNTRACK_EXP_NEW,
      NFNLGRP.CONNTRACK_EXP_UPDATE,
      NFNLGRP.CONNTRACK_EXP_DESTROY,
    ]);
    expect(subscriptionGroups({ table: 'conntrack', events: { new: true, update: false, destroy: true } })).toEqual([
      NFNLGRP.CONNTRACK_NEW,
      NFNLGRP.CONNTRACK_DESTROY,
    ]);
  });

  async function listen(
    argv: string[],
    client: ReplayClient,
    until: (stdout: string) => boolean,
  ): Promise<{ stdout: string; stderr: string; exit: number }> {
    let stop: (() => void) | undefined;
    const out = new MemorySink();
    let stderr = '';
    const done = main({
      argv: ['conntrack', ...argv],
      out,
      err: (s) => (stderr += s),
      clock: fixedClock(0),
      openClient: () => client,
      labelmapPath: '/nonexistent',
      process: { onStop: (h) => (stop = h) },
    });
    await vi.waitFor(() => {
      if (!stop || !until(out.text)) throw new Error('events not printed yet');
    });
    stop!();
    const exit = await done;
    return { stdout: out.text, stderr, exit };
  }

  it.each([
    ['expect-events', ['-E', 'expect']],
    ['expect-events-xml', ['-E', 'expect', '-o', 'xml']],
  ])('%s: printed as the reference printed the same datagrams, counted, exit 0', async (name, argv) => {
    const client = new ReplayClient(kernel('expect-events'));
    const r = await listen(argv, client, (s) => s.split('\n').length > 4);
    expect(r).toEqual(golden(name));
    expect(client.subscriptions).toEqual([
      { table: 'expect', events: { new: true, update: true, destroy: true }, bufferSize: undefined, programNames: false },
    ]);
  });

  it('-E subscribes the conntrack groups with program names; each event is decoded and printed', async () => {
    // a dump's entries (IPCTNL_MSG_CT_NEW without NLM_F_CREATE) arrive as [UPDATE] events
    const datagrams = kernel('list-default');
    let flows = 0;
    for (const d of datagrams)
      forEachMessage(d, (_o, _l, type) => void (type === ((NFNL_SUBSYS.CTNETLINK << 8) | IPCTNL_MSG_CT.NEW) && flows++));
    expect(flows).toBeGreaterThan(10);
    const client = new ReplayClient(datagrams);
    const r = await listen(['-E'], client, (s) => s.split('\n').length > flows);
    expect(client.subscriptions).toEqual([
      { table: 'conntrack', events: { new: true, update: true, destroy: true }, bufferSize: undefined, programNames: true },
    ]);
    expect(
      r.stdout
        .split('\n')
        .slice(0, -1)
        .every((l) => l.startsWith(' [UPDATE] ')),
    ).toBe(true);
    expect(r.stderr).toBe(`conntrack v1.4.7 (conntrack-tools): ${flows} flow events have been shown.\n`);
    expect(r.exit).toBe(0);
  });
});
