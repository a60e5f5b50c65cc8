// The program behind a netlink port, for -E's "[USERSPACE] portid=N progname=P": found through /proc like
// conntrack's get_progname(), and remembered only while its socket is in /proc/net/netlink (and shortly after).

import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { NETLINK_NETFILTER } from '../../src/netlink/constants.js';
import { ProgramNames } from '../../src/netlink/program-names.js';
import { openNetfilterSocket } from '../../src/netlink/socket/raw-socket.js';
import { netlinkSockets, socketFds } from '../../src/netlink/socket/fd.js';

/** A scripted /proc: the table the next read gives, and the resolutions asked for. */
function scripted() {
  let t = 0;
  let table = new Map<number, string>();
  const reads: number[] = [];
  const asked: string[] = [];
  const names = new ProgramNames(
    () => t,
    () => {
      reads.push(t);
      return table;
    },
    (portid, inode) => {
      asked.push(`${portid}:${inode}`);
      return `prog-${inode}`;
    },
  );
  return {
    names,
    reads,
    asked,
    at: (ms: number) => (t = ms),
    table: (entries: Array<[number, string]>) => (table = new Map(entries)),
  };
}

describe('program names of netlink ports', () => {
  it("names this process's own netfilter socket by its comm", () => {
    const before = socketFds();
    const { socket: s } = openNetfilterSocket({ msgBufferSize: 8192 });
    try {
      const inode = [...socketFds()].find(([fd]) => !before.has(fd))![1];
      const portid = [...netlinkSockets(NETLINK_NETFILTER)].find(([, ino]) => ino === inode)![0];
      const comm = /^\d+ \(([^)]+)/.exec(readFileSync('/proc/self/stat', 'latin1'))![1];
      expect(new ProgramNames().lookup(portid)).toBe(comm);
    } finally {
      s.close();
    }
  });

  it('gives none for a port no socket holds', () => {
    const s = scripted();
    s.table([[100, '7']]);
    expect(s.names.lookup(200)).toBeUndefined();
    expect(s.asked).toEqual([]);
  });

  it('resolves a socket once, and reads the table at most once a millisecond for ports not known yet', () => {
    const s = scripted();
    s.table([[100, '7']]);
    expect(s.names.lookup(200)).toBeUndefined();
    s.at(0.5);
    expect(s.names.lookup(200)).toBeUndefined();
    s.table([
      [100, '7'],
      [200, '8'],
    ]);
    s.at(1.5);
    expect(s.names.lookup(200)).toBe('prog-8');
    expect(s.names.lookup(200)).toBe('prog-8');
    expect(s.asked).toEqual(['200:8']);
    expect(s.reads).toEqual([0, 1.5]);
  });

  it('gives a known port its name without reading the table for 250 ms after the last read', () => {
    const s = scripted();
    s.table([[100, '7']]);
    expect(s.names.lookup(100)).toBe('prog-7');
    for (const t of [1, 50, 100, 249]) {
      s.at(t);
      expect(s.names.lookup(100)).toBe('prog-7');
    }
    expect(s.reads).toEqual([0]);
    s.at(250);
    expect(s.names.lookup(100)).toBe('prog-7');
    expect(s.reads).toEqual([0, 250]);
    expect(s.asked).toEqual(['100:7']);
  });

  it('a port taken by another socket (another inode) is resolved again at the next read of the table', () => {
    const s = scripted();
    s.table([[100, '7']]);
    expect(s.names.lookup(100)).toBe('prog-7');
    s.table([[100, '9']]);
    s.at(2);
    expect(s.names.lookup(100)).toBe('prog-7');
    s.at(250);
    expect(s.names.lookup(100)).toBe('prog-9');
    expect(s.asked).toEqual(['100:7', '100:9']);
  });

  it('a read for a port not known yet also finds a known port taken by another socket', () => {
    const s = scripted();
    s.table([[100, '7']]);
    s.names.lookup(100);
    s.table([
      [100, '9'],
      [200, '8'],
    ]);
    s.at(2);
    expect(s.names.lookup(200)).toBe('prog-8');
    expect(s.names.lookup(100)).toBe('prog-9');
  });

  it('keeps the name of a closed socket for its queued events, for 250 ms after a read missed it, then forgets it', () => {
    const s = scripted();
    s.table([[100, '7']]);
    expect(s.names.lookup(100)).toBe('prog-7');
    s.table([]);
    s.at(300);
    expect(s.names.lookup(100)).toBe('prog-7');
    s.at(549);
    expect(s.names.lookup(100)).toBe('prog-7');
    s.at(550);
    expect(s.names.lookup(100)).toBeUndefined();
    // and a socket that comes back on that port is a new one
    s.table([[100, '8']]);
    s.at(560);
    expect(s.names.lookup(100)).toBe('prog-8');
  });

  it('a closed socket whose port is taken again within the grace is replaced, not kept', () => {
    const s = scripted();
    s.table([[100, '7']]);
    s.names.lookup(100);
    s.table([]);
    s.at(300);
    s.names.lookup(100);
    s.table([[100, '11']]);
    s.at(302);
    expect(s.names.lookup(100)).toBe('prog-11');
  });
});
