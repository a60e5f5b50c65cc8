// The socket options Node and the netlink addon do not offer, called in libc through koffi (prebuilt, MIT):
// SO_RCVBUFFORCE (a receive buffer past net.core.rmem_max, for root) and SO_ATTACH_FILTER (a classic BPF
// program, netlink/bpf.ts). Loading koffi costs about 10 ms, so only the event receiver loads this module, and
// only when it has something to set; where koffi cannot load, the caller goes on without (the options are
// improvements, never needed for correct output).

import { createRequire } from 'node:module';
import { SOCK_FILTER_LEN } from './bpf.js';

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
}

/** MSG_DONTWAIT (linux/socket.h) */
const MSG_DONTWAIT = 0x40;

interface Koffi {
  load(path: string): { func(signature: string): (...args: unknown[]) => number };
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
    const errnoOf = (r: number): Errno => (r === 0 ? 0 : koffi.errno() || -1);
    loaded = {
      forceRecvBuffer: (fd, bytes) => errnoOf(setInt(fd, SOL_SOCKET, SO.RCVBUFFORCE, [bytes], 4)),
      attachFilter: (fd, program) =>
        errnoOf(setProgram(fd, SOL_SOCKET, SO.ATTACH_FILTER, { len: program.length / SOCK_FILTER_LEN, filter: program }, SOCK_FPROG_LEN)),
      receive: (fd, buf, off, len) => {
        const r = recv(fd, buf.subarray(off, off + len), len, MSG_DONTWAIT);
        return r >= 0 ? r : -(koffi.errno() || 1);
      },
    };
  } catch (e) {
    loaded = e instanceof Error ? e : new Error(String(e));
  }
  return loaded;
}
