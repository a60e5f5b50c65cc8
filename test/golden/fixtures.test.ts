// Fixture tests (no privileges): datagrams captured from the real kernel replayed through our CLI, compared
// byte for byte with what conntrack 1.4.7 printed for the same table (see scripts/capture-fixtures.ts).

import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { MemorySink } from '../../src/format/sink.js';
import { fixedClock } from '../../src/format/clock.js';
import { readDatagrams, ReplayClient } from '../helpers/replay.js';

const FIXTURES = join(__dirname, '../../fixtures');

interface Meta {
  args: string[];
  now: number;
  exit: number;
  labelmap?: string;
}

const cases = readdirSync(join(FIXTURES, 'kernel'))
  .filter((f) => f.endsWith('.json'))
  .map((f) => f.slice(0, -5))
  .sort();

describe('captured kernel replies, formatted as conntrack 1.4.7 printed them', () => {
  it('has fixtures', () => {
    expect(cases.length).toBeGreaterThan(10);
  });

  for (const name of cases) {
    it(`${name}`, async () => {
      const meta = JSON.parse(readFileSync(join(FIXTURES, 'kernel', `${name}.json`), 'utf8')) as Meta;
      const client = new ReplayClient(readDatagrams(join(FIXTURES, 'kernel', `${name}.hex`)));
      const out = new MemorySink();
      let err = '';
      const code = await main({
        argv: ['conntrack', ...meta.args],
        out,
        err: (s) => (err += s),
        clock: fixedClock(meta.now),
        labelmapPath: meta.labelmap ? join(FIXTURES, meta.labelmap) : join(FIXTURES, 'no-such-connlabel.conf'),
        openClient: () => client,
      });
      const wantOut = readFileSync(join(FIXTURES, 'golden', `${name}.stdout`), 'latin1');
      const wantErr = readFileSync(join(FIXTURES, 'golden', `${name}.stderr`), 'latin1');
      expect(out.text).toBe(wantOut);
      expect(err).toBe(wantErr);
      expect(code).toBe(meta.exit);
      expect(wantOut.includes('\r')).toBe(false);
    });
  }
});
