// Expectations: decoding (declarative attribute trees framed as whole messages) and the default/XML printers of
// libnetfilter_conntrack 1.0.9, then datagrams captured from the real kernel replayed against what conntrack 1.4.7
// printed for them (fixtures/kernel/expect-*.hex, fixtures/golden/expect-*).

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CTA_EXPECT, CTA_EXPECT_NAT, CTA_IP, CTA_PROTO, CTA_TUPLE, NF_CT_EXPECT } from '../../src/ctnetlink/constants.js';
import { decodeExpect, expectMessageKind, type Expect } from '../../src/ctnetlink/expect.js';
import type { MessageKind } from '../../src/ctnetlink/model.js';
import { fixedClock } from '../../src/format/clock.js';
import {
  EXPECT_XML_FOOTER,
  EXPECT_XML_HEADER,
  expectEventTimestamp,
  formatExpectDefault,
  formatExpectXml,
} from '../../src/format/expect.js';
import { AttrNode, bytes, DecodeError, nest, str, u16be, u32be, u8 } from '../../src/netlink/attributes.js';
import { NLM_F } from '../../src/netlink/constants.js';
import { encodeRequest, forEachMessage } from '../../src/netlink/framing.js';
import { readDatagrams } from '../helpers/replay.js';

const FIXTURES = join(__dirname, '../../fixtures');
const AF_INET = 2;
const AF_INET6 = 10;
const EXP_NEW = 0;
const EXP_DELETE = 2;

const ip4 = (s: string): Uint8Array => Uint8Array.from(s.split('.').map(Number));
/** a full (uncompressed) IPv6 address: 8 groups of hex */
const ip6 = (s: string): Uint8Array => {
  const b = Buffer.alloc(16);
  s.split(':').forEach((g, i) => {
    b.writeUInt16BE(parseInt(g, 16), i * 2);
  });
  return b;
};

const ports = (sport: number, dport: number): AttrNode[] => [u16be(CTA_PROTO.SRC_PORT, sport), u16be(CTA_PROTO.DST_PORT, dport)];

function tuple4(type: number, src: string, dst: string, proto: number | undefined, l4: AttrNode[] = []): AttrNode {
  return nest(
    type,
    nest(CTA_TUPLE.IP, bytes(CTA_IP.V4_SRC, ip4(src)), bytes(CTA_IP.V4_DST, ip4(dst))),
    nest(CTA_TUPLE.PROTO, proto !== undefined && u8(CTA_PROTO.NUM, proto), ...l4),
  );
}

function tuple6(type: number, src: string, dst: string, proto: number, l4: AttrNode[] = []): AttrNode {
  return nest(
    type,
    nest(CTA_TUPLE.IP, bytes(CTA_IP.V6_SRC, ip6(src)), bytes(CTA_IP.V6_DST, ip6(dst))),
    nest(CTA_TUPLE.PROTO, u8(CTA_PROTO.NUM, proto), ...l4),
  );
}

/** A whole IPCTNL_MSG_EXP_* message (nlmsghdr + nfgenmsg + attributes), as the kernel frames it. */
function message(attrs: AttrNode[], family = AF_INET, msg = EXP_NEW, flags = NLM_F.MULTI): Buffer {
  return encodeRequest({ subsys: 2, msg, flags, family, attrs }, 1);
}

const decode = (attrs: AttrNode[], family = AF_INET): Expect => {
  const m = message(attrs, family);
  return decodeExpect(m, 0, m.length);
};

/** The FTP expectation of REFERENCE 1.9, attributes in the kernel's order (ctnetlink_exp_dump_expect). */
const ftp = (extra: AttrNode[] = [], timeout = 299): AttrNode[] => [
  tuple4(CTA_EXPECT.TUPLE, '127.0.0.1', '127.0.0.1', 6, ports(0, 51210)),
  tuple4(CTA_EXPECT.MASK, '255.255.255.255', '255.255.255.255', 6, ports(0, 65535)),
  tuple4(CTA_EXPECT.MASTER, '127.0.0.1', '127.0.0.1', 6, ports(45180, 21)),
  u32be(CTA_EXPECT.TIMEOUT, timeout),
  u32be(CTA_EXPECT.ID, 3328085647),
  u32be(CTA_EXPECT.FLAGS, 0),
  u32be(CTA_EXPECT.CLASS, 0),
  str(CTA_EXPECT.HELP_NAME, 'ftp'),
  ...extra,
];

