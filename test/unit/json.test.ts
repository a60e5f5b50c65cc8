// -o json: every entry of every captured table validates against schema/flow.schema.json, keys come in the
// schema's order, and the values agree with what conntrack's default format printed for the same table.

import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { MemorySink } from '../../src/format/sink.js';
import { fixedClock } from '../../src/format/clock.js';
import { flowJson, formatFlowJson } from '../../src/format/json.js';
import type { Flow } from '../../src/ctnetlink/model.js';
import { keysInSchemaOrder, validate } from '../helpers/json-schema.js';
import { readDatagrams, ReplayClient } from '../helpers/replay.js';

const FIXTURES = join(__dirname, '../../fixtures');
const SCHEMA = JSON.parse(readFileSync(join(__dirname, '../../schema/flow.schema.json'), 'utf8'));

async function run(fixture: string, args: string[], labelmap?: string): Promise<{ out: string; err: string; code: number }> {
  const client = new ReplayClient(readDatagrams(join(FIXTURES, 'kernel', `${fixture}.hex`)));
  const out = new MemorySink();
  let err = '';
  const code = await main({
    argv: ['conntrack', ...args],
    out,
    err: (s) => (err += s),
    clock: fixedClock(1_700_000_000),
    labelmapPath: labelmap ? join(FIXTURES, labelmap) : join(FIXTURES, 'no-such-connlabel.conf'),
    openClient: () => client,
  });
  return { out: out.text, err, code };
}

const listFixtures = readdirSync(join(FIXTURES, 'kernel'))
  .filter((f) => f.startsWith('list-') && f.endsWith('.hex'))
  .map((f) => f.slice(0, -4));

