// How the CLI fails when the kernel side does (issue #7): no netlink socket at all, a kernel without
// ctnetlink, an error in the middle of a dump, an interrupted dump.

import { describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { MemorySink } from '../../src/format/sink.js';
import { fixedClock } from '../../src/format/clock.js';
import { NetlinkError } from '../../src/netlink/socket/nfnl-socket.js';
import { ReplayClient } from '../helpers/replay.js';

async function run(argv: string[], client: () => ReplayClient): Promise<{ out: string; err: string; code: number }> {
  const out = new MemorySink();
  let err = '';
  const code = await main({
    argv: ['conntrack', ...argv],
    out,
    err: (s) => (err += s),
    clock: fixedClock(0),
    openClient: client,
    labelmapPath: '/nonexistent',
  });
  return { out: out.text, err, code };
}

/** An NLMSG_ERROR datagram carrying errno. */
function errorDatagram(errno: number): Buffer {
  const b = Buffer.alloc(36);
  b.writeUInt32LE(36, 0);
  b.writeUInt16LE(2, 4); // NLMSG_ERROR
  b.writeInt32LE(-errno, 16);
  return b;
}

describe('kernel-side failures', () => {
  it('no netlink socket: mnl_socket_open and "Can\'t open handler", exit 1', async () => {
    const r = await run(['-L'], () => {
      throw new NetlinkError(93);
    });
    expect(r.err).toBe("mnl_socket_open: Protocol not supported\nconntrack v1.4.7 (conntrack-tools): Can't open handler\n");
    expect(r.code).toBe(1);
  });

  it('a kernel without ctnetlink answers EOPNOTSUPP: Operation failed, exit 1', async () => {
    const r = await run(['-L'], () => new ReplayClient([errorDatagram(95)]));
    expect(r.err).toBe('conntrack v1.4.7 (conntrack-tools): Operation failed: Operation not supported\n');
    expect(r.code).toBe(1);
  });

  it('an interrupted dump (EINTR) is reported as conntrack reports it', async () => {
    const r = await run(['-L'], () => new ReplayClient([errorDatagram(4)]));
    expect(r.err).toBe('conntrack v1.4.7 (conntrack-tools): Operation failed: Interrupted system call\n');
    expect(r.code).toBe(1);
  });

  it("EPERM uses conntrack's own wording", async () => {
    const r = await run(['-L'], () => new ReplayClient([errorDatagram(1)]));
    expect(r.err).toBe(
      'conntrack v1.4.7 (conntrack-tools): Operation failed: sorry, you must be root or get CAP_NET_ADMIN capability to do this\n',
    );
  });

  it('-C falls back to /proc and still fails with the netlink error', async () => {
    const r = await run(['-C'], () => new ReplayClient([errorDatagram(1)]));
    expect(r.out).toMatch(/^\d+\n$/);
    expect(r.err).toBe(
      'conntrack v1.4.7 (conntrack-tools): Operation failed: sorry, you must be root or get CAP_NET_ADMIN capability to do this\n',
    );
    expect(r.code).toBe(1);
  });
});
