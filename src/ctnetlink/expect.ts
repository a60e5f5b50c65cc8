// The expectation table: the model of one IPCTNL_MSG_EXP_NEW / _DELETE message and its decoder.
//
// The model keeps what the kernel sent (presence = optional fields, unknown attributes raw). What
// libnetfilter_conntrack 1.0.9 makes of it when printing (its cross-wired layer-3 numbers, see
// src/format/expect.ts) is the formatter's business, not the decoder's.

import { ctAttrsStart, ctFamily } from './raw-view.js';
import {
  DecodeError,
  nlaBad,
  nlaLen,
  nlaNext,
  nlaType,
  RawAttr,
  rawAttr,
  readCString,
  readU16BE,
  readU32BE,
} from '../netlink/attributes.js';
import { NLA_HDRLEN, NLM_F } from '../netlink/constants.js';
import { ATTRS_OFFSET } from '../netlink/framing.js';
import { CTA_EXPECT, CTA_EXPECT_NAT, IPCTNL_MSG_EXP } from './constants.js';
import { decodeTuple } from './decode.js';
import type { MessageKind, Tuple } from './model.js';

/** One expectation (CTA_EXPECT_* attributes of an IPCTNL_MSG_EXP_NEW / _DELETE message). */
export interface Expect {
  /** nfgen_family of the message (the expectation's layer-3 family) */
  family: number;
  /** CTA_EXPECT_MASTER: the master conntrack's original tuple */
  master?: Tuple;
  /** CTA_EXPECT_TUPLE: the expected tuple */
  tuple?: Tuple;
  /** CTA_EXPECT_MASK: the mask (the kernel fills CTA_PROTO_NUM with the expected tuple's protocol) */
  mask?: Tuple;
  /** CTA_EXPECT_TIMEOUT, seconds left */
  timeout?: number;
  /** CTA_EXPECT_ID (libnetfilter_conntrack 1.0.9 never parses it, so it is never printed) */
  id?: number;
  /** CTA_EXPECT_HELP_NAME */
  helpName?: string;
  /** CTA_EXPECT_ZONE */
  zone?: number;
  /** CTA_EXPECT_FLAGS (NF_CT_EXPECT_PERMANENT / _INACTIVE / _USERSPACE) */
  flags?: number;
  /** CTA_EXPECT_CLASS */
  class?: number;
  /** CTA_EXPECT_NAT: CTA_EXPECT_NAT_DIR and CTA_EXPECT_NAT_TUPLE */
  nat?: { dir?: number; tuple?: Tuple };
  /** CTA_EXPECT_FN: the name of the kernel's expectfn (e.g. "nat-follow-master") */
  fn?: string;
  /** attributes this decoder does not know (also those found inside CTA_EXPECT_NAT), kept as sent */
  unknown?: RawAttr[];
}

const NAMES: Record<number, string> = {
  [CTA_EXPECT.MASTER]: 'CTA_EXPECT_MASTER',
  [CTA_EXPECT.TUPLE]: 'CTA_EXPECT_TUPLE',
  [CTA_EXPECT.MASK]: 'CTA_EXPECT_MASK',
  [CTA_EXPECT.TIMEOUT]: 'CTA_EXPECT_TIMEOUT',
  [CTA_EXPECT.ID]: 'CTA_EXPECT_ID',
  [CTA_EXPECT.HELP_NAME]: 'CTA_EXPECT_HELP_NAME',
  [CTA_EXPECT.ZONE]: 'CTA_EXPECT_ZONE',
  [CTA_EXPECT.FLAGS]: 'CTA_EXPECT_FLAGS',
  [CTA_EXPECT.CLASS]: 'CTA_EXPECT_CLASS',
  [CTA_EXPECT.NAT]: 'CTA_EXPECT_NAT',
  [CTA_EXPECT.FN]: 'CTA_EXPECT_FN',
};

// The walk reads these through module-local bindings: V8 (Node 20) loads an imported binding through its module
// cell at each use, which slows a per-attribute loop (see src/netlink/attributes.ts).
const nlaLen_ = nlaLen;
const nlaType_ = nlaType;
const nlaBad_ = nlaBad;
const nlaNext_ = nlaNext;
const HDRLEN = NLA_HDRLEN;

