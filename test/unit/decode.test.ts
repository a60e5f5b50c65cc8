// Decoding from declarative attribute trees (raw bytes only at the framing layer).

import { describe, expect, it } from 'vitest';
import { bytes, encodeAttrsToBuffer, nest, u16be, u32be, u64be, u8, str } from '../../src/netlink/attributes.js';
import {
  CTA,
  CTA_COUNTERS,
  CTA_HELP,
  CTA_IP,
  CTA_PROTO,
  CTA_PROTOINFO,
  CTA_PROTOINFO_TCP,
  CTA_TIMESTAMP,
  CTA_TUPLE,
} from '../../src/ctnetlink/constants.js';
import { decodeFlowAttrs, FlowDecoder } from '../../src/ctnetlink/decode.js';
import { encodeRequest, forEachMessage } from '../../src/netlink/framing.js';
import { DecodeError } from '../../src/netlink/attributes.js';
import { formatFlowDefault } from '../../src/format/default.js';
import { fixedClock } from '../../src/format/clock.js';

const ip4 = (s: string): Uint8Array => Uint8Array.from(s.split('.').map(Number));
const tuple = (type: number, src: string, dst: string, proto: number, sport: number, dport: number) =>
  nest(
    type,
    nest(CTA_TUPLE.IP, bytes(CTA_IP.V4_SRC, ip4(src)), bytes(CTA_IP.V4_DST, ip4(dst))),
    nest(CTA_TUPLE.PROTO, u8(CTA_PROTO.NUM, proto), u16be(CTA_PROTO.SRC_PORT, sport), u16be(CTA_PROTO.DST_PORT, dport)),
  );

const tcpEntry = [
  tuple(CTA.TUPLE_ORIG, '1.1.1.1', '2.2.2.2', 6, 1000, 80),
  tuple(CTA.TUPLE_REPLY, '2.2.2.2', '1.1.1.1', 6, 80, 1000),
  u32be(CTA.STATUS, 0xe),
  nest(CTA.PROTOINFO, nest(CTA_PROTOINFO.TCP, u8(CTA_PROTOINFO_TCP.STATE, 3))),
  u32be(CTA.TIMEOUT, 99),
  u32be(CTA.MARK, 0),
  u32be(CTA.USE, 1),
  u32be(CTA.ID, 12345),
];

const decode = (nodes: Parameters<typeof encodeAttrsToBuffer>[0]) => {
  const b = encodeAttrsToBuffer(nodes);
  return decodeFlowAttrs(b, 0, b.length, 2);
};

describe('conntrack entries', () => {
  it('decodes tuples, status, protoinfo and the scalars', () => {
    const f = decode(tcpEntry);
    expect(f.orig).toMatchObject({ src: '1.1.1.1', dst: '2.2.2.2', protonum: 6, srcPort: 1000, dstPort: 80 });
    expect(f.reply).toMatchObject({ src: '2.2.2.2', dst: '1.1.1.1', srcPort: 80, dstPort: 1000 });
    expect(f).toMatchObject({ status: 0xe, timeout: 99, mark: 0, use: 1, id: 12345, tcp: { state: 3 } });
    expect(formatFlowDefault(f, 'unknown', {}, fixedClock(0))).toBe(
      'tcp      6 99 ESTABLISHED src=1.1.1.1 dst=2.2.2.2 sport=1000 dport=80 src=2.2.2.2 dst=1.1.1.1 sport=80 dport=1000 [ASSURED] mark=0 use=1',
    );
  });

  it('keeps presence: a zero mark is there, a missing one is not', () => {
    expect(decode(tcpEntry).mark).toBe(0);
    expect(decode(tcpEntry.filter((n) => n.type !== CTA.MARK)).mark).toBeUndefined();
  });

  it('decodes 64-bit counters and timestamps as bigint, and the helper name', () => {
    const f = decode([
      ...tcpEntry,
      nest(CTA.COUNTERS_ORIG, u64be(CTA_COUNTERS.PACKETS, 2n ** 40n), u64be(CTA_COUNTERS.BYTES, 7n)),
      nest(CTA.TIMESTAMP, u64be(CTA_TIMESTAMP.START, 1_700_000_000_123_456_789n)),
      nest(CTA.HELP, str(CTA_HELP.NAME, 'ftp')),
    ]);
    expect(f.countersOrig).toEqual({ packets: 2n ** 40n, bytes: 7n });
    expect(f.timestamp).toEqual({ start: 1_700_000_000_123_456_789n });
    expect(f.helper).toEqual({ name: 'ftp' });
  });

  it('keeps unknown attributes instead of dropping them', () => {
    const f = decode([...tcpEntry, u32be(99, 7)]);
    expect(f.unknown).toEqual([{ type: 99, nested: false, data: Buffer.from([0, 0, 0, 7]) }]);
  });

  it('names the attribute path of a decode error', () => {
    const b = encodeAttrsToBuffer([nest(CTA.TUPLE_ORIG, nest(CTA_TUPLE.IP, bytes(CTA_IP.V4_SRC, Uint8Array.of(1, 2))))]);
    expect(() => decodeFlowAttrs(b, 0, b.length, 2)).toThrow(DecodeError);
    expect(() => decodeFlowAttrs(b, 0, b.length, 2)).toThrow(/CTA_TUPLE_ORIG > CTA_IP_V4_SRC/);
  });

  it('rejects an attribute that runs past its parent', () => {
    const b = encodeAttrsToBuffer(tcpEntry);
    b.writeUInt16LE(200, 0);
    expect(() => decodeFlowAttrs(b, 0, b.length, 2)).toThrow(/bad length/);
  });

  it('the reusing decoder gives the same result as the allocating one', () => {
    const msg = encodeRequest({ subsys: 1, msg: 0, flags: 0, family: 2, attrs: tcpEntry }, 1);
    const d = new FlowDecoder();
    forEachMessage(msg, (off, len) => {
      const a = d.decode(msg, off, len);
      const b = decode(tcpEntry);
      expect(JSON.stringify(a, (_k, v) => (typeof v === 'bigint' ? String(v) : v))).toBe(
        JSON.stringify(b, (_k, v) => (typeof v === 'bigint' ? String(v) : v)),
      );
    });
  });

  it('walks the messages of one datagram inside a larger buffer, in the offsets of the buffer', () => {
    const one = encodeRequest({ subsys: 1, msg: 0, flags: 0, family: 2, attrs: tcpEntry }, 7);
    const batch = Buffer.concat([Buffer.alloc(12, 0xff), one, one, Buffer.alloc(8, 0xff)]);
    const seen: Array<[number, number, number]> = [];
    forEachMessage(batch, (off, len, _type, _flags, seq) => void seen.push([off, len, seq]), 12 + one.length, 12 + 2 * one.length);
    expect(seen).toEqual([[12 + one.length, one.length, 7]]);
    const f = new FlowDecoder().decode(batch, seen[0][0], seen[0][1]);
    expect(f.orig?.dstPort).toBe(80);
    // a length past the datagram's end is an error even where the buffer goes on, named from the datagram's start
    expect(() => forEachMessage(batch, () => {}, 12, 12 + one.length - 4)).toThrow(
      `netlink message with bad length ${one.length} at offset 0 of a ${one.length - 4}-byte datagram`,
    );
  });
});