const FTP_LINE =
  '299 proto=6 src=127.0.0.1 dst=127.0.0.1 sport=0 dport=51210 mask-src=255.255.255.255 mask-dst=255.255.255.255 sport=0 dport=65535 master-src=127.0.0.1 master-dst=127.0.0.1 sport=45180 dport=21 class=0 helper=ftp';

describe('decodeExpect', () => {
  it('decodes the three tuples, the scalars and the helper name, keeping presence', () => {
    const e = decode(ftp());
    expect(e.family).toBe(AF_INET);
    expect(e.tuple).toMatchObject({ family: AF_INET, src: '127.0.0.1', dst: '127.0.0.1', protonum: 6, srcPort: 0, dstPort: 51210 });
    expect(e.mask).toMatchObject({ src: '255.255.255.255', dst: '255.255.255.255', protonum: 6, srcPort: 0, dstPort: 65535 });
    expect(e.master).toMatchObject({ src: '127.0.0.1', dst: '127.0.0.1', protonum: 6, srcPort: 45180, dstPort: 21 });
    expect(e).toMatchObject({ timeout: 299, id: 3328085647, flags: 0, class: 0, helpName: 'ftp' });
    expect(e.zone).toBeUndefined();
    expect(e.nat).toBeUndefined();
    expect(e.fn).toBeUndefined();
    expect(e.unknown).toBeUndefined();
  });

  it('decodes a NAT expectation (CTA_EXPECT_NAT, CTA_EXPECT_FN) and the zone', () => {
    const e = decode(
      ftp([
        u16be(CTA_EXPECT.ZONE, 5),
        nest(CTA_EXPECT.NAT, u32be(CTA_EXPECT_NAT.DIR, 1), tuple4(CTA_EXPECT_NAT.TUPLE, '0.0.0.0', '0.0.0.0', 6, ports(31002, 0))),
        str(CTA_EXPECT.FN, 'nat-follow-master'),
      ]),
    );
    expect(e.zone).toBe(5);
    expect(e.nat?.dir).toBe(1);
    expect(e.nat?.tuple).toMatchObject({ family: AF_INET, src: '0.0.0.0', protonum: 6, srcPort: 31002, dstPort: 0 });
    expect(e.fn).toBe('nat-follow-master');
  });

  it('keeps unknown attributes raw: top level, inside CTA_EXPECT_NAT and inside a tuple', () => {
    const e = decode([
      ...ftp(),
      bytes(12, Uint8Array.of(1, 2, 3)),
      nest(CTA_EXPECT.NAT, u32be(CTA_EXPECT_NAT.DIR, 0), u8(7, 9)),
      nest(
        CTA_EXPECT.MASTER,
        nest(CTA_TUPLE.IP, bytes(CTA_IP.V4_SRC, ip4('1.2.3.4')), bytes(9, Uint8Array.of(0xaa))),
        u16be(CTA_TUPLE.ZONE, 3),
        u8(4, 1),
      ),
    ]);
    expect(e.unknown).toEqual([
      { type: 12, nested: false, data: Buffer.from([1, 2, 3]) },
      { type: 7, nested: false, data: Buffer.from([9]) },
    ]);
    expect(e.master).toMatchObject({ src: '1.2.3.4', zone: 3 });
    expect(e.master?.unknown).toEqual([
      { type: 9, nested: false, data: Buffer.from([0xaa]) },
      { type: 4, nested: false, data: Buffer.from([1]) },
    ]);
    // unknown attributes do not change the output
    expect(formatExpectDefault(decode([...ftp(), bytes(12, Uint8Array.of(1))]), 'unknown')).toBe(FTP_LINE);
  });

  it('decodes a message inside a larger buffer (offset, length)', () => {
    const m = message(ftp());
    const big = Buffer.concat([Buffer.alloc(12, 0xee), m, Buffer.alloc(8, 0xee)]);
    expect(formatExpectDefault(decodeExpect(big, 12, m.length), 'unknown')).toBe(FTP_LINE);
  });

  it('throws DecodeError naming the attribute path on malformed input', () => {
    const short = (): Expect => decode([bytes(CTA_EXPECT.TIMEOUT, Uint8Array.of(0, 1))]);
    expect(short).toThrow(DecodeError);
    expect(short).toThrow('unmarshal CTA_EXPECT_TIMEOUT: payload of 2 bytes, want 4');
    try {
      short();
    } catch (e) {
      expect((e as DecodeError).path).toEqual(['CTA_EXPECT_TIMEOUT']);
    }
    expect(() => decode([bytes(CTA_EXPECT.ZONE, Uint8Array.of(1))])).toThrow('unmarshal CTA_EXPECT_ZONE: payload of 1 bytes, want 2');
    expect(() => decode([nest(CTA_EXPECT.NAT, bytes(CTA_EXPECT_NAT.DIR, Uint8Array.of(1)))])).toThrow(
      'unmarshal CTA_EXPECT_NAT > CTA_EXPECT_NAT_DIR: payload of 1 bytes, want 4',
    );
    expect(() => decode([nest(CTA_EXPECT.MASTER, nest(CTA_TUPLE.IP, bytes(CTA_IP.V4_SRC, Uint8Array.of(1, 2))))])).toThrow(
      'unmarshal CTA_EXPECT_MASTER > CTA_IP_V4_SRC',
    );
    expect(() =>
      decode([nest(CTA_EXPECT.MASK, nest(CTA_TUPLE.PROTO, u8(CTA_PROTO.NUM, 6), bytes(CTA_PROTO.DST_PORT, Uint8Array.of(1))))]),
    ).toThrow('unmarshal CTA_EXPECT_MASK > CTA_PROTO_DST_PORT');

    // an attribute header whose length runs past its parent
    const m = message(ftp());
    m.writeUInt16LE(200, 20); // first attribute (CTA_EXPECT_TUPLE) claims 200 bytes
    expect(() => decodeExpect(m, 0, m.length)).toThrow(/unmarshal expectation: attribute at offset 0 has bad length 200/);
    const n = message(ftp());
    n.writeUInt16LE(99, 24); // CTA_EXPECT_TUPLE > CTA_TUPLE_IP
    expect(() => decodeExpect(n, 0, n.length)).toThrow(/unmarshal CTA_EXPECT_TUPLE: attribute at offset 0 has bad length 99/);
    const o = message([nest(CTA_EXPECT.NAT, nest(CTA_EXPECT_NAT.TUPLE, nest(CTA_TUPLE.IP, bytes(CTA_IP.V4_SRC, Uint8Array.of(1)))))]);
    expect(() => decodeExpect(o, 0, o.length)).toThrow('unmarshal CTA_EXPECT_NAT > CTA_EXPECT_NAT_TUPLE > CTA_IP_V4_SRC');

    expect(() => decodeExpect(Buffer.alloc(16), 0, 16)).toThrow(DecodeError);
    expect(() => decodeExpect(m, 0, m.length + 4)).toThrow(DecodeError);
  });

  it('maps message type and flags to the event kind as libnetfilter_conntrack does', () => {
    expect(expectMessageKind((2 << 8) | EXP_NEW, NLM_F.CREATE | NLM_F.EXCL)).toBe('new');
    expect(expectMessageKind((2 << 8) | EXP_NEW, NLM_F.EXCL)).toBe('new');
    expect(expectMessageKind((2 << 8) | EXP_NEW, NLM_F.MULTI)).toBe('update');
    expect(expectMessageKind((2 << 8) | EXP_DELETE, 0)).toBe('destroy');
    expect(expectMessageKind((2 << 8) | 1, 0)).toBe('unknown');
  });
});

