// The netlink socket's descriptor, found through /proc (the threaded dump and the event receiver read it with
// read(2)); when it cannot be told apart, none is returned and the addon reads. Sockets are opened through the
// socket module (raw-socket.ts), the one place that loads the `netlink` package.

import { readSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { NETLINK_NETFILTER, NETLINK_ROUTE } from '../../src/netlink/constants.js';
import { NetlinkSocketTable, netlinkSockets, newNetlinkFd, socketFds } from '../../src/netlink/socket/fd.js';
import { openNetfilterSocket, openNetlinkSocket } from '../../src/netlink/socket/raw-socket.js';

const opts = { msgBufferSize: 8192 };

describe('netlink socket descriptors', () => {
  it('finds the one socket opened, of its protocol, and reads from it', () => {
    const before = socketFds();
    const { socket } = openNetfilterSocket(opts);
    try {
      const fd = newNetlinkFd(before, NETLINK_NETFILTER);
      expect(fd).toBeTypeOf('number');
      // nothing sent, nothing to read: a non-blocking socket says EAGAIN
      expect(() => readSync(fd!, Buffer.alloc(64), 0, 64, null)).toThrow(expect.objectContaining({ code: 'EAGAIN' }));
    } finally {
      socket.close();
    }
  });

  it('is what openNetfilterSocket({ findFd }) returns', () => {
    const { socket, fd } = openNetfilterSocket({ ...opts, findFd: true });
    try {
      expect(fd).toBeTypeOf('number');
      expect(() => readSync(fd!, Buffer.alloc(64), 0, 64, null)).toThrow(expect.objectContaining({ code: 'EAGAIN' }));
    } finally {
      socket.close();
    }
  });

  it('gives none for another protocol, or when two sockets appeared', () => {
    const before = socketFds();
    const { socket: a, fd: routeFd } = openNetlinkSocket(NETLINK_ROUTE, { ...opts, findFd: true });
    try {
      expect(routeFd).toBeTypeOf('number');
      expect(newNetlinkFd(before, NETLINK_NETFILTER)).toBeUndefined();
      const { socket: b } = openNetfilterSocket(opts);
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
      const { socket: s } = openNetfilterSocket(opts);
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
