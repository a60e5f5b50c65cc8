// nlmsghdr + nfgenmsg framing: building requests and walking the messages of a received datagram.
//
// struct nlmsghdr { u32 nlmsg_len; u16 nlmsg_type; u16 nlmsg_flags; u32 nlmsg_seq; u32 nlmsg_pid; } (host order)
// struct nfgenmsg { u8 nfgen_family; u8 version; be16 res_id; }

import { AttrNode, align4, encodeAttrs, encodedLength, DecodeError, readU16LE, readU32LE } from './attributes.js';
import { NFGENMSG_LEN, NFNETLINK_V0, NLMSG, NLMSG_HDRLEN, NLM_F } from './constants.js';

export interface NfRequest {
  subsys: number;
  msg: number;
  flags: number;
  family: number;
  seq?: number;
  attrs?: AttrNode[];
  resId?: number;
  /** nfgen_version: NFNETLINK_V0 unless given */
  version?: number;
}

/** Encodes one nfnetlink request. NLM_F_REQUEST is always set: the kernel only ACKs messages without it. */
export function encodeRequest(req: NfRequest, seq: number): Buffer {
  const attrs = req.attrs ?? [];
  const len = NLMSG_HDRLEN + NFGENMSG_LEN + encodedLength(attrs);
  const buf = Buffer.alloc(len);
  buf.writeUInt32LE(len, 0);
  buf.writeUInt16LE((req.subsys << 8) | req.msg, 4);
  buf.writeUInt16LE(NLM_F.REQUEST | req.flags, 6);
  buf.writeUInt32LE(seq >>> 0, 8);
  buf.writeUInt32LE(0, 12); // nlmsg_pid: 0, the kernel fills in the sender's port
  buf[16] = req.family;
  buf[17] = req.version ?? NFNETLINK_V0;
  buf.writeUInt16BE(req.resId ?? 0, 18);
  encodeAttrs(attrs, buf, NLMSG_HDRLEN + NFGENMSG_LEN);
  return buf;
}

/** One message inside a datagram; the payload (nfgenmsg + attributes) is buf[offset+16, offset+len). */
export interface MessageHeader {
  len: number;
  type: number;
  flags: number;
  seq: number;
  pid: number;
}

/** The message at buf[off]. */
export function readHeader(buf: Buffer, off: number): MessageHeader {
  return {
    len: readU32LE(buf, off),
    type: readU16LE(buf, off + 4),
    flags: readU16LE(buf, off + 6),
    seq: readU32LE(buf, off + 8),
    pid: readU32LE(buf, off + 12),
  };
}

/**
 * Calls visit(off, header) for each message of a datagram, in order. Stops early if visit returns false.
 * A header whose length runs past the datagram (or is shorter than a header) is a DecodeError. The datagram is
 * buf[start, end) (a batch of them read into one buffer needs no Buffer per datagram); offsets are buf's.
 */
export function forEachMessage(
  buf: Buffer,
  visit: (off: number, len: number, type: number, flags: number, seq: number, pid: number) => boolean | void,
  start = 0,
  end = buf.length,
): void {
  let off = start;
  while (off + NLMSG_HDRLEN <= end) {
    const len = readU32LE(buf, off);
    if (len < NLMSG_HDRLEN || off + len > end) {
      throw new DecodeError(`netlink message with bad length ${len} at offset ${off - start} of a ${end - start}-byte datagram`);
    }
    const type = readU16LE(buf, off + 4);
    const flags = readU16LE(buf, off + 6);
    const seq = readU32LE(buf, off + 8);
    const pid = readU32LE(buf, off + 12);
    if (visit(off, len, type, flags, seq, pid) === false) return;
    off += align4(len);
  }
}

/** The errno of an NLMSG_ERROR message (0 = ACK), as a positive number. */
export function errorCode(buf: Buffer, off: number, len: number): number {
  if (len < NLMSG_HDRLEN + 4) throw new DecodeError('truncated NLMSG_ERROR');
  return -buf.readInt32LE(off + NLMSG_HDRLEN);
}

export const isControl = (type: number): boolean => type < 0x10; // NLMSG_MIN_TYPE
export const isDone = (type: number): boolean => type === NLMSG.DONE;
export const isError = (type: number): boolean => type === NLMSG.ERROR;

/** nfgenmsg fields of the message at off. */
export const nfgenFamily = (buf: Buffer, off: number): number => buf[off + NLMSG_HDRLEN];
export const nfgenResId = (buf: Buffer, off: number): number => buf.readUInt16BE(off + NLMSG_HDRLEN + 2);
export const ATTRS_OFFSET = NLMSG_HDRLEN + NFGENMSG_LEN;

/**
 * Sets NLM_F_ACK on the last of the messages lying end to end in buf: the kernel handles a datagram's messages
 * in order, so that one ACK says they are all done.
 */
export function ackLast(buf: Buffer): void {
  let last = 0;
  for (let off = 0; off < buf.length; off += buf.readUInt32LE(off)) last = off;
  buf.writeUInt16LE(buf.readUInt16LE(last + 6) | NLM_F.ACK, last + 6);
}