describe('formatExpectDefault', () => {
  it('prints the FTP expectation of REFERENCE 1.9 byte for byte', () => {
    expect(formatExpectDefault(decode(ftp()), 'unknown')).toBe(FTP_LINE);
  });

  it('prints the event prefixes ("%9s ")', () => {
    const e = decode(ftp([], 300));
    const rest = FTP_LINE.slice(3);
    expect(formatExpectDefault(e, 'new')).toBe('    [NEW] 300' + rest);
    expect(formatExpectDefault(e, 'update')).toBe(' [UPDATE] 300' + rest);
    expect(formatExpectDefault(e, 'destroy')).toBe('[DESTROY] 300' + rest);
    expect(formatExpectDefault(e, 'new').startsWith('    [NEW] 300 proto=6 src=127.0.0.1 ')).toBe(true);
  });

  it('prints IPv6 expectations with glibc inet_ntop addresses', () => {
    const e = decode(
      [
        tuple6(CTA_EXPECT.TUPLE, 'fd00:200:1:0:0:0:0:2', 'fd00:200:2:0:0:0:0:2', 6, ports(0, 30003)),
        tuple6(CTA_EXPECT.MASK, 'ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff', 'ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff', 6, ports(0, 65535)),
        tuple6(CTA_EXPECT.MASTER, 'fd00:200:1:0:0:0:0:2', 'fd00:200:2:0:0:0:0:2', 6, ports(36526, 21)),
        u32be(CTA_EXPECT.TIMEOUT, 296),
        u32be(CTA_EXPECT.FLAGS, 0),
        u32be(CTA_EXPECT.CLASS, 0),
        str(CTA_EXPECT.HELP_NAME, 'ftp'),
      ],
      AF_INET6,
    );
    expect(formatExpectDefault(e, 'unknown')).toBe(
      '296 proto=6 src=fd00:200:1::2 dst=fd00:200:2::2 sport=0 dport=30003 mask-src=ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff mask-dst=ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff sport=0 dport=65535 master-src=fd00:200:1::2 master-dst=fd00:200:2::2 sport=36526 dport=21 class=0 helper=ftp',
    );
  });

  it('prints UDP expectations (tftp, sip with class 1)', () => {
    const tftp = decode([
      tuple4(CTA_EXPECT.TUPLE, '10.200.2.2', '10.200.1.2', 17, ports(0, 47328)),
      tuple4(CTA_EXPECT.MASK, '255.255.255.255', '255.255.255.255', 17, ports(0, 65535)),
      tuple4(CTA_EXPECT.MASTER, '10.200.1.2', '10.200.2.2', 17, ports(47328, 69)),
      u32be(CTA_EXPECT.TIMEOUT, 296),
      u32be(CTA_EXPECT.FLAGS, 0),
      u32be(CTA_EXPECT.CLASS, 0),
      str(CTA_EXPECT.HELP_NAME, 'tftp'),
    ]);
    expect(formatExpectDefault(tftp, 'unknown')).toBe(
      '296 proto=17 src=10.200.2.2 dst=10.200.1.2 sport=0 dport=47328 mask-src=255.255.255.255 mask-dst=255.255.255.255 sport=0 dport=65535 master-src=10.200.1.2 master-dst=10.200.2.2 sport=47328 dport=69 class=0 helper=tftp',
    );
    const sip = decode([
      tuple4(CTA_EXPECT.TUPLE, '10.200.2.2', '10.200.1.2', 17, ports(0, 16384)),
      tuple4(CTA_EXPECT.MASK, '255.255.255.255', '255.255.255.255', 17, ports(0, 65535)),
      tuple4(CTA_EXPECT.MASTER, '10.200.1.2', '10.200.2.2', 17, ports(5062, 5060)),
      u32be(CTA_EXPECT.TIMEOUT, 176),
      u32be(CTA_EXPECT.FLAGS, 0),
      u32be(CTA_EXPECT.CLASS, 1),
      str(CTA_EXPECT.HELP_NAME, 'sip'),
    ]);
    expect(formatExpectDefault(sip, 'unknown')).toBe(
      '176 proto=17 src=10.200.2.2 dst=10.200.1.2 sport=0 dport=16384 mask-src=255.255.255.255 mask-dst=255.255.255.255 sport=0 dport=65535 master-src=10.200.1.2 master-dst=10.200.2.2 sport=5062 dport=5060 class=1 helper=sip',
    );
  });

  it('prints the zone after the master tuple', () => {
    expect(formatExpectDefault(decode(ftp([u16be(CTA_EXPECT.ZONE, 7)])), 'unknown')).toBe(FTP_LINE.replace(' class=0', ' zone=7 class=0'));
  });

  it('prints the flags as PERMANENT,INACTIVE,USERSPACE with one space after them', () => {
    const withFlags = (flags: number): string => {
      const attrs = ftp().map((a) => (a.type === CTA_EXPECT.FLAGS ? u32be(CTA_EXPECT.FLAGS, flags) : a));
      return formatExpectDefault(decode(attrs), 'unknown');
    };
    const P = NF_CT_EXPECT.PERMANENT;
    const I = NF_CT_EXPECT.INACTIVE;
    const U = NF_CT_EXPECT.USERSPACE;
    const cases: Array<[number, string]> = [
      [0, ''],
      [P, 'PERMANENT '],
      [I, 'INACTIVE '],
      [U, 'USERSPACE '],
      [P | I, 'PERMANENT,INACTIVE '],
      [P | U, 'PERMANENT,USERSPACE '],
      [I | U, 'INACTIVE,USERSPACE '],
      [P | I | U, 'PERMANENT,INACTIVE,USERSPACE '],
      // a bit without a name still gets "the extra space": two spaces in a row
      [8, ' '],
      [8 | U, 'USERSPACE '],
    ];
    for (const [flags, text] of cases) {
      expect(withFlags(flags)).toBe(FTP_LINE.replace(' class=0', ' ' + text + 'class=0'));
    }
    // flags are printed whether or not class/helper follow; the line's last space is dropped
    const bare = decode([tuple4(CTA_EXPECT.TUPLE, '1.1.1.1', '2.2.2.2', 17, ports(0, 9)), u32be(CTA_EXPECT.FLAGS, P | I)]);
    expect(formatExpectDefault(bare, 'unknown')).toBe('proto=17 sport=0 dport=9 mask-src=0.0.0.0 mask-dst=0.0.0.0 PERMANENT,INACTIVE');
  });

  it('drops the last character only when it is a space (helper=%s has none)', () => {
    const noHelper = ftp().filter((a) => a.type !== CTA_EXPECT.HELP_NAME);
    expect(formatExpectDefault(decode(noHelper), 'unknown')).toBe(FTP_LINE.replace(' helper=ftp', ''));
    const noClass = noHelper.filter((a) => a.type !== CTA_EXPECT.CLASS);
    expect(formatExpectDefault(decode(noClass), 'unknown')).toBe(FTP_LINE.replace(' class=0 helper=ftp', ''));
    const emptyHelper = ftp().map((a) => (a.type === CTA_EXPECT.HELP_NAME ? str(CTA_EXPECT.HELP_NAME, '') : a));
    expect(formatExpectDefault(decode(emptyHelper), 'unknown')).toBe(FTP_LINE.replace('helper=ftp', 'helper='));
  });

  it('cuts helper names to 15 bytes (NFCT_HELPER_NAME_MAX)', () => {
    const long = ftp().map((a) => (a.type === CTA_EXPECT.HELP_NAME ? str(CTA_EXPECT.HELP_NAME, 'abcdefghijklmnopqrs') : a));
    const e = decode(long);
    expect(e.helpName).toBe('abcdefghijklmnopqrs');
    expect(formatExpectDefault(e, 'unknown')).toBe(FTP_LINE.replace('helper=ftp', 'helper=abcdefghijklmno'));
    expect(formatExpectXml(e, 'unknown', {}, fixedClock(0))).toContain('<helper-name>abcdefghijklmno</helper-name>');
  });

  it("prints ports by each tuple's own protocol number (the mask carries the expected one)", () => {
    // a hand-made mask without CTA_PROTO_NUM: no mask ports
    const attrs = ftp().map((a) =>
      a.type === CTA_EXPECT.MASK ? tuple4(CTA_EXPECT.MASK, '255.255.255.255', '255.255.255.255', undefined, ports(0, 65535)) : a,
    );
    expect(formatExpectDefault(decode(attrs), 'unknown')).toBe(
      FTP_LINE.replace('mask-dst=255.255.255.255 sport=0 dport=65535 ', 'mask-dst=255.255.255.255 '),
    );
    // conntrack 1.4.7's --tuple-port bug: the expected protocol became 23, so neither expected nor mask ports print
    const bug = ftp().map((a) =>
      a.type === CTA_EXPECT.TUPLE
        ? tuple4(CTA_EXPECT.TUPLE, '127.0.0.1', '127.0.0.1', 23)
        : a.type === CTA_EXPECT.MASK
          ? tuple4(CTA_EXPECT.MASK, '255.255.255.255', '255.255.255.255', 23)
          : a,
    );
    expect(formatExpectDefault(decode(bug), 'unknown')).toBe(
      '299 proto=23 src=127.0.0.1 dst=127.0.0.1 mask-src=255.255.255.255 mask-dst=255.255.255.255 master-src=127.0.0.1 master-dst=127.0.0.1 sport=45180 dport=21 class=0 helper=ftp',
    );
  });

  it('prints GRE keys and ICMP type/code/id like conntrack lines', () => {
    const gre = decode([
      tuple4(CTA_EXPECT.TUPLE, '10.0.0.2', '10.0.0.1', 47, ports(0, 0x1234)),
      tuple4(CTA_EXPECT.MASK, '255.255.255.255', '255.255.255.255', 47, ports(0, 0xffff)),
      tuple4(CTA_EXPECT.MASTER, '10.0.0.1', '10.0.0.2', 6, ports(40000, 1723)),
      u32be(CTA_EXPECT.FLAGS, 0),
      u32be(CTA_EXPECT.CLASS, 0),
      str(CTA_EXPECT.HELP_NAME, 'pptp'),
    ]);
    expect(formatExpectDefault(gre, 'unknown')).toBe(
      'proto=47 src=10.0.0.2 dst=10.0.0.1 srckey=0x0 dstkey=0x1234 mask-src=255.255.255.255 mask-dst=255.255.255.255 srckey=0x0 dstkey=0xffff master-src=10.0.0.1 master-dst=10.0.0.2 sport=40000 dport=1723 class=0 helper=pptp',
    );
    const icmp = decode([
      tuple4(CTA_EXPECT.TUPLE, '1.1.1.1', '2.2.2.2', 1, [
        u8(CTA_PROTO.ICMP_TYPE, 8),
        u8(CTA_PROTO.ICMP_CODE, 0),
        u16be(CTA_PROTO.ICMP_ID, 77),
      ]),
      tuple4(CTA_EXPECT.MASK, '255.255.255.255', '255.255.255.255', 1, [
        u8(CTA_PROTO.ICMP_TYPE, 255),
        u8(CTA_PROTO.ICMP_CODE, 255),
        u16be(CTA_PROTO.ICMP_ID, 0xffff),
      ]),
      tuple4(CTA_EXPECT.MASTER, '1.1.1.1', '2.2.2.2', 1, [
        u8(CTA_PROTO.ICMP_TYPE, 8),
        u8(CTA_PROTO.ICMP_CODE, 0),
        u16be(CTA_PROTO.ICMP_ID, 76),
      ]),
    ]);
    expect(formatExpectDefault(icmp, 'unknown')).toBe(
      'proto=1 src=1.1.1.1 dst=2.2.2.2 type=8 code=0 id=77 mask-src=255.255.255.255 mask-dst=255.255.255.255 type=255 code=255 id=65535 master-src=1.1.1.1 master-dst=2.2.2.2 type=8 code=0 id=76',
    );
    expect(formatExpectXml(icmp, 'unknown', {}, fixedClock(0))).toContain(
      '<layer4 protonum="1" protoname="icmp"><expected></expected><mask></mask><master></master></layer4>',
    );
  });

  it("follows the parser's cross-wired layer-3 numbers when tuples are missing", () => {
    // expected gets the family from CTA_EXPECT_MASTER, mask from CTA_EXPECT_TUPLE, master from CTA_EXPECT_MASK
    const onlyTuple = decode([tuple4(CTA_EXPECT.TUPLE, '1.1.1.1', '2.2.2.2', 6, ports(0, 21))]);
    expect(formatExpectDefault(onlyTuple, 'unknown')).toBe('proto=6 sport=0 dport=21 mask-src=0.0.0.0 mask-dst=0.0.0.0');
    const onlyMaster = decode([tuple4(CTA_EXPECT.MASTER, '1.1.1.1', '2.2.2.2', 6, ports(1000, 21))]);
    expect(formatExpectDefault(onlyMaster, 'unknown')).toBe('proto=0 src=0.0.0.0 dst=0.0.0.0 sport=1000 dport=21');
    const onlyMask6 = decode(
      [tuple6(CTA_EXPECT.MASK, 'ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff', 'ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff', 17, ports(0, 65535))],
      AF_INET6,
    );
    expect(formatExpectDefault(onlyMask6, 'unknown')).toBe('proto=0 sport=0 dport=65535 master-src=:: master-dst=::');
    expect(formatExpectDefault(decode([]), 'unknown')).toBe('proto=0');
    expect(formatExpectXml(decode([]), 'unknown', {}, fixedClock(0))).toBe(
      '<flow><layer3 protonum="0" protoname="unknown"><expected><src></src><dst></dst></expected><mask><src></src><dst></dst></mask><master><src></src><dst></dst></master></layer3>' +
        '<layer4 protonum="0" protoname="unknown"><expected></expected><mask></mask><master></master></layer4><meta></meta></flow>',
    );
  });
});

