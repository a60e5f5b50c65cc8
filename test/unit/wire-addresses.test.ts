// -L's fast path: FlowDecoder({ wireAddresses: true }) keeps addresses as bytes of the message (WireTuple) and the
// default formatter writes IPv4 ones straight into a ByteSink. Everything seen from outside stays what the
// allocating decoder and the string formatter give, for every captured kernel message.

import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { formatIPv4 } from '../../src/ctnetlink/addresses.js';
import { IPCTNL_MSG_CT } from '../../src/ctnetlink/constants.js';
import { decodeFlow, FlowDecoder, WireTuple } from '../../src/ctnetlink/decode.js';
import { fixedClock } from '../../src/format/clock.js';
import { formatFlowDefault, writeFlowDefault } from '../../src/format/default.js';
import { ByteSink } from '../../src/format/sink.js';
import { NFNL_SUBSYS } from '../../src/netlink/constants.js';
import { forEachMessage } from '../../src/netlink/framing.js';
import { textOf } from '../../src/text.js';
import { readDatagrams } from '../helpers/replay.js';

const KERNEL = join(__dirname, '../../fixtures/kernel');
const clock = fixedClock(1_700_000_000);
const json = (v: unknown): string => JSON.stringify(v, (_k, x) => (typeof x === 'bigint' ? String(x) : x));

/** Every conntrack entry message (IPCTNL_MSG_CT_NEW / _DELETE) of the captured files. */
function capturedEntries(): Array<{ file: string; d: Buffer; off: number; len: number }> {
  const out: Array<{ file: string; d: Buffer; off: number; len: number }> = [];
  for (const file of readdirSync(KERNEL).filter((f) => f.endsWith('.hex'))) {
    for (const d of readDatagrams(join(KERNEL, file))) {
      forEachMessage(d, (off, len, type) => {
        if (type >> 8 !== NFNL_SUBSYS.CTNETLINK) return;
        const msg = type & 0xff;
        if (msg === IPCTNL_MSG_CT.NEW || msg === IPCTNL_MSG_CT.DELETE) out.push({ file, d, off, len });
      });
    }
  }
  return out;
}

describe('wire addresses', () => {
  const entries = capturedEntries();

  it('finds captured entries of both families', () => {
    const families = new Set(entries.map((e) => decodeFlow(e.d, e.off, e.len).family));
    expect(families).toEqual(new Set([2, 10]));
  });

  it('decodes every captured entry as the allocating decoder does, and formats it to the same bytes', () => {
    const wire = new FlowDecoder({ wireAddresses: true });
    for (const e of entries) {
      const plain = decodeFlow(e.d, e.off, e.len);
      const f = wire.decode(e.d, e.off, e.len);
      expect(f.orig).toBeInstanceOf(WireTuple);
      expect(json(f), e.file).toBe(json(plain));
      expect(f.orig?.src, e.file).toBe(plain.orig?.src);
      expect(f.reply?.dst, e.file).toBe(plain.reply?.dst);
      for (const extended of [false, true]) {
        const fmt = { extended, id: true };
        const sink = new ByteSink(8);
        writeFlowDefault(sink, wire.decode(e.d, e.off, e.len), 'unknown', fmt, clock);
        expect(textOf(sink.take()), e.file).toBe(formatFlowDefault(plain, 'unknown', fmt, clock));
      }
    }
  });

  it('an address set as text replaces the bytes, and the next entry starts clean', () => {
    const wire = new FlowDecoder({ wireAddresses: true });
    const e = entries.find((x) => decodeFlow(x.d, x.off, x.len).family === 2)!;
    const f = wire.decode(e.d, e.off, e.len);
    const t = f.orig as WireTuple;
    t.src = '9.9.9.9';
    expect(t.src).toBe('9.9.9.9');
    const sink = new ByteSink();
    writeFlowDefault(sink, f, 'unknown', {}, clock);
    expect(textOf(sink.take())).toContain('src=9.9.9.9 ');
    expect(wire.decode(e.d, e.off, e.len).orig?.src).toBe(decodeFlow(e.d, e.off, e.len).orig?.src);
  });
});

describe('ByteSink numbers and addresses', () => {
  it('writes every IPv4 octet value as inet_ntoa does', () => {
    const sink = new ByteSink(4);
    const bytes = new Uint8Array(256 + 3);
    for (let v = 0; v < 256; v++) bytes[v] = v;
    let want = '';
    for (let at = 0; at < 256; at++) {
      sink.ipv4(bytes, at);
      sink.str(' ');
      want += `${formatIPv4(bytes, at)} `;
    }
    expect(textOf(sink.take())).toBe(want);
  });

  it('writes integers in decimal at every digit count and past 32 bits', () => {
    const values = [0, 1, 9, 10, 99, 100, 999, 1000, 65535, 99999, 100000, 999999, 1000000, 9999999, 10000000];
    values.push(99999999, 100000000, 999999999, 1000000000, 2147483647, 2147483648, 4294967295, 2 ** 53 - 1);
    const sink = new ByteSink(2);
    for (const v of values) {
      sink.num(v);
      sink.str(',');
    }
    expect(textOf(sink.take())).toBe(values.map((v) => `${v},`).join(''));
  });
});