/** Calls visit(type, payloadStart, payloadEnd) for each attribute of buf[start, end); bad lengths name `path`. */
function eachAttr(buf: Buffer, start: number, end: number, path: string[], visit: (type: number, from: number, to: number) => void): void {
  for (let off = start; off + HDRLEN <= end; off = nlaNext_(buf, off)) {
    const len = nlaLen_(buf, off);
    if (nlaBad_(len, off, end)) throw new DecodeError(`attribute at offset ${off - start} has bad length ${len}`, path);
    visit(nlaType_(buf, off), off + HDRLEN, off + len);
  }
}

function need(from: number, to: number, n: number, path: string[]): void {
  if (to - from < n) throw new DecodeError(`payload of ${to - from} bytes, want ${n}`, path);
}

/** Decodes the attributes of an expectation message body (after nfgenmsg) given the message's family. */
export function decodeExpectAttrs(buf: Buffer, start: number, end: number, family: number): Expect {
  const e: Expect = { family };
  const keep = (from: number, to: number): void => {
    (e.unknown ??= []).push(rawAttr(buf, from, to));
  };
  eachAttr(buf, start, end, ['expectation'], (type, from, to) => {
    const name = NAMES[type];
    switch (type) {
      case CTA_EXPECT.MASTER:
        e.master = decodeTuple(buf, from, to, family, name);
        break;
      case CTA_EXPECT.TUPLE:
        e.tuple = decodeTuple(buf, from, to, family, name);
        break;
      case CTA_EXPECT.MASK:
        e.mask = decodeTuple(buf, from, to, family, name);
        break;
      case CTA_EXPECT.TIMEOUT:
        need(from, to, 4, [name]);
        e.timeout = readU32BE(buf, from);
        break;
      case CTA_EXPECT.ID:
        need(from, to, 4, [name]);
        e.id = readU32BE(buf, from);
        break;
      case CTA_EXPECT.HELP_NAME:
        e.helpName = readCString(buf, from, to);
        break;
      case CTA_EXPECT.ZONE:
        need(from, to, 2, [name]);
        e.zone = readU16BE(buf, from);
        break;
      case CTA_EXPECT.FLAGS:
        need(from, to, 4, [name]);
        e.flags = readU32BE(buf, from);
        break;
      case CTA_EXPECT.CLASS:
        need(from, to, 4, [name]);
        e.class = readU32BE(buf, from);
        break;
      case CTA_EXPECT.NAT: {
        const nat: { dir?: number; tuple?: Tuple } = {};
        eachAttr(buf, from, to, [name], (t, a, b) => {
          if (t === CTA_EXPECT_NAT.DIR) {
            need(a, b, 4, [name, 'CTA_EXPECT_NAT_DIR']);
            nat.dir = readU32BE(buf, a);
          } else if (t === CTA_EXPECT_NAT.TUPLE) {
            nat.tuple = decodeTuple(buf, a, b, family, `${name} > CTA_EXPECT_NAT_TUPLE`);
          } else {
            keep(a, b);
          }
        });
        e.nat = nat;
        break;
      }
      case CTA_EXPECT.FN:
        e.fn = readCString(buf, from, to);
        break;
      default:
        keep(from, to);
    }
  });
  return e;
}

/** Decodes the expectation message buf[off, off+len) (nlmsghdr included). */
export function decodeExpect(buf: Buffer, off: number, len: number): Expect {
  if (len < ATTRS_OFFSET) throw new DecodeError(`expectation message of ${len} bytes is shorter than its headers`);
  if (off + len > buf.length) throw new DecodeError(`expectation message of ${len} bytes runs past the ${buf.length}-byte buffer`);
  return decodeExpectAttrs(buf, ctAttrsStart(off), off + len, ctFamily(buf, off));
}

/**
 * The kind of an expectation message as libnetfilter_conntrack's __parse_message() sees it (events): EXP_NEW with
 * NLM_F_CREATE or NLM_F_EXCL → new, EXP_NEW without → update, EXP_DELETE → destroy. Dump and GET replies are
 * printed as 'unknown' by conntrack whatever this says.
 */
export function expectMessageKind(nlmsgType: number, nlmsgFlags: number): MessageKind {
  switch (nlmsgType & 0xff) {
    case IPCTNL_MSG_EXP.NEW:
      return nlmsgFlags & (NLM_F.CREATE | NLM_F.EXCL) ? 'new' : 'update';
    case IPCTNL_MSG_EXP.DELETE:
      return 'destroy';
    default:
      return 'unknown';
  }
}
