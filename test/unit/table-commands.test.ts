// The conntrack-table commands through the real ConntrackClient over a scripted transport (no root): the kernel's
// answers are what it sent to our CLI running the same arguments in a private netns (fixtures/kernel/answers/ct-*,
// fixtures/cases-answers.tsv), the requests are checked as declared attribute trees, the output and the exit code
// against what conntrack 1.4.7 printed on the same table (fixtures/golden/ct-*).

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { ConntrackClient } from '../../src/ctnetlink/client.js';
import { MemorySink } from '../../src/format/sink.js';
import { fixedClock } from '../../src/format/clock.js';
import { scriptedPair, type ScriptedTransport } from '../helpers/scripted-transport.js';

const FIXTURES = join(__dirname, '../../fixtures');
const REPO = join(__dirname, '../..');

interface Case {
  args: string[];
  exit: number;
  now: number;
}
const meta = (name: string): Case => JSON.parse(readFileSync(join(FIXTURES, 'kernel/answers', `${name}.json`), 'utf8'));
const golden = (name: string): { stdout: string; stderr: string; exit: number } => ({
  stdout: readFileSync(join(FIXTURES, 'golden', `${name}.stdout`), 'latin1'),
  stderr: readFileSync(join(FIXTURES, 'golden', `${name}.stderr`), 'latin1'),
  exit: meta(name).exit,
});

interface Run {
  stdout: string;
  stderr: string;
  exit: number;
  main: ScriptedTransport;
  modifier: ScriptedTransport;
}

/** Runs the case's arguments (or others) on the client over the case's capture. */
async function run(name: string, argv: string[] = meta(name).args): Promise<Run> {
  const t = scriptedPair(join(FIXTURES, 'kernel/answers', `${name}.hex`));
  const out = new MemorySink();
  let stderr = '';
  const exit = await main({
    // -R's file is named relative to the repository, where the capture ran
    argv: ['conntrack', ...argv.map((a) => (a.startsWith('fixtures/') ? join(REPO, a) : a))],
    out,
    err: (s) => (stderr += s),
    clock: fixedClock(meta(name).now),
    openClient: () => ConntrackClient.over(t.main, () => t.modifier),
    labelmapPath: '/nonexistent',
  });
  return { stdout: out.text, stderr, exit, ...t };
}
const printed = (r: Run) => ({ stdout: r.stdout, stderr: r.stderr, exit: r.exit });

describe('-L on the scripted transport', () => {
  it('prints what the reference printed', async () => {
    const r = await run('ct-list-udp');
    expect(printed(r)).toEqual(golden('ct-list-udp'));
  });
});

describe('-D on the scripted transport', () => {
  it('deletes in three batches and prints what the reference printed', async () => {
    const r = await run('ct-delete-udp');
    expect(printed(r)).toEqual(golden('ct-delete-udp'));
    expect(r.modifier.messages.length).toBe(70);
  });
});

const NLM_F_REQUEST = 1;
const NLM_F_ACK = 4;
const NLM_F_EXCL = 0x200;
const NLM_F_CREATE = 0x400;
const NLM_F_DUMP = 0x300;
const CT_NEW = 0;
const CT_GET = 1;
const CT_DELETE = 2;
const CT_GET_STATS = 5;
const shapes = (t: ScriptedTransport) => t.messages.map((m) => ({ msg: m.msg, flags: m.flags, family: m.family }));

