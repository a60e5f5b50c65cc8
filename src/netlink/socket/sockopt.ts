// The socket options Node and the netlink addon do not offer, called in libc through koffi (prebuilt, MIT):
// SO_RCVBUFFORCE (a receive buffer past net.core.rmem_max, for root) and SO_ATTACH_FILTER (a classic BPF
// program, netlink/bpf.ts); and what reading a socket without the addon takes (event-socket.ts): dup(2), an
// eventfd to wake a wait with, and poll(2) on libuv's thread pool. Loading koffi costs about 10 ms, so only the
// event sockets load this module, and only when they have something to set; where koffi cannot load, the caller
// goes on without (the options are improvements, never needed for correct output).

import { createRequire } from 'node:module';
import { SOCK_FILTER_LEN } from '../bpf.js';

/** asm-generic/socket.h */
export const SOL_SOCKET = 1;
export const SO = {
  RCVBUF: 8, // SO_RCVBUF
  ATTACH_FILTER: 26, // SO_ATTACH_FILTER
  RCVBUFFORCE: 33, // SO_RCVBUFFORCE
} as const;

/** What a call gave: 0, or the errno it failed with. */
export type Errno = number;

export interface SocketOptions {
  /** SO_RCVBUFFORCE: the receive buffer asked for, whatever net.core.rmem_max says (needs CAP_NET_ADMIN) */
  forceRecvBuffer(fd: number, bytes: number): Errno;
  /** SO_ATTACH_FILTER with the encoded struct sock_filter array */
  attachFilter(fd: number, program: Buffer): Errno;
  /**
   * recv(2) with MSG_DONTWAIT into buf[off, off+len): the length read, or the negated errno (-EAGAIN when the
   * socket is empty). No exception and no garbage per empty read, as fs.readSync has.
   */
  receive(fd: number, buf: Buffer, off: number, len: number): number;
  /** dup(2): another descriptor of the same socket, or the negated errno */
  duplicate(fd: number): number;
  /** eventfd(2), close-on-exec: a descriptor that wake() makes readable; or the negated errno */
  wakeDescriptor(): number;
  /** makes an eventfd readable (adds 1 to its counter) */
  wake(fd: number): void;
  close(fd: number): void;
  /**
   * poll(2) on a thread of libuv's pool until `fd` is readable or has an error (POLLERR: ENOBUFS), or `wakeFd`
   * was woken; `done` runs on the main thread. One wait per `fds` at a time: it holds their pollfd array.
   */
  waitReadable(fds: PollFds, done: () => void): void;
}

/** struct pollfd[2] (poll.h): the socket and the eventfd that ends a wait early. */
export class PollFds {
  readonly array = Buffer.alloc(2 * POLLFD_LEN);
  constructor(
    readonly fd: number,
    readonly wakeFd: number,
  ) {
    this.array.writeInt32LE(fd, 0);
    this.array.writeInt16LE(POLLIN, 4);
    this.array.writeInt32LE(wakeFd, POLLFD_LEN);
    this.array.writeInt16LE(POLLIN, POLLFD_LEN + 4);
  }
}

/** struct pollfd: int fd, short events, short revents */
const POLLFD_LEN = 8;
/** POLLIN (asm-generic/poll.h) */
const POLLIN = 0x1;
/** EFD_CLOEXEC (sys/eventfd.h, = O_CLOEXEC) */
const EFD_CLOEXEC = 0o2000000;

/** MSG_DONTWAIT (linux/socket.h) */
const MSG_DONTWAIT = 0x40;

type Native = ((...args: unknown[]) => number) & { async(...args: unknown[]): void };

interface Koffi {
  load(path: string): { func(signature: string): Native };
  struct(name: string, fields: Record<string, string>): unknown;
  errno(): number;
}

let loaded: SocketOptions | Error | undefined;

/** The socket options through libc, or the reason they are not available. */
export function socketOptions(): SocketOptions | Error {
  if (loaded) return loaded;
  try {
    const koffi = createRequire(import.meta.url)('koffi') as Koffi;
    const libc = koffi.load('libc.so.6');
    const setInt = libc.func('int setsockopt(int fd, int level, int name, const int *value, uint32_t len)');
    koffi.struct('sock_fprog', { len: 'uint16_t', filter: 'const void *' });
    const setProgram = libc.func('int setsockopt(int fd, int level, int name, const sock_fprog *value, uint32_t len)');
    /** struct sock_fprog: unsigned short len, padding, struct sock_filter *filter */
    const SOCK_FPROG_LEN = 16;
    const recv = libc.func('intptr_t recv(int fd, void *buf, size_t len, int flags)');
    const dup = libc.func('int dup(int fd)');
    const eventfd = libc.func('int eventfd(unsigned int initval, int flags)');
    const write = libc.func('intptr_t write(int fd, const void *buf, size_t len)');
    const close = libc.func('int close(int fd)');
    const poll = libc.func('int poll(void *fds, unsigned long nfds, int timeout)');
    const one = Buffer.alloc(8);
    one.writeBigUInt64LE(1n);
    const errnoOf = (r: number): Errno => (r === 0 ? 0 : koffi.errno() || -1);
    const orErrno = (r: number): number => (r >= 0 ? r : -(koffi.errno() || 1));
    loaded = {
      forceRecvBuffer: (fd, bytes) => errnoOf(setInt(fd, SOL_SOCKET, SO.RCVBUFFORCE, [bytes], 4)),
      attachFilter: (fd, program) =>
        errnoOf(setProgram(fd, SOL_SOCKET, SO.ATTACH_FILTER, { len: program.length / SOCK_FILTER_LEN, filter: program }, SOCK_FPROG_LEN)),
      receive: (fd, buf, off, len) => {
        const r = recv(fd, buf.subarray(off, off + len), len, MSG_DONTWAIT);
        return r >= 0 ? r : -(koffi.errno() || 1);
      },
      duplicate: (fd) => orErrno(dup(fd)),
      wakeDescriptor: () => orErrno(eventfd(0, EFD_CLOEXEC)),
      wake: (fd) => void write(fd, one, 8),
      close: (fd) => void close(fd),
      // poll() fails only with EINTR, EFAULT, EINVAL or ENOMEM: the caller reads the socket either way
      waitReadable: (fds, done) => poll.async(fds.array, 2, -1, () => done()),
    };
  } catch (e) {
    loaded = e instanceof Error ? e : new Error(String(e));
  }
  return loaded;
}
