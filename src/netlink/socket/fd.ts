// The file descriptor of a netlink socket the addon opened. The netlink package does not expose it; reading a
// socket with read(2) into a buffer of our own (one datagram per call) saves the addon's per-datagram buffer,
// its callback, and its poll of the socket (see event-receiver.ts and dump-worker.ts). Also the procfs readers
// the program names of event senders need (program-names.ts): /proc/PID/fd and /proc/thread-self/net/netlink.

import { closeSync, openSync, readdirSync, readFileSync, readlinkSync, readSync } from 'node:fs';

/** The descriptors of a process (this one by default) that are sockets, with their inodes; empty when it is gone. */
export function socketFds(pid: number | 'self' = 'self'): Map<string, string> {
  const out = new Map<string, string>();
  let names: string[];
  try {
    names = readdirSync(`/proc/${pid}/fd`);
  } catch {
    return out; // gone, or not ours to look into
  }
  for (const name of names) {
    try {
      const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${name}`));
      if (m) out.set(name, m[1]);
    } catch {
      // closed while listing (the listing's own descriptor)
    }
  }
  return out;
}

/** Where this thread's table of netlink sockets is (thread-self is Linux 3.17+). */
const NETLINK_TABLES = ['/proc/thread-self/net/netlink', '/proc/self/net/netlink'];

/** The rows of /proc/net/netlink of one protocol: port id → socket inode. */
function parseNetlinkTable(text: string, protocol: number): Map<number, string> {
  const out = new Map<number, string>();
  for (const line of text.split('\n').slice(1)) {
    // sk Eth Pid Groups Rmem Wmem Dump Locks Drops Inode
    const f = line.trim().split(/\s+/);
    if (f.length >= 10 && Number(f[1]) === protocol) out.set(Number(f[2]) >>> 0, f[9]);
  }
  return out;
}

/**
 * The netlink sockets of one protocol in this thread's network namespace (/proc/thread-self/net/netlink; a thread
 * that entered another namespace to open a socket there sees that one, where /proc/self/net is the main
 * thread's): port id → socket inode. Empty without /proc.
 */
export function netlinkSockets(protocol: number): Map<number, string> {
  for (const file of NETLINK_TABLES) {
    try {
      return parseNetlinkTable(readFileSync(file, 'latin1'), protocol);
    } catch {
      // the next
    }
  }
  return new Map();
}

/**
 * netlinkSockets() for a reader that asks often (the program names of -E, once per batch of events): the table is
 * kept open and read again from its start each time (procfs makes it afresh for a read at offset 0), which spares
 * an open, a stat and a close per read. It stays the table of the namespace the thread was in at the first read.
 */
export class NetlinkSocketTable {
  private fd = -1;
  private buf = Buffer.allocUnsafe(16 << 10);

  constructor(private readonly protocol: number) {}

  /** whether the table is open (the namespace it shows is settled) */
  get isOpen(): boolean {
    return this.fd >= 0;
  }

  read(): Map<number, string> {
    for (const file of NETLINK_TABLES) {
      if (this.fd >= 0) break;
      try {
        this.fd = openSync(file, 'r');
      } catch {
        // the next
      }
    }
    if (this.fd < 0) return new Map();
    let n = 0;
    try {
      for (;;) {
        if (n === this.buf.length) {
          const bigger = Buffer.allocUnsafe(this.buf.length * 2);
          this.buf.copy(bigger);
          this.buf = bigger;
        }
        const r = readSync(this.fd, this.buf, n, this.buf.length - n, n);
        if (r === 0) break;
        n += r;
      }
    } catch {
      return new Map();
    }
    return parseNetlinkTable(this.buf.toString('latin1', 0, n), this.protocol);
  }

  close(): void {
    if (this.fd >= 0) closeSync(this.fd);
    this.fd = -1;
  }
}

/**
 * The one socket that appeared since `before` was taken, if it is a netlink socket of this protocol;
 * undefined otherwise (then the caller reads through the addon).
 */
export function newNetlinkFd(before: Map<string, string>, protocol: number): number | undefined {
  const fresh = [...socketFds()].filter(([name]) => !before.has(name));
  if (fresh.length !== 1) return undefined;
  const [name, inode] = fresh[0];
  for (const ino of netlinkSockets(protocol).values()) if (ino === inode) return Number(name);
  return undefined;
}
