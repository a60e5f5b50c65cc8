// The attribute cursor (src/netlink/attributes.ts AttrCursor) over trees built declaratively: nesting, typed
// reads, padding, flag bits, unknown types, and the ways a walk ends early.

import { describe, expect, it } from 'vitest';
import {
  AttrCursor,
  type AttrNode,
  bytes,
  encodeAttrsToBuffer,
  findAttr,
  findLastAttr,
  NLA_ABSENT,
  NLA_MALFORMED,
  nest,
  nlaLen,
  nlaType,
  str,
  u16be,
  u32be,
  u64be,
  u8,
} from '../../src/netlink/attributes.js';
import { NLA_ALIGN, NLA_F_NET_BYTEORDER, NLA_HDRLEN } from '../../src/netlink/constants.js';

/** Every attribute of a walk as [type, payload length], nested ones (NLA_F_NESTED) as [type, children]. */
type Walked = [number, number | Walked[]];
function walkAll(c: AttrCursor): Walked[] {
  const out: Walked[] = [];
  const inner = new AttrCursor();
  while (c.next()) out.push(c.nested ? [c.type, walkAll(c.enter(inner))] : [c.type, c.size]);
  expect(c.bad).toBe(false);
  return out;
}

const tree: AttrNode[] = [
  nest(1, nest(1, u32be(1, 0x0a000001), u32be(2, 0x0a000002)), nest(2, u8(1, 6), u16be(2, 40000), u16be(3, 443))),
  u32be(3, 0x8e),
  nest(4, nest(1, u8(1, 3), bytes(4, Uint8Array.of(1, 2)))),
  u64be(9, 0x1122334455667788n),
  str(15, 'ftp'),
  bytes(0x1ff, Uint8Array.of(7, 7, 7)), // a type no decoder knows
];

