// The socket module's failure causes: each kind of error the addon, Node or a helper reports becomes the errno
// it carried, or a typed unknown cause saying what happened; and how the helpers' protocols carry them.

import { closeSync, openSync, readSync, unlinkSync, writeSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { EventStream } from '../../src/ctnetlink/event-stream.js';
import { ERRNO } from '../../src/netlink/errno.js';
import {
  causeErrno,
  causeOf,
  EMPTY,
  NetlinkError,
  openNetfilterSocket,
  readDatagram,
  type SocketCause,
  toNetlinkError,
  UNKNOWN_CAUSE_ERRNO,
  unknownCause,
} from '../../src/netlink/socket/raw-socket.js';
import {
  CONTROL,
  CONTROL_RECORD_SIZE,
  causeValue,
  controlRecord,
  DumpControl,
  RECORD_CONTROL,
  recordCause,
} from '../../src/netlink/socket/protocol.js';

/** The error Node throws for read(2) on a descriptor that is not open. */
function badFdError(): unknown {
  try {
    readSync(0x7ffffff0, Buffer.alloc(4), 0, 4, null);
  } catch (e) {
    return e;
  }
  throw new Error('read on a closed descriptor succeeded');
}

describe('failure causes', () => {
  it("the addon's ErrnoException: its positive errno, with the call named by the caller", () => {
    const e = Object.assign(new Error("Couldn't add membership"), { name: 'ErrnoException', errno: ERRNO.EPERM, syscall: 'setsockopt' });
    expect(causeOf(e, 'setsockopt')).toEqual({ kind: 'errno', errno: ERRNO.EPERM, syscall: 'setsockopt' });
  });

  it("Node's errors (negative errno, as from read(2)): the positive errno", () => {
    const e = badFdError();
    expect((e as NodeJS.ErrnoException).errno).toBe(-ERRNO.EBADF);
    expect(causeOf(e, 'recvmsg')).toEqual({ kind: 'errno', errno: ERRNO.EBADF, syscall: 'recvmsg' });
  });

  it('an error without a code (the addon\'s "Couldn\'t find a free address"): unknown, saying what it was', () => {
    const c = causeOf(new Error("Couldn't find a free address"), 'socket');
    expect(c).toEqual({ kind: 'unknown', syscall: 'socket', what: "Couldn't find a free address" });
    expect(causeErrno(c)).toBe(UNKNOWN_CAUSE_ERRNO);
    expect(UNKNOWN_CAUSE_ERRNO).toBe(ERRNO.EIO);
  });

  it('errno 0, a thrown non-error, an error with an empty message: unknown', () => {
    expect(causeOf({ errno: 0 }, 'sendmsg').kind).toBe('unknown');
    expect(causeOf('boom', 'sendmsg')).toEqual({ kind: 'unknown', syscall: 'sendmsg', what: 'boom' });
    expect(causeOf(new Error(''), 'sendmsg')).toEqual({ kind: 'unknown', syscall: 'sendmsg', what: 'an error without a code' });
  });

  it('NetlinkError from a cause: the errno and its strerror text; an unknown cause reads as EIO and keeps what happened', () => {
    const known = NetlinkError.from({ kind: 'errno', errno: ERRNO.ENOBUFS, syscall: 'recvmsg' });
    expect([known.errno, known.syscall, known.message, known.unknownCause]).toEqual([
      ERRNO.ENOBUFS,
      'recvmsg',
      'No buffer space available',
      undefined,
    ]);
    const unknown = NetlinkError.from(unknownCause('recvmsg', 'the receiver left'));
    expect([unknown.errno, unknown.message, unknown.unknownCause]).toEqual([ERRNO.EIO, 'Input/output error', 'the receiver left']);
    // and back: the cause survives being carried as the error
    expect(causeOf(unknown, 'other')).toEqual(unknownCause('recvmsg', 'the receiver left'));
    expect(causeOf(known, 'other')).toEqual({ kind: 'errno', errno: ERRNO.ENOBUFS, syscall: 'recvmsg' });
    expect(toNetlinkError(known, 'other')).toBe(known);
  });
});

describe('the socket', () => {
  it('opens with its descriptor, which reads EMPTY while nothing came', () => {
    const { socket, fd } = openNetfilterSocket({ msgBufferSize: 8192, findFd: true });
    try {
      expect(fd).toBeTypeOf('number');
      expect(readDatagram(fd!, Buffer.alloc(64), 0, 64)).toBe(EMPTY);
    } finally {
      socket.close();
    }
  });

  it('without findFd, no descriptor is looked for', () => {
    const { socket, fd } = openNetfilterSocket({ msgBufferSize: 8192 });
    socket.close();
    expect(fd).toBeUndefined();
  });

  it('a group that does not exist: NetlinkError EINVAL from setsockopt, the socket closed', () => {
    let thrown: unknown;
    try {
      openNetfilterSocket({ msgBufferSize: 8192, groups: [1000] });
    } catch (e) {
      thrown = e;
    }
    expect(thrown).toBeInstanceOf(NetlinkError);
    expect(thrown).toMatchObject({ errno: ERRNO.EINVAL, syscall: 'setsockopt' });
  });

  it('readDatagram: a datagram is its length, a closed descriptor its errno', () => {
    const path = `/tmp/raw-socket-test-${process.pid}`;
    const w = openSync(path, 'w');
    writeSync(w, 'abc');
    closeSync(w);
    const r = openSync(path, 'r');
    unlinkSync(path);
    const b = Buffer.alloc(8);
    expect(readDatagram(r, b, 2, 6)).toBe(3);
    expect(b.toString('latin1', 2, 5)).toBe('abc');
    closeSync(r);
    expect(readDatagram(r, b, 0, 8)).toEqual({ kind: 'errno', errno: ERRNO.EBADF, syscall: 'recvmsg' });
  });
});

describe("the helpers' protocols", () => {
  it('a control record: the marker, the kind, the value', () => {
    const b = controlRecord(CONTROL.ERROR, ERRNO.ENOBUFS);
    expect(b.length).toBe(CONTROL_RECORD_SIZE);
    expect([b.readUInt32LE(0), b.readUInt32LE(4), b.readUInt32LE(8)]).toEqual([RECORD_CONTROL, CONTROL.ERROR, ERRNO.ENOBUFS]);
  });

  it('a cause goes over as its errno, or as 0 when it had none, and comes back as the same errno or as unknown', () => {
    const known: SocketCause = { kind: 'errno', errno: ERRNO.EPERM, syscall: 'socket' };
    expect(recordCause(CONTROL.OPEN_FAILED, causeValue(known))).toEqual(known);
    expect(recordCause(CONTROL.ERROR, ERRNO.ENOMEM)).toEqual({ kind: 'errno', errno: ERRNO.ENOMEM, syscall: 'recvmsg' });
    expect(causeValue(unknownCause('socket', 'x'))).toBe(0);
    expect(recordCause(CONTROL.OPEN_FAILED, 0)).toEqual(
      unknownCause('socket', 'the event receiver could not open its socket and was given no error code'),
    );
    expect(recordCause(CONTROL.ERROR, 0)).toEqual(
      unknownCause('recvmsg', 'the event receiver could not receive and was given no error code'),
    );
  });

  it('the event stream reports a receiver failure with its errno and its cause', () => {
    const failures: Array<[string, number, SocketCause]> = [];
    const stream = new EventStream([1], 0, { message: () => {}, failed: (kind, errno, cause) => failures.push([kind, errno, cause]) });
    stream.receive(Buffer.concat([controlRecord(CONTROL.READY, 4096), controlRecord(CONTROL.ERROR, ERRNO.ENOMEM)]));
    expect(failures).toEqual([['receive', ERRNO.ENOMEM, { kind: 'errno', errno: ERRNO.ENOMEM, syscall: 'recvmsg' }]]);
    const other = new EventStream([1], 0, { message: () => {}, failed: (kind, errno, cause) => failures.push([kind, errno, cause]) });
    other.receive(controlRecord(CONTROL.OPEN_FAILED, 0));
    expect(failures[1]).toEqual(['open', ERRNO.EIO, recordCause(CONTROL.OPEN_FAILED, 0)]);
  });

  it('ENOBUFS from the receiver is a loss, not a failure', () => {
    let losses = 0;
    const stream = new EventStream([1], 0, {
      message: () => {},
      loss: () => losses++,
      failed: () => {
        throw new Error('not a failure');
      },
    });
    stream.receive(controlRecord(CONTROL.ERROR, ERRNO.ENOBUFS));
    expect(losses).toBe(1);
  });

  it("the dump's control block: batches in flight counted, reserve refused once cancelled", () => {
    const main = new DumpControl();
    const receiver = new DumpControl(main.buffer);
    expect(receiver.reserve(2)).toBe(true);
    expect(receiver.reserve(2)).toBe(true);
    main.consumed();
    expect(receiver.reserve(2)).toBe(true);
    expect(receiver.cancelled()).toBe(false);
    main.cancel();
    expect(receiver.cancelled()).toBe(true);
    // full (2 in flight) and cancelled: no wait, no count
    expect(receiver.reserve(2)).toBe(false);
    expect(receiver.reserve(8)).toBe(false);
    expect(Array.from(main.cells)).toEqual([2, 1]);
  });
});