describe('the conntrack table commands on the scripted transport', () => {
  it.each(['ct-get', 'ct-get-enoent'])('-G (%s): one IPCTNL_MSG_CT_GET with ACK, printed as the reference did', async (name) => {
    const r = await run(name);
    expect(printed(r)).toEqual(golden(name));
    expect(shapes(r.main)).toEqual([{ msg: CT_GET, flags: NLM_F_REQUEST | NLM_F_ACK, family: 2 }]);
  });

  it.each([
    ['ct-create', NLM_F_CREATE | NLM_F_EXCL],
    ['ct-create-eexist', NLM_F_CREATE | NLM_F_EXCL],
  ])('-I (%s): IPCTNL_MSG_CT_NEW with CREATE|EXCL|ACK, EEXIST reported as the reference did', async (name, flags) => {
    const r = await run(name);
    expect(printed(r)).toEqual(golden(name));
    expect(shapes(r.main)).toEqual([{ msg: CT_NEW, flags: NLM_F_REQUEST | NLM_F_ACK | flags, family: 2 }]);
  });

  it('-A: IPCTNL_MSG_CT_NEW with CREATE|ACK, no EXCL (1.4.8: the existing entry is updated)', async () => {
    const r = await run('ct-add-existing');
    expect(r.exit).toBe(0);
    expect(r.stderr).toBe('conntrack v1.4.7 (conntrack-tools): 1 flow entries have been added.\n');
    expect(shapes(r.main)).toEqual([{ msg: CT_NEW, flags: NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE, family: 2 }]);
  });

  it('-F: IPCTNL_MSG_CT_DELETE without a tuple, ACKed', async () => {
    const r = await run('ct-flush');
    expect(printed(r)).toEqual(golden('ct-flush'));
    expect(r.main.messages.map((m) => ({ msg: m.msg, flags: m.flags, family: m.family, attrs: m.attrs.length }))).toEqual([
      { msg: CT_DELETE, flags: NLM_F_REQUEST | NLM_F_ACK, family: 0, attrs: 0 },
    ]);
  });

  it('-C: IPCTNL_MSG_CT_GET_STATS', async () => {
    const r = await run('ct-count');
    expect(printed(r)).toEqual(golden('ct-count'));
    expect(shapes(r.main)).toEqual([{ msg: CT_GET_STATS, flags: NLM_F_REQUEST, family: 0 }]);
  });

  it('-D: a dump, then 70 deletes in three datagrams (32, 32, 6), each entry copied from its dumped message', async () => {
    const r = await run('ct-delete-udp');
    expect(printed(r)).toEqual(golden('ct-delete-udp'));
    expect(shapes(r.main)).toEqual([{ msg: CT_GET, flags: NLM_F_REQUEST | NLM_F_DUMP, family: 0 }]);
    const dels = r.modifier.messages;
    expect(dels.every((m) => m.msg === CT_DELETE && m.family === 2)).toBe(true);
    // only each datagram's last message asks for the ACK
    const acked = dels.flatMap((m, i) => (m.flags & NLM_F_ACK ? [i] : []));
    expect(acked).toEqual([31, 63, 69]);
  });

  it('-D: an entry gone before its delete (ENOENT) is still reported, as 1.4.8 does', async () => {
    const t = scriptedPair(join(FIXTURES, 'kernel/answers/ct-delete-udp.hex'));
    // the first datagram's ACK becomes ENOENT for its 5th delete, then the ACK of its last one
    const ackAt = t.modifier.pending;
    const ack = ackAt[0];
    const enoent = Buffer.from(ack);
    enoent.writeInt32LE(-2, 16);
    enoent.writeUInt32LE(ack.readUInt32LE(8) - 27, 8);
    ackAt.unshift(enoent);
    const out = new MemorySink();
    let stderr = '';
    const exit = await main({
      argv: ['conntrack', '-D', '-p', 'udp', '--dport', '5353'],
      out,
      err: (s) => (stderr += s),
      clock: fixedClock(0),
      openClient: () => ConntrackClient.over(t.main, () => t.modifier),
      labelmapPath: '/nonexistent',
    });
    expect(exit).toBe(0);
    expect(stderr).toBe(golden('ct-delete-udp').stderr);
  });

  it('-U: a dump, then per entry an update and a GET, in two datagrams (64 + 6 entries); each answer printed', async () => {
    const r = await run('ct-update-udp');
    expect(r.exit).toBe(0);
    expect(r.stderr).toBe('conntrack v1.4.7 (conntrack-tools): 70 flow entries have been updated.\n');
    const lines = r.stdout.split('\n').filter((l) => l !== '');
    expect(lines.length).toBe(70);
    expect(lines.every((l) => / mark=9 /.test(l) && l.includes('dport=5353'))).toBe(true);
    const msgs = r.modifier.messages;
    expect(msgs.length).toBe(140);
    expect(msgs.every((m, i) => m.msg === (i % 2 ? CT_GET : CT_NEW) && (m.flags & NLM_F_CREATE) === 0)).toBe(true);
    expect(msgs.flatMap((m, i) => (m.flags & NLM_F_ACK ? [i] : []))).toEqual([127, 139]);
  });

  it.each(['ct-load', 'ct-load-eexist'])('-R (%s): batched creates, -A, -D lines; a failure undoes the rest of its batch', async (name) => {
    const r = await run(name);
    expect(printed(r)).toEqual(golden(name));
  });

  it('-R with a failing line: the creates after it in its datagram are deleted again', async () => {
    const r = await run('ct-load-eexist');
    const msgs = r.modifier.messages;
    // four creates (EXCL, the last with ACK), then the delete of the fourth line's entry
    expect(msgs.map((m) => [m.msg, m.flags])).toEqual([
      [CT_NEW, NLM_F_REQUEST | NLM_F_CREATE | NLM_F_EXCL],
      [CT_NEW, NLM_F_REQUEST | NLM_F_CREATE | NLM_F_EXCL],
      [CT_NEW, NLM_F_REQUEST | NLM_F_CREATE | NLM_F_EXCL],
      [CT_NEW, NLM_F_REQUEST | NLM_F_CREATE | NLM_F_EXCL | NLM_F_ACK],
      [CT_DELETE, NLM_F_REQUEST | NLM_F_ACK],
    ]);
  });
});