describe('AttrCursor', () => {
  it('walks a nested tree in order, with each payload length', () => {
    const buf = encodeAttrsToBuffer(tree);
    const walked = walkAll(new AttrCursor().reset(buf, 0, buf.length));
    expect(walked).toEqual([
      [
        1,
        [
          [
            1,
            [
              [1, 4],
              [2, 4],
            ],
          ],
          [
            2,
            [
              [1, 1],
              [2, 2],
              [3, 2],
            ],
          ],
        ],
      ],
      [3, 4],
      [
        4,
        [
          [
            1,
            [
              [1, 1],
              [4, 2],
            ],
          ],
        ],
      ],
      [9, 8],
      [15, 4],
      [0x1ff, 3],
    ]);
  });

  it('reads u8, be16, be32, be64, strings and bytes from the current attribute', () => {
    const buf = encodeAttrsToBuffer(tree);
    const c = new AttrCursor().reset(buf, 0, buf.length);
    const t = new AttrCursor();
    const p = new AttrCursor();
    const seen: unknown[] = [];
    while (c.next()) {
      if (c.type === 1) {
        expect(c.nested).toBe(true);
        c.enter(t);
        while (t.next()) {
          t.enter(p);
          while (p.next()) seen.push(t.type === 1 ? p.be32() : p.type === 1 ? p.u8() : p.be16());
        }
      } else if (c.type === 3) seen.push(c.be32());
      else if (c.type === 9) seen.push(c.be64());
      else if (c.type === 15) seen.push(c.str());
      else if (c.type === 0x1ff) {
        expect(c.nested).toBe(false);
        seen.push([...c.bytes()], [...c.subarray()], c.raw());
      }
    }
    expect(seen).toEqual([
      0x0a000001,
      0x0a000002,
      6,
      40000,
      443,
      0x8e,
      0x1122334455667788n,
      'ftp',
      [7, 7, 7],
      [7, 7, 7],
      { type: 0x1ff, nested: false, data: Buffer.of(7, 7, 7) },
    ]);
  });

  it('steps over padding: an odd payload is followed by the next attribute at its aligned offset', () => {
    const buf = encodeAttrsToBuffer([bytes(1, Uint8Array.of(1)), bytes(2, Uint8Array.of(1, 2, 3, 4, 5)), u8(3, 9)]);
    const c = new AttrCursor().reset(buf, 0, buf.length);
    const hdrs: number[] = [];
    while (c.next()) hdrs.push(c.hdr);
    expect(hdrs).toEqual([0, NLA_ALIGN(NLA_HDRLEN + 1), NLA_ALIGN(NLA_HDRLEN + 1) + NLA_ALIGN(NLA_HDRLEN + 5)]);
    expect(c.bad).toBe(false);
  });

  it('strips NLA_F_NESTED and NLA_F_NET_BYTEORDER from the type', () => {
    const buf = encodeAttrsToBuffer([nest(5, u8(1, 1)), u8(6, 2)]);
    const second = NLA_HDRLEN + NLA_ALIGN(NLA_HDRLEN + 1);
    buf.writeUInt16LE(6 | NLA_F_NET_BYTEORDER, second + 2);
    const c = new AttrCursor().reset(buf, 0, buf.length);
    const types: number[] = [];
    while (c.next()) types.push(c.type);
    expect(types).toEqual([5, 6]);
  });

  it('ignores trailing bytes shorter than a header, as nla_for_each_attr does', () => {
    const buf = Buffer.concat([encodeAttrsToBuffer([u32be(1, 1)]), Buffer.of(0xff, 0xff, 0xff)]);
    const c = new AttrCursor().reset(buf, 0, buf.length);
    expect([c.next(), c.next(), c.bad]).toEqual([true, false, false]);
  });

  it('stops at a header that runs past the range, and says where', () => {
    const buf = encodeAttrsToBuffer([u32be(1, 1), u32be(2, 2)]);
    const c = new AttrCursor().reset(buf, 0, buf.length - 1); // the second attribute is cut short
    expect([c.next(), c.next(), c.bad, c.hdr, c.len, c.type]).toEqual([true, false, true, 8, 8, 2]);
    expect(c.next()).toBe(false);
    expect(c.badLength(['CTA_X']).message).toBe('unmarshal CTA_X: attribute at offset 8 has bad length 8');
  });

  it('stops at a header whose length is shorter than the header itself', () => {
    const buf = encodeAttrsToBuffer([u32be(1, 1), u32be(2, 2)]);
    buf.writeUInt16LE(3, 8);
    const c = new AttrCursor().reset(buf, 0, buf.length);
    expect([c.next(), c.next(), c.bad, c.len]).toEqual([true, false, true, 3]);
  });

  it('a nested walk is bounded by its parent: a child running past the nest is malformed', () => {
    const buf = encodeAttrsToBuffer([nest(1, u32be(1, 1)), u32be(2, 2)]);
    buf.writeUInt16LE(12, NLA_HDRLEN); // the child claims the parent's neighbour
    const c = new AttrCursor().reset(buf, 0, buf.length);
    const inner = new AttrCursor();
    expect(c.next()).toBe(true);
    c.enter(inner);
    expect([inner.next(), inner.bad]).toEqual([false, true]);
    expect([c.next(), c.type, c.be32()]).toEqual([true, 2, 2]); // the outer walk goes on
  });

  it('walks a sub-range of a larger buffer, and is reusable', () => {
    const buf = Buffer.concat([Buffer.alloc(20, 0xee), encodeAttrsToBuffer([u16be(7, 513)]), Buffer.alloc(8, 0xee)]);
    const c = new AttrCursor();
    for (let i = 0; i < 2; i++) {
      c.reset(buf, 20, 28);
      expect([c.next(), c.type, c.be16(), c.has(2), c.has(3), c.next(), c.bad]).toEqual([true, 7, 513, true, false, false, false]);
    }
    c.reset(buf, 20, 20);
    expect([c.next(), c.bad]).toEqual([false, false]);
  });
});

describe('findAttr / findLastAttr (the walk as free functions)', () => {
  const buf = encodeAttrsToBuffer([u32be(3, 1), nest(1, u8(1, 6)), u32be(3, 2), bytes(9, Uint8Array.of(1))]);
  it('give the header offset of the first / last attribute of a type, or NLA_ABSENT', () => {
    expect(findAttr(buf, 0, buf.length, 3)).toBe(0);
    expect(findLastAttr(buf, 0, buf.length, 3)).toBe(8 + 12);
    expect(nlaType(buf, findAttr(buf, 0, buf.length, 1))).toBe(1);
    expect(nlaLen(buf, findAttr(buf, 0, buf.length, 9))).toBe(NLA_HDRLEN + 1);
    expect(findAttr(buf, 0, buf.length, 7)).toBe(NLA_ABSENT);
    expect(findLastAttr(buf, 0, buf.length, 7)).toBe(NLA_ABSENT);
  });
  it('say NLA_MALFORMED at a bad header on the way, and ignore trailing bytes shorter than a header', () => {
    const bad = Buffer.from(buf);
    bad.writeUInt16LE(0xff, 8); // the nest's length runs past the end
    expect(findAttr(bad, 0, bad.length, 3)).toBe(0);
    expect(findAttr(bad, 0, bad.length, 9)).toBe(NLA_MALFORMED);
    expect(findLastAttr(bad, 0, bad.length, 3)).toBe(NLA_MALFORMED);
    const short = Buffer.concat([buf, Buffer.of(5, 0, 9)]);
    expect(findLastAttr(short, 0, short.length, 9)).toBe(buf.length - 8);
  });
});