describe('formatExpectXml', () => {
  const FTP_XML =
    '<layer3 protonum="2" protoname="ipv4"><expected><src>127.0.0.1</src><dst>127.0.0.1</dst></expected><mask><src>255.255.255.255</src><dst>255.255.255.255</dst></mask><master><src>127.0.0.1</src><dst>127.0.0.1</dst></master></layer3>' +
    '<layer4 protonum="6" protoname="tcp"><expected><sport>0</sport><dport>51210</dport></expected><mask><sport>0</sport><dport>65535</dport></mask><master><sport>45180</sport><dport>21</dport></master></layer4>';

  it('prints one <flow> per expectation', () => {
    const e = decode(ftp());
    expect(formatExpectXml(e, 'unknown', {}, fixedClock(0))).toBe(
      '<flow>' + FTP_XML + '<meta><helper-name>ftp</helper-name><timeout>299</timeout><class>0</class></meta></flow>',
    );
    expect(formatExpectXml(e, 'new', {}, fixedClock(0))).toMatch(/^<flow type="new"><layer3 /);
    expect(formatExpectXml(e, 'update', {}, fixedClock(0))).toMatch(/^<flow type="update"><layer3 /);
    expect(formatExpectXml(e, 'destroy', {}, fixedClock(0))).toMatch(/^<flow type="destroy"><layer3 /);
  });

  it('puts zone, <when> and the flags in <meta>, in that order', () => {
    const attrs = ftp([u16be(CTA_EXPECT.ZONE, 9)]).map((a) =>
      a.type === CTA_EXPECT.FLAGS ? u32be(CTA_EXPECT.FLAGS, NF_CT_EXPECT.PERMANENT | NF_CT_EXPECT.INACTIVE | NF_CT_EXPECT.USERSPACE) : a,
    );
    const clock = fixedClock(Date.UTC(2026, 10, 22, 3, 4, 5) / 1000); // a Sunday, TZ=UTC (vitest.config.ts)
    expect(formatExpectXml(decode(attrs), 'destroy', { time: true }, clock)).toBe(
      '<flow type="destroy">' +
        FTP_XML +
        '<meta><helper-name>ftp</helper-name><timeout>299</timeout><class>0</class><zone>9</zone>' +
        '<when><hour>3</hour><min>04</min><sec>05</sec><wday>1</wday><day>22</day><month>11</month><year>2026</year></when>' +
        '<permanent/><inactive/><userspace/></meta></flow>',
    );
  });

  it('has the header and footer conntrack.c prints around expectations', () => {
    expect(EXPECT_XML_HEADER).toBe('<?xml version="1.0" encoding="utf-8"?>\n<expect>\n');
    expect(EXPECT_XML_FOOTER).toBe('</expect>\n');
  });
});

