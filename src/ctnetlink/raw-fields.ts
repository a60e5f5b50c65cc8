// Single fields of a conntrack message read straight from its bytes, as numbers, for counting a million entries
// by one field without decoding each (--tally). Each reader gives what decode.ts would put in the field: the
// last attribute of its kind wins, an absent mark or zone reads 0, and a port is what the default line shows
// (0 for a protocol with ports that has none in the message). Whatever is not a plain number here (an IPv6
// address, the port of a protocol without ports, a message that does not parse) reads NEEDS_DECODE: the caller
// then decodes the entry, which also reports a malformed message as the decoder does.

import { findLastAttr, NLA_ABSENT, NLA_MALFORMED, nlaAlign, nlaBad, nlaLen, nlaType, readU16BE, readU32BE } from '../netlink/attributes.js';
import { NLA_HDRLEN } from '../netlink/constants.js';
import { ATTRS_OFFSET } from '../netlink/framing.js';
import { ctAttrsStart } from './raw-view.js';
import { CTA, CTA_IP, CTA_PROTO, CTA_TUPLE, PORT_PROTOCOLS } from './constants.js';

// The readers walk through module-local bindings: V8 (Node 20) loads an imported binding through its module
// cell at each use, which slows a per-attribute loop (see src/netlink/attributes.ts).
const ctAttrsStart_ = ctAttrsStart;
const findLastAttr_ = findLastAttr;
const nlaLen_ = nlaLen;
const nlaType_ = nlaType;
const nlaBad_ = nlaBad;
const nlaAlign_ = nlaAlign;
const readU16BE_ = readU16BE;
const readU32BE_ = readU32BE;
const HDRLEN = NLA_HDRLEN;
const ABSENT = NLA_ABSENT;
const MALFORMED = NLA_MALFORMED;
const PROTO_NUM = CTA_PROTO.NUM;

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

/**
 * The value of attribute `want` nested as outer > (middle) > want, from the last `outer` of the message; or
 * NEEDS_DECODE. `ipv6` is the IPv6 twin of an IPv4 address attribute: when it is the one present, the value
 * is not a number.
 */
function tupleReader(outer: number, middle: number, want: number, size: 1 | 2 | 4, ipv6 = 0, portsOnly = false): RawFieldReader {
  return (buf, off, len) => {
    // a later tuple replaces an earlier one entirely: the last one is the decoder's
    const t = findLastAttr_(buf, ctAttrsStart_(off), off + len, outer);
    if (t === MALFORMED) return NEEDS_DECODE;
    let value = NEEDS_DECODE;
    let protonum = -1;
    let found = false;
    if (t !== ABSENT) {
      const tEnd = t + nlaLen_(buf, t);
      for (let b = t + HDRLEN; b + HDRLEN <= tEnd; ) {
        const blen = nlaLen_(buf, b);
        if (nlaBad_(blen, b, tEnd)) return NEEDS_DECODE;
        if (nlaType_(buf, b) === middle) {
          const mEnd = b + blen;
          for (let c = b + HDRLEN; c + HDRLEN <= mEnd; ) {
            const clen = nlaLen_(buf, c);
            if (nlaBad_(clen, c, mEnd)) return NEEDS_DECODE;
            const type = nlaType_(buf, c);
            const at = c + HDRLEN;
            if (type === want) {
              if (clen - HDRLEN < size) return NEEDS_DECODE;
              value = size === 1 ? buf[at] : size === 2 ? readU16BE_(buf, at) : readU32BE_(buf, at);
              found = true;
            } else if (ipv6 !== 0 && type === ipv6) value = NEEDS_DECODE;
            else if (type === PROTO_NUM && clen > HDRLEN) protonum = buf[at];
            c += nlaAlign_(clen);
          }
        }
        b += nlaAlign_(blen);
      }
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
    // the start as ATTRS_OFFSET read from its module (not ctAttrsStart_(off), nor a literal): measured on Node 20,
    // this loop then ran at 42 ns/message against 49 (bench/micro-raw.mjs tally-mark), a quirk of TurboFan's
    // loop code that the prefilter's and tupleReader's walks do not show
    for (let a = off + ATTRS_OFFSET; a + HDRLEN <= end; ) {
      const alen = nlaLen_(buf, a);
      if (nlaBad_(alen, a, end)) return NEEDS_DECODE;
      if (nlaType_(buf, a) === want) {
        if (alen - HDRLEN < size) return NEEDS_DECODE;
        value = size === 2 ? readU16BE_(buf, a + HDRLEN) : readU32BE_(buf, a + HDRLEN);
      }
      a += nlaAlign_(alen);
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
