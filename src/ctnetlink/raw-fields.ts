// Single fields of a conntrack message read straight from its bytes, as numbers, for counting a million entries
// by one field without decoding each (--tally). Each reader gives what decode.ts would put in the field: the
// last attribute of its kind wins, an absent mark or zone reads 0, and a port is what the default line shows
// (0 for a protocol with ports that has none in the message). Whatever is not a plain number here (an IPv6
// address, the port of a protocol without ports, a message that does not parse) reads NEEDS_DECODE: the caller
// then decodes the entry, which also reports a malformed message as the decoder does.

import { NLA_TYPE_MASK } from '../netlink/constants.js';
import { ATTRS_OFFSET } from '../netlink/framing.js';
import { CTA, CTA_IP, CTA_PROTO, CTA_TUPLE, PORT_PROTOCOLS } from './constants.js';

export const NEEDS_DECODE = -1;

/** The fields there are readers for, by the names --tally uses. */
export type RawField =
  | 'src'
  | 'dst'
  | 'reply-src'
  | 'reply-dst'
  | 'sport'
  | 'dport'
  | 'reply-sport'
  | 'reply-dport'
  | 'proto'
  | 'mark'
  | 'zone';
export const RAW_FIELDS: readonly RawField[] = [
  'src',
  'dst',
  'reply-src',
  'reply-dst',
  'sport',
  'dport',
  'reply-sport',
  'reply-dport',
  'proto',
  'mark',
  'zone',
];

export type RawFieldReader = (buf: Buffer, off: number, len: number) => number;

const u16 = (buf: Buffer, a: number): number => (buf[a] << 8) | buf[a + 1];
const u32 = (buf: Buffer, a: number): number => ((buf[a] << 24) | (buf[a + 1] << 16) | (buf[a + 2] << 8) | buf[a + 3]) >>> 0;

/**
 * The value of attribute `want` nested as outer > (middle) > want, from the last `outer` of the message; or
 * NEEDS_DECODE. `ipv6` is the IPv6 twin of an IPv4 address attribute: when it is the one present, the value
 * is not a number.
 */
function tupleReader(outer: number, middle: number, want: number, size: 1 | 2 | 4, ipv6 = 0, portsOnly = false): RawFieldReader {
  return (buf, off, len) => {
    const end = off + len;
    let value = NEEDS_DECODE;
    let protonum = -1;
    let found = false;
    for (let a = off + ATTRS_OFFSET; a + 4 <= end; ) {
      const alen = buf[a] | (buf[a + 1] << 8);
      if (alen < 4 || a + alen > end) return NEEDS_DECODE;
      if (((buf[a + 2] | (buf[a + 3] << 8)) & NLA_TYPE_MASK) === outer) {
        // a later tuple replaces an earlier one entirely
        value = NEEDS_DECODE;
        protonum = -1;
        found = false;
        const tEnd = a + alen;
        for (let b = a + 4; b + 4 <= tEnd; ) {
          const blen = buf[b] | (buf[b + 1] << 8);
          if (blen < 4 || b + blen > tEnd) return NEEDS_DECODE;
          if (((buf[b + 2] | (buf[b + 3] << 8)) & NLA_TYPE_MASK) === middle) {
            const mEnd = b + blen;
            for (let c = b + 4; c + 4 <= mEnd; ) {
              const clen = buf[c] | (buf[c + 1] << 8);
              if (clen < 4 || c + clen > mEnd) return NEEDS_DECODE;
              const type = (buf[c + 2] | (buf[c + 3] << 8)) & NLA_TYPE_MASK;
              if (type === want) {
                if (clen - 4 < size) return NEEDS_DECODE;
                value = size === 1 ? buf[c + 4] : size === 2 ? u16(buf, c + 4) : u32(buf, c + 4);
                found = true;
              } else if (ipv6 !== 0 && type === ipv6) value = NEEDS_DECODE;
              else if (type === CTA_PROTO.NUM && clen > 4) protonum = buf[c + 4];
              c += (clen + 3) & ~3;
            }
          }
          b += (blen + 3) & ~3;
        }
      }
      a += (alen + 3) & ~3;
    }
    if (portsOnly) {
      // a port of a protocol whose line shows none (GRE's keys): what the decoded path says of it; a protocol
      // with ports whose message has none shows 0
      if (!PORT_PROTOCOLS.has(protonum)) return NEEDS_DECODE;
      if (!found) return 0;
    }
    return value;
  };
}

/** A top-level attribute (the mark, the zone); absent reads 0, as the formats print it. */
function topReader(want: number, size: 2 | 4): RawFieldReader {
  return (buf, off, len) => {
    const end = off + len;
    let value = 0;
    for (let a = off + ATTRS_OFFSET; a + 4 <= end; ) {
      const alen = buf[a] | (buf[a + 1] << 8);
      if (alen < 4 || a + alen > end) return NEEDS_DECODE;
      if (((buf[a + 2] | (buf[a + 3] << 8)) & NLA_TYPE_MASK) === want) {
        if (alen - 4 < size) return NEEDS_DECODE;
        value = size === 2 ? u16(buf, a + 4) : u32(buf, a + 4);
      }
      a += (alen + 3) & ~3;
    }
    return value;
  };
}

export function rawFieldReader(field: RawField): RawFieldReader {
  switch (field) {
    case 'src':
      return tupleReader(CTA.TUPLE_ORIG, CTA_TUPLE.IP, CTA_IP.V4_SRC, 4, CTA_IP.V6_SRC);
    case 'dst':
      return tupleReader(CTA.TUPLE_ORIG, CTA_TUPLE.IP, CTA_IP.V4_DST, 4, CTA_IP.V6_DST);
    case 'reply-src':
      return tupleReader(CTA.TUPLE_REPLY, CTA_TUPLE.IP, CTA_IP.V4_SRC, 4, CTA_IP.V6_SRC);
    case 'reply-dst':
      return tupleReader(CTA.TUPLE_REPLY, CTA_TUPLE.IP, CTA_IP.V4_DST, 4, CTA_IP.V6_DST);
    case 'sport':
      return tupleReader(CTA.TUPLE_ORIG, CTA_TUPLE.PROTO, CTA_PROTO.SRC_PORT, 2, 0, true);
    case 'dport':
      return tupleReader(CTA.TUPLE_ORIG, CTA_TUPLE.PROTO, CTA_PROTO.DST_PORT, 2, 0, true);
    case 'reply-sport':
      return tupleReader(CTA.TUPLE_REPLY, CTA_TUPLE.PROTO, CTA_PROTO.SRC_PORT, 2, 0, true);
    case 'reply-dport':
      return tupleReader(CTA.TUPLE_REPLY, CTA_TUPLE.PROTO, CTA_PROTO.DST_PORT, 2, 0, true);
    case 'proto':
      return tupleReader(CTA.TUPLE_ORIG, CTA_TUPLE.PROTO, CTA_PROTO.NUM, 1);
    case 'mark':
      return topReader(CTA.MARK, 4);
    case 'zone':
      return topReader(CTA.ZONE, 2);
  }
}
