// --tally of one field counts most entries straight from their messages (ctnetlink/raw-fields.ts). Its report
// must be the one the decoded path gives, byte for byte: for every captured kernel message, every field, with
// IPv6 entries and entries without the field mixed in, and ties kept in the order first seen.

import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { decodeFlow } from '../../src/ctnetlink/decode.js';
import { RAW_FIELDS } from '../../src/ctnetlink/raw-fields.js';
import { Tally } from '../../src/format/tally.js';
import { forEachMessage } from '../../src/netlink/framing.js';
import { IPCTNL_MSG_CT } from '../../src/ctnetlink/constants.js';
import { readDatagrams } from '../helpers/replay.js';
import { REPO } from '../helpers/netns.js';

/** Every conntrack entry message of the captured dumps and events. */
function capturedFlows(): Array<[Buffer, number, number]> {
  const out: Array<[Buffer, number, number]> = [];
  const dir = join(REPO, 'fixtures/kernel');
  for (const f of readdirSync(dir).filter((n) => n.endsWith('.hex') && !n.startsWith('expect'))) {
    for (const d of readDatagrams(join(dir, f))) {
      forEachMessage(d, (off, len, type) => {
        // conntrack messages only (subsystem 1): NEW and DELETE carry an entry
        if (type >> 8 !== 1) return;
        const msg = type & 0xff;
        if (msg === IPCTNL_MSG_CT.NEW || msg === IPCTNL_MSG_CT.DELETE) out.push([d, off, len]);
      });
    }
  }
  return out;
}

function report(t: Tally, top?: number): string {
  let s = '';
  t.render((x) => (s += x), top);
  return s;
}

describe('--tally of one field read from the raw message', () => {
  const flows = capturedFlows();

  it('has captured entries of both families to work on', () => {
    expect(flows.length).toBeGreaterThan(50);
    const families = new Set(flows.map(([b, o, l]) => decodeFlow(b, o, l).family));
    expect(families).toEqual(new Set([2, 10]));
  });

  for (const field of RAW_FIELDS) {
    it(`--tally ${field}: the same report as from decoded entries, and most entries read raw`, () => {
      const raw = new Tally([field]);
      const decoded = new Tally([field], { raw: false });
      let readRaw = 0;
      // three passes so that counts differ and ties must keep their order
      for (let pass = 0; pass < 3; pass++) {
        for (const [b, o, l] of flows.slice(0, flows.length - pass * 7)) {
          if (raw.addRaw(b, o, l)) readRaw++;
          else raw.add(decodeFlow(b, o, l));
          expect(decoded.addRaw(b, o, l)).toBe(false);
          decoded.add(decodeFlow(b, o, l));
        }
      }
      expect(report(raw)).toBe(report(decoded));
      expect(report(raw, 3)).toBe(report(decoded, 3));
      expect(raw.rows()).toEqual(decoded.rows());
      expect(raw.size).toBe(decoded.size);
      expect(readRaw).toBeGreaterThan(0);
    });
  }

  it('keys of more than one field are always counted decoded', () => {
    const t = new Tally(['src', 'dport']);
    const [b, o, l] = flows[0];
    expect(t.addRaw(b, o, l)).toBe(false);
  });
});
