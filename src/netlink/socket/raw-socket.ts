// The only module that imports the `netlink` package: opening a NETLINK_NETFILTER socket (with its multicast
// groups and receive buffer), finding its descriptor for read(2), the read(2) of one datagram, and what a failed
// socket call reports (its cause). NfnlSocket (nfnl-socket.ts), the threaded dump's receiver (dump-worker.ts) and the
// event receiver process (event-receiver.ts) all open their sockets here; what they say to each other is in
// protocol.ts.

import { readSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { RawNetlinkSocket } from 'netlink';
import { NETLINK_NETFILTER } from '../constants.js';
import { ERRNO, strerror } from '../errno.js';
import { newNetlinkFd, socketFds } from './fd.js';

export type RawSocket = RawNetlinkSocket;

/**
 * Why a socket call failed: the error code the addon (or Node) gave, or, for a failure that came without one
 * (the addon's "Couldn't find a free address", a receiver that went away without a word), what happened.
 */
export type SocketCause = { kind: 'errno'; errno: number; syscall: string } | { kind: 'unknown'; syscall: string; what: string };

/** A cause without an error code is reported as EIO, the errno conntrack's messages name for a failed exchange. */
export const UNKNOWN_CAUSE_ERRNO = ERRNO.EIO;

export function unknownCause(syscall: string, what: string): SocketCause {
  return { kind: 'unknown', syscall, what };
}

/** The cause of an error thrown or emitted by the addon or by Node (their errno is positive or negative). */
export function causeOf(e: unknown, syscall: string): SocketCause {
  if (e instanceof NetlinkError) return e.socketCause;
  const errno = typeof e === 'object' && e !== null ? (e as { errno?: unknown }).errno : undefined;
  if (typeof errno === 'number' && errno !== 0) return { kind: 'errno', errno: Math.abs(errno), syscall };
  const what = e instanceof Error ? e.message : String(e);
  return unknownCause(syscall, what || 'an error without a code');
}

/** The errno a message names for a cause. */
export function causeErrno(c: SocketCause): number {
  return c.kind === 'errno' ? c.errno : UNKNOWN_CAUSE_ERRNO;
}

/** A failure reported by the kernel (NLMSG_ERROR) or by a socket call, with a positive errno. */
export class NetlinkError extends Error {
  /** what happened, when the failure came without an error code (errno is then UNKNOWN_CAUSE_ERRNO) */
  readonly unknownCause?: string;
  /** the client operation that failed ('create', 'delete', 'dump', ...), set by the client (ctnetlink/client.ts) */
  operation?: string;
  constructor(
    readonly errno: number,
    readonly syscall?: string,
    unknownCause?: string,
  ) {
    super(strerror(errno));
    this.name = 'NetlinkError';
    if (unknownCause !== undefined) this.unknownCause = unknownCause;
  }

  static from(c: SocketCause): NetlinkError {
    return c.kind === 'errno' ? new NetlinkError(c.errno, c.syscall) : new NetlinkError(UNKNOWN_CAUSE_ERRNO, c.syscall, c.what);
  }

  get socketCause(): SocketCause {
    return this.unknownCause === undefined
      ? { kind: 'errno', errno: this.errno, syscall: this.syscall ?? '' }
      : unknownCause(this.syscall ?? '', this.unknownCause);
  }
}

export function toNetlinkError(e: unknown, syscall: string): NetlinkError {
  return e instanceof NetlinkError ? e : NetlinkError.from(causeOf(e, syscall));
}

export interface OpenOptions {
  /** the largest datagram expected (the addon allocates, and zeroes, this much for each one it reads) */
  msgBufferSize: number;
  /** SO_RCVBUF to ask for at once (0: the default) */
  recvBufferSize?: number;
  /** multicast group numbers to join (NFNLGRP_*) */
  groups?: number[];
  /** find the socket's descriptor too, for read(2) (see fd.ts) */
  findFd?: boolean;
}

export interface OpenSocket {
  socket: RawSocket;
  /** the socket's descriptor, when asked for and it could be told apart; else only the addon reads */
  fd: number | undefined;
}

let rawSocketClass: typeof RawNetlinkSocket | undefined;
function loadRawSocket(): typeof RawNetlinkSocket {
  // Loaded lazily (and through require: the package is CommonJS with a native addon).
  if (!rawSocketClass)
    rawSocketClass = (createRequire(import.meta.url)('netlink/dist/raw.js') as typeof import('netlink')).RawNetlinkSocket;
  return rawSocketClass;
}

/**
 * Opens a NETLINK_NETFILTER socket and joins its groups. A failure throws a NetlinkError with its cause: the
 * socket call ('socket') or joining a group ('setsockopt'); the socket is closed then.
 */
export function openNetfilterSocket(opts: OpenOptions): OpenSocket {
  return openNetlinkSocket(NETLINK_NETFILTER, opts);
}

/** openNetfilterSocket for any netlink protocol (the tests open a NETLINK_ROUTE socket beside it). */
export function openNetlinkSocket(protocol: number, opts: OpenOptions): OpenSocket {
  const Raw = loadRawSocket();
  const before = opts.findFd ? socketFds() : undefined;
  let socket: RawSocket;
  try {
    socket = new Raw(protocol, {
      messagePeeking: false,
      msgBufferSize: opts.msgBufferSize,
      recvBufferSize: opts.recvBufferSize ?? 0,
      sendBufferSize: 0,
    });
  } catch (e) {
    throw toNetlinkError(e, 'socket');
  }
  const fd = before ? newNetlinkFd(before, protocol) : undefined;
  for (const g of opts.groups ?? []) {
    try {
      socket.addMembership(g);
    } catch (e) {
      socket.close();
      throw toNetlinkError(e, 'setsockopt');
    }
  }
  return { socket, fd };
}

/** readDatagram's answer when the socket holds nothing (EAGAIN). */
export const EMPTY = -1;

/**
 * Reads one datagram with read(2) into buf[off, off+max): its length, EMPTY when the socket holds nothing, or
 * the cause of a failure (ENOBUFS: the socket overran). EINTR is retried. Call it inside quietReads().
 */
export function readDatagram(fd: number, buf: Uint8Array, off: number, max: number): number | SocketCause {
  for (;;) {
    try {
      return readSync(fd, buf, off, max, null);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'EINTR') continue;
      if (code === 'EAGAIN' || code === 'EWOULDBLOCK') return EMPTY;
      return causeOf(e, 'recvmsg');
    }
  }
}

/** Runs a loop of reads without stack traces for their errors (EAGAIN ends every drain of a socket). */
export function quietReads<T>(f: () => T): T {
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  try {
    return f();
  } finally {
    Error.stackTraceLimit = limit;
  }
}