describe('expectEventTimestamp', () => {
  it('is "[%-8ld.%-6ld]\\t": left-justified, padded with spaces', () => {
    expect(expectEventTimestamp(1795304991, 883908)).toBe('[1795304991.883908]\t');
    expect(expectEventTimestamp(1795304991, 5)).toBe('[1795304991.5     ]\t');
    expect(expectEventTimestamp(1795304991, 0)).toBe('[1795304991.0     ]\t');
    expect(expectEventTimestamp(42, 12345)).toBe('[42      .12345 ]\t');
  });
});

// ---- real kernel: datagrams captured in a lab netns while /usr/sbin/conntrack printed the goldens

interface Printed {
  stdout: string;
  count: number;
}

function replay(hexFile: string, xml: boolean, events: boolean): Printed {
  const lines: string[] = [];
  for (const d of readDatagrams(join(FIXTURES, 'kernel', hexFile))) {
    forEachMessage(d, (off, len, type, flags) => {
      if (type < 0x10) return; // NLMSG_DONE / NLMSG_ERROR
      expect(type >> 8).toBe(2); // NFNL_SUBSYS_CTNETLINK_EXP
      const e = decodeExpect(d, off, len);
      const kind: MessageKind = events ? expectMessageKind(type, flags) : 'unknown';
      lines.push(xml ? formatExpectXml(e, kind, {}, fixedClock(0)) : formatExpectDefault(e, kind));
    });
  }
  let stdout = lines.map((l) => l + '\n').join('');
  if (xml && lines.length) stdout = EXPECT_XML_HEADER + stdout + EXPECT_XML_FOOTER;
  return { stdout, count: lines.length };
}

