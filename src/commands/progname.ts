// The name of the process behind a netlink port id, for "[USERSPACE] portid=N progname=P" (conntrack.c
// get_progname): /proc/net/netlink gives the socket's inode, then the process that holds it is looked for,
// first as pid == portid, then in every /proc/PID/fd. conntrack does this for every event, which is most of
// why it falls behind a burst; here the answer is kept per port id for a second.

import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { NETLINK_NETFILTER } from '../netlink/constants.js';

interface Cached {
  at: number;
  name: string | undefined;
}

function inodeOf(portid: number): number | undefined {
  let text: string;
  try {
    text = readFileSync('/proc/net/netlink', 'latin1');
  } catch {
    return undefined;
  }
  for (const line of text.split('\n')) {
    // sk Eth Pid Groups Rmem Wmem Dump Locks Drops Inode
    const f = line.trim().split(/\s+/);
    if (f.length < 10 || f[0] === 'sk') continue;
    if (Number(f[1]) === NETLINK_NETFILTER && Number(f[2]) >>> 0 === portid) return Number(f[9]);
  }
  return undefined;
}

function pidName(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
    const m = /^\d+ \(([^)]*)/.exec(stat);
    return m ? m[1] : undefined;
  } catch {
    return undefined;
  }
}

function holds(pid: number, inode: number): boolean {
  let fds: string[];
  try {
    fds = readdirSync(`/proc/${pid}/fd`);
  } catch {
    return false;
  }
  const want = `socket:[${inode}]`;
  for (const fd of fds) {
    try {
      if (readlinkSync(`/proc/${pid}/fd/${fd}`) === want) return true;
    } catch {
      // gone
    }
  }
  return false;
}

export class ProgramNames {
  private cache = new Map<number, Cached>();
  constructor(private readonly now: () => number = Date.now) {}

  lookup(portid: number): string | undefined {
    const t = this.now();
    const hit = this.cache.get(portid);
    if (hit && t - hit.at < 1000) return hit.name;
    const name = this.resolve(portid);
    this.cache.set(portid, { at: t, name });
    return name;
  }

  private resolve(portid: number): string | undefined {
    const inode = inodeOf(portid);
    if (inode === undefined) return undefined;
    if (holds(portid, inode)) return pidName(portid);
    let pids: string[];
    try {
      pids = readdirSync('/proc');
    } catch {
      return undefined;
    }
    for (const p of pids) {
      if (!/^\d+$/.test(p)) continue;
      const pid = Number(p);
      if (pid <= 1 || pid === portid) continue;
      if (holds(pid, inode)) return pidName(pid);
    }
    return undefined;
  }
}
