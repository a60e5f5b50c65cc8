// The netlink socket's descriptor, found through /proc (the threaded dump and the event receiver read it with
// read(2)); when it cannot be told apart, none is returned and the addon reads.

import { createRequire } from 'node:module';
import { readSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { NetlinkSocketTable, netlinkSockets, newNetlinkFd, socketFds } from '../../src/netlink/socket-fd.js';

const { RawNetlinkSocket } = createRequire(import.meta.url)('netlink/dist/raw.js');
const NETLINK_NETFILTER = 12;
const NETLINK_ROUTE = 0;

describe('netlink socket descriptors', () => {
  it('finds the one socket opened, of its protocol, and reads from it', () => {
    const before = socketFds();
    const s = new RawNetlinkSocket(NETLINK_NETFILTER, { messagePeeking: false, msgBufferSize: 8192 });
    try {
      const fd = newNetlinkFd(before, NETLINK_NETFILTER);
      expect(fd).toBeTypeOf('number');
      // nothing sent, nothing to read: a non-blocking socket says EAGAIN
      expect(() => readSync(fd!, Buffer.alloc(64), 0, 64, null)).toThrow(expect.objectContaining({ code: 'EAGAIN' }));
    } finally {
      s.close();
    }
  });

  it('gives none for another protocol, or when two sockets appeared', () => {
    const before = socketFds();
    const a = new RawNetlinkSocket(NETLINK_ROUTE, { messagePeeking: false, msgBufferSize: 8192 });
    try {
      expect(newNetlinkFd(before, NETLINK_NETFILTER)).toBeUndefined();
      const b = new RawNetlinkSocket(NETLINK_NETFILTER, { messagePeeking: false, msgBufferSize: 8192 });
      try {
        expect(newNetlinkFd(before, NETLINK_NETFILTER)).toBeUndefined();
      } finally {
        b.close();
      }
    } finally {
      a.close();
    }
  });

  it('the kept-open table of sockets is read afresh each time: the same as netlinkSockets(), a new socket in it, a closed one gone', () => {
    const table = new NetlinkSocketTable(NETLINK_NETFILTER);
    try {
      const first = table.read();
      expect(table.isOpen).toBe(true);
      const before = socketFds();
      const s = new RawNetlinkSocket(NETLINK_NETFILTER, { messagePeeking: false, msgBufferSize: 8192 });
      let port: number;
      try {
        const inode = [...socketFds()].find(([fd]) => !before.has(fd))![1];
        const now = table.read();
        expect(now).toEqual(netlinkSockets(NETLINK_NETFILTER));
        port = [...now].find(([, ino]) => ino === inode)![0];
        expect(first.has(port)).toBe(false);
      } finally {
        s.close();
      }
      expect(table.read().has(port)).toBe(false);
    } finally {
      table.close();
    }
    expect(table.isOpen).toBe(false);
  });
});