/**
 * Runs the -R case on a capture whose answers were changed to fail with EPERM: exit 1 with conntrack's message,
 * and the `count` entries changed before the failure printed each under its own line, in the reference's order.
 */
async function expectFailedRun(t: { main: ScriptedTransport; modifier: ScriptedTransport }, name: string, count: number): Promise<void> {
  const out = new MemorySink();
  let stderr = '';
  const exit = await main({
    argv: ['conntrack', ...meta(name).args.map((a) => (a.startsWith('fixtures/') ? join(REPO, a) : a))],
    out,
    err: (s) => (stderr += s),
    clock: fixedClock(meta(name).now),
    openClient: () => ConntrackClient.over(t.main, () => t.modifier),
    labelmapPath: '/nonexistent',
  });
  expect(exit).toBe(1);
  expect(stderr).toBe(
    'conntrack v1.4.7 (conntrack-tools): Operation failed: sorry, you must be root or get CAP_NET_ADMIN capability to do this\n',
  );
  const want = golden(name).stdout.split('\n');
  const got = out.text.split('\n').filter((l) => l !== '');
  expect(got.length).toBe(count);
  const at = got.map((l) => want.indexOf(l));
  expect(at.every((k) => k >= 0)).toBe(true);
  expect([...at].sort((a, b) => a - b)).toEqual(at);
}

describe('-R with a run of -D lines on the scripted transport', () => {
  it('one dump for the whole run, the deletes batched across its lines; printed line by line as the reference did', async () => {
    const r = await run('ct-load-deletes');
    expect(printed(r)).toEqual(golden('ct-load-deletes'));
    // the lines differ in family: one dump of both
    expect(shapes(r.main)).toEqual([{ msg: CT_GET, flags: NLM_F_REQUEST | NLM_F_DUMP, family: 0 }]);
    const dels = r.modifier.messages;
    expect(dels.length).toBe(102);
    expect(dels.every((m) => m.msg === CT_DELETE)).toBe(true);
    expect(dels.flatMap((m, i) => (m.flags & NLM_F_ACK ? [i] : []))).toEqual([31, 63, 95, 101]);
  });

  it('a delete that fails: what was deleted before it is printed, line by line, then the error (exit 1)', async () => {
    const t = scriptedPair(join(FIXTURES, 'kernel/answers/ct-load-deletes.hex'));
    // the first datagram's ACK becomes EPERM: its 32nd delete failed
    const eperm = Buffer.from(t.modifier.pending[0]);
    eperm.writeInt32LE(-1, 16);
    t.modifier.pending[0] = eperm;
    // the 31 entries deleted, each under its own line: in the reference's (line by line) order
    await expectFailedRun(t, 'ct-load-deletes', 31);
  });
});

