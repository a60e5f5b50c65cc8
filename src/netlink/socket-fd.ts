// The file descriptor of a netlink socket the addon opened. The netlink package does not expose it; reading a
// socket with read(2) into a buffer of our own (one datagram per call) saves the addon's per-datagram buffer,
// its callback, and its poll of the socket (see event-receiver.ts and dump-worker.ts).

import { readdirSync, readFileSync, readlinkSync } from 'node:fs';

/** The descriptors of this process that are sockets, with their inodes. */
export function socketFds(): Map<string, string> {
  const out = new Map<string, string>();
  for (const name of readdirSync('/proc/self/fd')) {
    try {
      const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/self/fd/${name}`));
      if (m) out.set(name, m[1]);
    } catch {
      // closed while listing (the listing's own descriptor)
    }
  }
  return out;
}

/**
 * The one socket that appeared since `before` was taken, if it is a netlink socket of this protocol
 * (/proc/self/net/netlink); undefined otherwise (then the caller reads through the addon).
 */
export function newNetlinkFd(before: Map<string, string>, protocol: number): number | undefined {
  const fresh = [...socketFds()].filter(([name]) => !before.has(name));
  if (fresh.length !== 1) return undefined;
  const [name, inode] = fresh[0];
  try {
    for (const line of readFileSync('/proc/self/net/netlink', 'latin1').split('\n').slice(1)) {
      // sk Eth Pid Groups Rmem Wmem Dump Locks Drops Inode
      const f = line.trim().split(/\s+/);
      if (f.length >= 10 && Number(f[1]) === protocol && f[9] === inode) return Number(name);
    }
  } catch {
    // no /proc
  }
  return undefined;
}
