// Entering a network namespace (src/netlink/socket/netns.ts): what a spec names, the errors of a namespace that cannot
// be used, and that the thread is back in its own namespace afterwards, whatever happened.

import { openSync, closeSync, readlinkSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { inNetns, NetnsHandle, netnsPath } from '../../src/netlink/socket/netns.js';
import { NetlinkError } from '../../src/netlink/socket/nfnl-socket.js';
import { ConntrackClient } from '../../src/ctnetlink/client.js';
import { openEventStream } from '../../src/ctnetlink/event-stream.js';

const here = (): string => readlinkSync('/proc/thread-self/ns/net');

function errorOf(f: () => unknown): NetlinkError {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(NetlinkError);
    return e as NetlinkError;
  }
  throw new Error('did not throw');
}

describe('netnsPath', () => {
  it('takes a bare name as one under /run/netns, anything with a slash as a path, a number as a descriptor', () => {
    expect(netnsPath('ns1')).toBe('/run/netns/ns1');
    expect(netnsPath('/proc/42/ns/net')).toBe('/proc/42/ns/net');
    expect(netnsPath('./ns')).toBe('./ns');
    expect(netnsPath(7)).toBe('/proc/self/fd/7');
  });
});

describe('errors, and the thread stays where it is', () => {
  it('a missing namespace is ENOENT from open', () => {
    const before = here();
    const e = errorOf(() => NetnsHandle.open(`no-such-netns-${process.pid}`));
    expect([e.errno, e.syscall]).toEqual([2, 'open']);
    expect(errorOf(() => ConntrackClient.open({ netns: `/nonexistent/${process.pid}` })).errno).toBe(2);
    expect(here()).toBe(before);
  });

  it('a regular file or a namespace of another kind is EINVAL from setns, and nothing runs', () => {
    const before = here();
    let ran = false;
    for (const path of ['/etc/hostname', '/proc/self/ns/mnt', '/proc/self/ns/uts']) {
      const ns = NetnsHandle.open(path);
      try {
        const e = errorOf(() => inNetns(ns.fd, () => (ran = true)));
        expect([path, e.errno, e.syscall]).toEqual([path, 22, 'setns']);
      } finally {
        ns.close();
      }
      expect(here()).toBe(before);
    }
    expect(ran).toBe(false);
    expect(errorOf(() => ConntrackClient.open({ netns: '/proc/self/ns/mnt' })).errno).toBe(22);
    expect(
      errorOf(() =>
        openEventStream(
          { table: 'conntrack', events: { new: true, update: true, destroy: true }, netns: '/etc/hostname' },
          { message() {}, failed() {} },
        ),
      ).errno,
    ).toBe(22);
    expect(here()).toBe(before);
  });

  it.skipIf(process.getuid?.() !== 0)(
    "the thread's own namespace (root: setns needs CAP_SYS_ADMIN): entered and left, what f returns or throws comes back",
    () => {
      const before = here();
      const own = openSync('/proc/thread-self/ns/net', 'r');
      try {
        expect(inNetns(own, () => here())).toBe(before);
        expect(() =>
          inNetns(own, () => {
            throw new RangeError('inside');
          }),
        ).toThrow(RangeError);
      } finally {
        closeSync(own);
      }
      expect(here()).toBe(before);
    },
  );

  it('a handle opened from a descriptor is its own: the original may be closed', () => {
    const fd = openSync('/proc/thread-self/ns/net', 'r');
    const ns = NetnsHandle.open(fd);
    closeSync(fd);
    expect(readlinkSync(`/proc/self/fd/${ns.fd}`)).toBe(here());
    ns.close();
    ns.close(); // a second close does nothing
  });
});
