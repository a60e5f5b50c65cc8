// The name of the process behind a netlink port id, for -E's "[USERSPACE] portid=N progname=P" (conntrack.c
// get_progname): the port's socket inode from /proc/net/netlink, then the process holding that socket, tried
// first as pid == portid (a process's first netlink socket gets its pid as port id), then every /proc/PID/fd;
// its name is the comm of /proc/PID/stat. conntrack looks it up as it reads each event, so a requester that has
// exited (or closed its socket) by then gets no name; the event receiver does the same as it reads each batch.
//
// conntrack reads /proc/net/netlink for every event and remembers the last (port id, inode) it resolved. Here
// the table is read again once it is SNAPSHOT_MS old when a port not known yet asks, and once it is TRUSTED_MS
// old when a known one does, so a burst costs a read per millisecond at most, not per event, and a steady stream
// from known senders one per TRUSTED_MS; a name is kept while its socket (the same port id with the same inode)
// is in the table and for CLOSED_MS after, since a port id is free for any later process once its socket is
// closed.

import { readFileSync, readdirSync, readlinkSync } from 'node:fs';
import { NETLINK_NETFILTER } from './constants.js';
import { netlinkSockets, socketFds } from './socket/fd.js';

/** How old the copy of /proc/net/netlink may get before it is read again. */
const SNAPSHOT_MS = 1;
/**
 * How long a name outlives its socket. An event from a port comes from a request on that port's socket, so the
 * events of a requester that are still queued when it closes its socket (a conntrack -D exits right after its
 * last delete, while the receiver sleeps between drains) were sent by it; a port id taken again by another
 * socket shows up in the table with another inode and replaces the name at once.
 */
const CLOSED_MS = 250;
/**
 * How long a known port's name is given without reading the table again. Reading it costs the kernel a walk of
 * every netlink socket of the host: 0.2-0.35 ms here, against about 40 us per event for the rest of -E, so one
 * read per batch (every 50 ms in a stream, event-socket.ts) was about a tenth of a listener's CPU in the bench's
 * 1% burst. Meanwhile a socket closed and its port taken by another process keeps the old name: a port id is its
 * owner's pid or a random negative number (netlink_autobind), so another process gets it only when pids wrap
 * around or by a 1 in 2^31 draw, and the same process reopening its socket has the same name anyway. A name of a
 * closed socket is then kept up to TRUSTED_MS + CLOSED_MS after it closed.
 */
const TRUSTED_MS = 250;

/** comm from /proc/PID/stat: what fscanf("%*u (%m[^)]") takes, so none for an empty one. */
function pidName(pid: number): string | undefined {
  try {
    const m = /^\d+ \(([^)]+)/.exec(readFileSync(`/proc/${pid}/stat`, 'latin1'));
    return m ? m[1] : undefined;
  } catch {
    return undefined;
  }
}

function holds(pid: number, inode: string): boolean {
  for (const ino of socketFds(pid).values()) if (ino === inode) return true;
  return false;
}

/** The network namespace of a process (or this thread), as readlink gives it ("net:[4026531840]"), if it can be seen. */
function netnsOf(pid: number | 'thread-self'): string | undefined {
  try {
    return readlinkSync(`/proc/${pid}/ns/net`);
  } catch {
    return undefined;
  }
}

/**
 * conntrack.c name_by_portid(): pid == portid first, then every process. conntrack goes through /proc in its
 * order (lowest pid first); here the newest processes come first, since the requester is most often one that has
 * just started (a conntrack -D's second socket, whose port id is not its pid): found in a fraction of the time a
 * whole scan takes, while it is still there. The name differs only for a socket two processes share (inherited
 * over fork without exec), where conntrack names the older one. The processes of this thread's network namespace
 * (the socket's, but for a listener reading another namespace's table) are looked into first: one readlink tells a
 * process of another namespace, where looking through its descriptors takes one per descriptor, and on a busy host
 * the requester is found before it exits; the others are looked into after them.
 */
function nameByPortid(portid: number, inode: string): string | undefined {
  if (holds(portid, inode)) return pidName(portid);
  let pids: number[];
  try {
    pids = readdirSync('/proc')
      .filter((e) => /^\d+$/.test(e))
      .map(Number)
      .sort((a, b) => b - a);
  } catch {
    return undefined;
  }
  const here = netnsOf('thread-self');
  const elsewhere: number[] = [];
  for (const pid of pids) {
    if (pid <= 1 || pid === portid) continue;
    if (here !== undefined && netnsOf(pid) !== here) elsewhere.push(pid);
    else if (holds(pid, inode)) return pidName(pid);
  }
  for (const pid of elsewhere) if (holds(pid, inode)) return pidName(pid);
  return undefined;
}

/** A monotonic clock in ms (uv_hrtime). */
function monotonicMs(): number {
  const [s, ns] = process.hrtime();
  return s * 1e3 + ns / 1e6;
}

interface Known {
  inode: string;
  name: string | undefined;
  /** when the socket was first missing from the table */
  goneAt?: number;
}

export class ProgramNames {
  /** port id → socket inode, as last read from /proc/net/netlink */
  private sockets = new Map<number, string>();
  private readAt = -Infinity;
  /** resolved names: of sockets in `sockets`, and for CLOSED_MS of sockets since closed */
  private known = new Map<number, Known>();

  /** The clock and the two lookups are the process's own; a test passes its own. */
  constructor(
    // not performance.now(): the global loads node:perf_hooks on first use, some ms in the middle of a burst; nor
    // process.uptime() (Node updates the event loop's clock in it): with it the receiver named none of a short-lived
    // requester's events in events.test's progname cases (3 runs of 3)
    private readonly now: () => number = monotonicMs,
    private readonly table: () => Map<number, string> = () => netlinkSockets(NETLINK_NETFILTER),
    private readonly resolve: (portid: number, inode: string) => string | undefined = nameByPortid,
  ) {}

  /** The program holding netlink port `portid` (or holding it until just now), or undefined when none is known. */
  lookup(portid: number): string | undefined {
    const t = this.now();
    const known = this.known.get(portid);
    if (known !== undefined && known.goneAt === undefined && t - this.readAt < TRUSTED_MS) return known.name;
    if (t - this.readAt >= SNAPSHOT_MS) {
      this.readAt = t;
      this.sockets = this.table();
      for (const [p, k] of this.known) {
        const inode = this.sockets.get(p);
        if (inode === k.inode) continue;
        if (inode === undefined && k.goneAt === undefined) k.goneAt = t;
        else if (inode !== undefined || t - k.goneAt! >= CLOSED_MS) this.known.delete(p);
      }
    }
    const k = this.known.get(portid);
    if (k !== undefined) return k.name;
    const inode = this.sockets.get(portid);
    if (inode === undefined) return undefined;
    const name = this.resolve(portid, inode);
    this.known.set(portid, { inode, name });
    return name;
  }
}
