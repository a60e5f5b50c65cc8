// Sockets opened in another network namespace. A socket keeps the namespace it was created in, and setns(2)
// moves only the calling thread: so the thread enters the target, creates the socket, and goes back, in one
// synchronous stretch (nothing else of this thread runs meanwhile). Its own namespace is opened first
// (/proc/thread-self/ns/net) so that it can always return. setns is called in libc through koffi (as sockopt.ts
// does), loaded only when a namespace is asked for: a program that never names one loads nothing of this.

import { closeSync, constants as fsConstants, openSync } from 'node:fs';
import { createRequire } from 'node:module';
import { ERRNO } from '../errno.js';
import { NetlinkError, toNetlinkError } from './raw-socket.js';

/** A network namespace: a name under /run/netns (as `ip netns` makes them), a path (/proc/PID/ns/net), or an open fd. */
export type NetnsSpec = string | number;

/** CLONE_NEWNET (linux/sched.h): setns() refuses a descriptor of any other kind of namespace with EINVAL. */
export const CLONE_NEWNET = 0x40000000;

/** Where `ip netns add NAME` mounts its namespaces (iproute2's NETNS_RUN_DIR). */
export const NETNS_RUN_DIR = '/run/netns';

/** The file a namespace spec names: a bare name is one under /run/netns, anything with a '/' is a path. */
export function netnsPath(spec: NetnsSpec): string {
  if (typeof spec === 'number') return `/proc/self/fd/${spec}`;
  return spec.includes('/') ? spec : `${NETNS_RUN_DIR}/${spec}`;
}

type SetnsCall = (fd: number, nstype: number) => number;
let setnsCall: SetnsCall | Error | undefined;

/** libc's setns(2): 0, or the errno it failed with. */
function setns(fd: number, nstype: number): number {
  if (setnsCall === undefined) {
    try {
      const koffi = createRequire(import.meta.url)('koffi') as {
        load(path: string): { func(signature: string): (...args: unknown[]) => number };
        errno(): number;
      };
      const call = koffi.load('libc.so.6').func('int setns(int fd, int nstype)');
      setnsCall = (f, t) => (call(f, t) === 0 ? 0 : koffi.errno() || ERRNO.EIO);
    } catch (e) {
      setnsCall = e instanceof Error ? e : new Error(String(e));
    }
  }
  if (setnsCall instanceof Error) throw new NetlinkError(ERRNO.ENOSYS, 'setns', `setns(2) is not available: ${setnsCall.message}`);
  return setnsCall(fd, nstype);
}

/**
 * An open descriptor of a network namespace, owned by the caller (close() it). A name or path is opened; an fd
 * is opened again through /proc/self/fd, so the caller's own descriptor may be closed whenever it likes. Throws
 * a NetlinkError: ENOENT (no such namespace), EACCES, ... from open(2).
 */
export class NetnsHandle {
  private closed = false;
  private constructor(
    readonly fd: number,
    /** what it was opened from, for messages */
    readonly path: string,
  ) {}

  static open(spec: NetnsSpec): NetnsHandle {
    const path = netnsPath(spec);
    // (libuv opens every file with O_CLOEXEC: no program this process starts inherits it unless given it)
    try {
      return new NetnsHandle(openSync(path, fsConstants.O_RDONLY), path);
    } catch (e) {
      throw toNetlinkError(e, 'open');
    }
  }

  /** Closes the descriptor (once: a second call does nothing, so it never closes a descriptor reused since). */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    closeSync(this.fd);
  }
}

/**
 * Runs `f` on this thread inside the namespace of descriptor `fd`, then returns to the thread's own namespace,
 * whatever `f` did. Throws a NetlinkError of setns(2) when the namespace cannot be entered: EINVAL (not a
 * network namespace), EPERM (no CAP_SYS_ADMIN over it); the thread has not moved then.
 */
export function inNetns<T>(fd: number, f: () => T): T {
  let home: number;
  try {
    home = openSync('/proc/thread-self/ns/net', fsConstants.O_RDONLY);
  } catch (e) {
    throw toNetlinkError(e, 'open');
  }
  try {
    enterNetns(fd);
    let result: T;
    try {
      result = f();
    } catch (e) {
      goBack(home);
      throw e;
    }
    goBack(home);
    return result;
  } finally {
    closeSync(home);
  }
}

/** Returns this thread to the namespace of `home`. */
function goBack(home: number): void {
  const back = setns(home, CLONE_NEWNET);
  // a thread that cannot return would open every later socket in the wrong namespace: nothing may go on
  if (back !== 0) throw new Error(`setns back to the thread's own network namespace failed (errno ${back})`);
}

/**
 * Moves this thread into the namespace of descriptor `fd` for good (a process that exists to work there, such as
 * the event receiver: its /proc/self/net is then that namespace's too). Throws a NetlinkError of setns(2).
 */
export function enterNetns(fd: number): void {
  const entered = setns(fd, CLONE_NEWNET);
  if (entered !== 0) throw new NetlinkError(entered, 'setns');
}