describe('-o json', () => {
  for (const name of listFixtures) {
    it(`${name}: every entry validates against the schema, keys in schema order`, async () => {
      const r = await run(name, ['-L', '-o', 'json']);
      expect(r.code).toBe(0);
      const lines = r.out.split('\n').slice(0, -1);
      expect(lines.length).toBeGreaterThan(0);
      expect(r.err).toBe(`conntrack v1.4.7 (conntrack-tools): ${lines.length} flow entries have been shown.\n`);
      for (const line of lines) {
        const o = JSON.parse(line);
        expect(validate(SCHEMA, o), line).toEqual([]);
        expect(keysInSchemaOrder(SCHEMA, o), line).toBe(true);
        if (o.original) expect(keysInSchemaOrder(SCHEMA, o.original, SCHEMA.$defs.tuple), line).toBe(true);
        expect(line.includes('\n')).toBe(false);
      }
    });
  }

  it('agrees with the default format on the same table: one object per line, same tuples, states, marks', async () => {
    const json = (await run('list-default', ['-L', '-o', 'json'])).out
      .split('\n')
      .slice(0, -1)
      .map((l) => JSON.parse(l));
    const text = readFileSync(join(FIXTURES, 'golden', 'list-default.stdout'), 'latin1')
      .split('\n')
      .slice(0, -1);
    expect(json.length).toBe(text.length);
    const kinds = new Set<string>();
    json.forEach((o, i) => {
      const line = text[i];
      kinds.add(o.protocol);
      expect(line.startsWith(o.protocol.padEnd(8) + ' ' + String(o.protonum))).toBe(true);
      if (o.state) expect(line).toContain(` ${o.state} `);
      if (o.original?.src) expect(line).toContain(`src=${o.original.src} dst=${o.original.dst} `);
      if (o.original?.sport !== undefined) expect(line).toContain(`sport=${o.original.sport} dport=${o.original.dport} `);
      if (o.reply?.src) expect(line).toContain(`src=${o.reply.src} dst=${o.reply.dst}`);
      if (o.mark !== undefined) expect(line).toContain(`mark=${o.mark} `);
      if (o.timeout !== undefined) expect(line.split(/ +/)[2]).toBe(String(o.timeout));
      expect(line.includes('[UNREPLIED]')).toBe(!o.status.includes('SEEN_REPLY'));
      expect(line.includes('[ASSURED]')).toBe(o.status.includes('ASSURED'));
    });
    // the lab's table has every kind of entry
    for (const p of ['tcp', 'udp', 'icmp']) expect(kinds.has(p)).toBe(true);
  });

  it('names labels from connlabel.conf when it is read, as -o labels prints them', async () => {
    const meta = JSON.parse(readFileSync(join(FIXTURES, 'kernel', 'list-labels.json'), 'utf8'));
    const json = (await run('list-labels', ['-L', '-o', 'json,labels'], meta.labelmap)).out
      .split('\n')
      .slice(0, -1)
      .map((l) => JSON.parse(l));
    const text = readFileSync(join(FIXTURES, 'golden', 'list-labels.stdout'), 'latin1')
      .split('\n')
      .slice(0, -1);
    let labelled = 0;
    json.forEach((o, i) => {
      if (text[i].includes(' labels=')) {
        labelled++;
        expect(text[i]).toContain(` labels=${o.labelNames.join(',')}`);
      } else expect(o.labelNames ?? []).toEqual([]);
      if (o.labels) expect(o.labels.length).toBeGreaterThanOrEqual(o.labelNames?.length ?? 0);
    });
    expect(labelled).toBeGreaterThan(0);
  });

  it('every model field, 64-bit values as strings, events with their type', () => {
    const f: Flow = {
      family: 10,
      orig: { family: 10, src: '2001:db8::1', dst: '2001:db8::2', protonum: 132, srcPort: 1, dstPort: 2, zone: 3 },
      reply: {
        family: 10,
        src: '2001:db8::2',
        dst: '2001:db8::1',
        protonum: 132,
        srcPort: 2,
        dstPort: 1,
        unknown: [{ type: 9, nested: false, data: Buffer.from([1, 2]) }],
      },
      master: { family: 10, src: '::1', dst: '::2', protonum: 47, srcPort: 0x1234, dstPort: 0x5678 },
      status: 0x1e,
      sctp: { state: 3, vtagOrig: 4294967295, vtagReply: 1 },
      dccp: { state: 2, role: 1, handshakeSeq: 18446744073709551615n },
      tcp: { state: 3, wscaleOrig: 7, wscaleReply: 8, flagsOrig: { flags: 3, mask: 3 } },
      helper: { name: 'ftp', info: Buffer.from([0xab]) },
      timeout: 10,
      mark: 0,
      countersOrig: { packets: 2n ** 63n, bytes: 5n },
      countersReply: { packets: 1n, bytes: 0n },
      use: 1,
      id: 4294967295,
      seqAdjOrig: { correctionPos: 1, offsetBefore: 2, offsetAfter: 3 },
      secmark: 0,
      zone: 65535,
      secctx: 'system_u',
      timestamp: { start: 1700000000000000000n, stop: 1700000001000000000n },
      labels: Buffer.from([0x05, 0, 0, 0]),
      synproxy: { isn: 1, its: 2, tsoff: 3 },
      timestampEvent: 42n,
      unknown: [{ type: 99, nested: true, data: Buffer.alloc(0) }],
    };
    const o = flowJson(f, 'destroy');
    expect(validate(SCHEMA, o)).toEqual([]);
    expect(keysInSchemaOrder(SCHEMA, o)).toBe(true);
    expect(o.type).toBe('destroy');
    expect(o.protocol).toBe('sctp');
    expect(o.status).toEqual(['SEEN_REPLY', 'ASSURED', 'CONFIRMED', 'SRC_NAT']);
    expect((o.original as Record<string, unknown>).packets).toBe('9223372036854775808');
    expect((o.master as Record<string, unknown>).srckey).toBe(0x1234);
    expect(o.labels).toEqual([0, 2]);
    expect((o.dccp as Record<string, unknown>).handshakeSeq).toBe('18446744073709551615');
    expect(formatFlowJson(f, 'unknown')).toMatch(/^\{"family"/);
    // an entry without optional attributes has only what was sent
    expect(formatFlowJson({ family: 2 }, 'new')).toBe('{"type":"new","family":"ipv4"}');
    // the validator itself rejects what the schema forbids
    expect(validate(SCHEMA, { ...o, extra: 1 })).not.toEqual([]);
    expect(validate(SCHEMA, { ...o, id: -1 })).not.toEqual([]);
    expect(validate(SCHEMA, { ...o, timestamp: { start: 1 } })).not.toEqual([]);
  });

  it('is refused where it cannot apply, exit 2, nothing done', async () => {
    for (const args of [
      ['-L', '-o', 'json,xml'],
      ['-L', '-o', 'save,json'],
      ['-L', 'expect', '-o', 'json'],
    ]) {
      const r = await run('list-default', args);
      expect(r.code, args.join(' ')).not.toBe(0);
      expect(r.out).toBe('');
    }
  });
});