const golden = (name: string, ext: 'stdout' | 'stderr'): string => readFileSync(join(FIXTURES, 'golden', `${name}.${ext}`), 'latin1');

describe('captured kernel expectations, printed as conntrack 1.4.7 printed them', () => {
  const lists: Array<[string, boolean]> = [
    ['expect-list', false],
    ['expect-list-xml', true],
    ['expect-list-ipv6', false],
    ['expect-list-ipv6-xml', true],
  ];
  for (const [name, xml] of lists) {
    it(`${name} (-L expect)`, () => {
      const got = replay(`${name}.hex`, xml, false);
      expect(got.count).toBeGreaterThan(0);
      expect(got.stdout).toBe(golden(name, 'stdout'));
      expect(golden(name, 'stderr')).toBe(`conntrack v1.4.7 (conntrack-tools): ${got.count} expectations have been shown.\n`);
    });
  }

  it('expect-events (-E expect, new and destroy)', () => {
    const got = replay('expect-events.hex', false, true);
    expect(got.count).toBe(4);
    expect(got.stdout).toBe(golden('expect-events', 'stdout'));
    expect(golden('expect-events', 'stderr')).toBe(
      `conntrack v1.4.7 (conntrack-tools): ${got.count} expectation events have been shown.\n`,
    );
  });

  it('expect-events-xml (-E expect -o xml, footer printed by the signal handler)', () => {
    const got = replay('expect-events.hex', true, true);
    expect(got.stdout).toBe(golden('expect-events-xml', 'stdout'));
    expect(golden('expect-events-xml', 'stderr')).toBe(
      `conntrack v1.4.7 (conntrack-tools): ${got.count} expectation events have been shown.\n`,
    );
  });

  it('covers what the lab makes: NAT, flags, classes, the 1.4.7 port bug, IPv6', () => {
    const all = golden('expect-list', 'stdout') + golden('expect-events', 'stdout') + golden('expect-list-ipv6', 'stdout');
    for (const s of [
      ' PERMANENT class=2',
      ' INACTIVE class=2',
      'PERMANENT,INACTIVE class=2',
      'class=1 helper=sip',
      'helper=tftp',
      'proto=23 ',
      'dst=10.200.2.1 sport=0 dport=31002',
      'src=fd00:200:1::2',
      '[DESTROY] ',
      '    [NEW] ',
    ]) {
      expect(all).toContain(s);
    }
    // the NAT'd FTP expectation carries CTA_EXPECT_NAT and CTA_EXPECT_FN, which nothing prints
    let nat: Expect | undefined;
    for (const d of readDatagrams(join(FIXTURES, 'kernel', 'expect-list.hex'))) {
      forEachMessage(d, (off, len, type) => {
        if (type < 0x10) return;
        const e = decodeExpect(d, off, len);
        if (e.nat) nat = e;
        expect(e.unknown).toBeUndefined();
        expect(e.id).toBeTypeOf('number');
      });
    }
    expect(nat?.fn).toBe('nat-follow-master');
    expect(nat?.nat).toMatchObject({ dir: 1, tuple: { src: '0.0.0.0', dst: '0.0.0.0', protonum: 6, srcPort: 31002 } });
  });
});