describe('-R with a run of -U lines on the scripted transport', () => {
  const NLMSG_ERROR = 2;
  /** The modifier's first datagram that is an ACK (an NLMSG_ERROR of 0): the answer that ends the first batch. */
  const firstAck = (t: ScriptedTransport): Buffer => {
    const ack = t.pending.find((d) => d.readUInt16LE(4) === NLMSG_ERROR && d.readInt32LE(16) === 0);
    if (!ack) throw new Error('no ACK in the capture');
    return ack;
  };

  it('one dump for the whole run; an entry a line updated goes on, as the kernel answered it, to the lines after it; printed line by line as 1.4.8 did', async () => {
    const r = await run('ct-load-updates');
    expect(printed(r)).toEqual(golden('ct-load-updates'));
    // the lines differ in family: one dump of both
    expect(shapes(r.main)).toEqual([{ msg: CT_GET, flags: NLM_F_REQUEST | NLM_F_DUMP, family: 0 }]);
    const msgs = r.modifier.messages;
    // an update (IPCTNL_MSG_CT_NEW without CREATE) and a GET for each of the 92 entries printed
    expect(msgs.length).toBe(2 * 92);
    expect(msgs.every((m, i) => m.msg === (i % 2 ? CT_GET : CT_NEW) && (m.flags & NLM_F_CREATE) === 0)).toBe(true);
    // 10.1.0.3 and 10.1.0.40: updated by their own lines first, then again by the third line (from the answers),
    // printed under it in dump order among the entries that came straight from the dump
    const out = r.stdout.split('\n');
    const at = (src: string): number[] => out.flatMap((l, i) => (l.includes(`src=${src} `) ? [i] : []));
    expect(at('10.1.0.3').length).toBe(2);
    expect(at('10.1.0.40').length).toBe(2);
  });

  it('an update that fails: what was updated before it is printed, line by line, then the error (exit 1)', async () => {
    const t = scriptedPair(join(FIXTURES, 'kernel/answers/ct-load-updates.hex'));
    // the first batch's 11th update (message 20 of 128) fails with EPERM
    const ack = firstAck(t.modifier);
    const eperm = Buffer.from(ack);
    eperm.writeInt32LE(-1, 16);
    eperm.writeUInt32LE(ack.readUInt32LE(8) - 127 + 20, 8);
    t.modifier.pending.unshift(eperm);
    // the 10 entries updated before it, each under its own line: in the reference's (line by line) order
    await expectFailedRun(t, 'ct-load-updates', 10);
  });
});

describe('the library operations on the scripted transport', () => {
  const capture = (name: string) => scriptedPair(join(FIXTURES, 'kernel/answers', `${name}.hex`));

  it('dump() yields the decoded entries of the dump, in order', async () => {
    const t = capture('ct-list-udp');
    const client = ConntrackClient.over(t.main);
    const flows = [];
    for await (const f of client.dump({ threaded: 'auto' })) flows.push(f);
    const udp = flows.filter((f) => f.orig?.dstPort === 5353);
    expect(udp.length).toBe(70);
    expect(golden('ct-list-udp').stdout.split('\n')[0]).toContain(`src=${udp[0].orig?.src} `);
  });

  it('get() of an absent entry is undefined (ENOENT); create() of an existing one rejects with EEXIST and its operation', async () => {
    const tuple = { src: '203.0.113.99', dst: '203.0.113.98', protonum: 6, srcPort: 1, dstPort: 2 };
    expect(await ConntrackClient.over(capture('ct-get-enoent').main).get({ orig: tuple })).toBeUndefined();
    const t = capture('ct-create-eexist').main;
    const err = await ConntrackClient.over(t)
      .create({ orig: { src: '192.0.2.17', dst: '198.51.100.17', protonum: 6, srcPort: 40001, dstPort: 443 } }, { exclusive: true })
      .catch((e: unknown) => e);
    expect(err).toMatchObject({ name: 'NetlinkError', errno: 17, operation: 'create' });
    expect(shapes(t)).toEqual([{ msg: CT_NEW, flags: NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL, family: 2 }]);
  });
});

describe('-L: where a large dump is received', () => {
  const threadedAsked = async (threadedDumps: boolean | undefined): Promise<unknown[]> => {
    const t = scriptedPair(join(FIXTURES, 'kernel/answers', 'ct-list-udp.hex'));
    const asked: unknown[] = [];
    const exit = await main({
      argv: ['conntrack', ...meta('ct-list-udp').args],
      out: new MemorySink(),
      err: () => {},
      clock: fixedClock(meta('ct-list-udp').now),
      openClient: () => {
        const c = ConntrackClient.over(t.main, () => t.modifier);
        const dumpRaw = c.dumpRaw.bind(c);
        c.dumpRaw = (opts, onMessage) => {
          asked.push(opts.threaded);
          // answered as the capture was made (its count request first: the client's 'auto')
          return dumpRaw({ ...opts, threaded: 'auto' }, onMessage);
        };
        return c;
      },
      labelmapPath: '/nonexistent',
      threadedDumps,
    });
    expect(exit).toBe(0);
    return asked;
  };

  it('by the table size, unless the caller said no thread', async () => {
    expect(await threadedAsked(undefined)).toEqual(['auto']);
    expect(await threadedAsked(false)).toEqual([false]);
  });
});
