// Our additions on a real table: --tally gives the counts of the shell pipeline admins use with the reference
// (`conntrack -L | awk | sort | uniq -c | sort -nr`), and -o json works for -L, -G, -D, -U and -E.

import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { netnsAdd, netnsDel, REPO, runOurs, runRef, runSh, skipReason, waitListeners } from '../helpers/netns.js';
import { validate } from '../helpers/json-schema.js';

const NS = `ctit-x-${process.pid}`;
const FILE = `/tmp/ctit-x-${process.pid}.txt`;
const SCHEMA = JSON.parse(readFileSync(join(REPO, 'schema/flow.schema.json'), 'utf8'));

/** 3000 entries over a few sources, ports and states, so that counts differ. */
function table(): string {
  const states = ['ESTABLISHED', 'SYN_SENT', 'TIME_WAIT', 'ESTABLISHED', 'CLOSE_WAIT'];
  const dports = [443, 80, 22, 443, 8080, 53];
  let s = '';
  for (let i = 0; i < 3000; i++) {
    const src = `10.9.${i % 7}.${(i * 13) % 5}`;
    const dst = `192.0.2.${i % 11}`;
    if (i % 4 === 3) s += `-I -s ${src} -d ${dst} -p udp --sport ${2000 + i} --dport ${dports[i % 6]} -t 300\n`;
    else s += `-I -s ${src} -d ${dst} -p tcp --sport ${2000 + i} --dport ${dports[i % 6]} --state ${states[i % 5]} -t 300 -m ${i % 3}\n`;
  }
  return s;
}

/** "  COUNT VALUE" lines (uniq -c, or ours with one key) as a map. */
function counts(text: string): Map<string, number> {
  const m = new Map<string, number>();
  for (const line of text.split('\n')) {
    const r = /^\s*(\d+) (.*)$/.exec(line);
    if (r) m.set(r[2], Number(r[1]));
  }
  return m;
}

describe.skipIf(skipReason)('--tally and -o json on a real table', () => {
  beforeAll(() => {
    netnsAdd(NS);
    writeFileSync(FILE, table());
    const r = runRef(NS, ['-R', FILE]);
    if (r.status !== 0) throw new Error(`load failed: ${r.stderr}`);
  });
  afterAll(() => {
    netnsDel(NS);
  });

  for (const [args, pipeline] of [
    [
      ['--tally', 'src'],
      "conntrack -L 2>/dev/null | awk '{ for (i = 1; i <= NF; i++) if ($i ~ /^src=/) { print $i; break } }' | sort | uniq -c | sort -nr",
    ],
    [['-p', 'tcp', '--tally', 'dport'], "conntrack -L -p tcp 2>/dev/null | awk '{print $8}' | sort | uniq -c | sort -nr"],
    [
      ['-p', 'tcp', '--tally', 'state'],
      "conntrack -L -p tcp 2>/dev/null | awk '{print $4}' | sed 's/^/state=/' | sort | uniq -c | sort -nr",
    ],
    [['-m', '1', '--tally', 'dst'], "conntrack -L -m 1 2>/dev/null | awk '{print $6}' | sort | uniq -c | sort -nr"],
  ] as Array<[string[], string]>) {
    it(`-L ${args.join(' ')} counts what the reference's pipeline counts`, () => {
      const ours = runOurs(NS, ['-L', ...args]);
      const ref = runSh(NS, `PATH=/usr/sbin:$PATH; ${pipeline}`);
      expect(ours.status).toBe(0);
      const want = counts(ref.stdout);
      expect(want.size).toBeGreaterThan(1);
      expect(counts(ours.stdout)).toEqual(want);
      // sorted by count, largest first
      const got = [...counts(ours.stdout).values()];
      expect(got).toEqual([...got].sort((a, b) => b - a));
      const total = got.reduce((a, b) => a + b, 0);
      expect(ours.stderr).toBe(`conntrack v1.4.7 (conntrack-tools): ${total} flow entries have been shown.\n`);
    });
  }

  it('--tally with two keys and --top', () => {
    const all = runOurs(NS, ['-L', '--tally', 'proto,dport']);
    const top = runOurs(NS, ['-L', '--tally', 'proto,dport', '--top', '3']);
    expect(top.stdout.split('\n').slice(0, -1)).toEqual(all.stdout.split('\n').slice(0, 3));
    expect(top.stdout).toMatch(/^\s+\d+ proto=(tcp|udp) dport=\d+\n/);
    const ref = runSh(NS, "conntrack -L 2>/dev/null | awk '{ print $1 }' | sort | uniq -c");
    const perProto = new Map<string, number>();
    for (const [k, n] of counts(all.stdout)) perProto.set(k.split(' ')[0].slice(6), (perProto.get(k.split(' ')[0].slice(6)) ?? 0) + n);
    expect(perProto).toEqual(counts(ref.stdout));
  });

  it('-L -o json: one valid object per entry, the same entries as the default format', () => {
    const json = runOurs(NS, ['-L', '-o', 'json']);
    const text = runRef(NS, ['-L']);
    const objs = json.stdout
      .split('\n')
      .slice(0, -1)
      .map((l) => JSON.parse(l));
    expect(objs.length).toBe(3000);
    expect(json.stderr).toBe(text.stderr);
    for (const o of objs) expect(validate(SCHEMA, o)).toEqual([]);
    const key = (src: string, sport: number): string => `${src}:${sport}`;
    const fromText = new Set(
      text.stdout
        .split('\n')
        .slice(0, -1)
        .map((l) => key(/src=(\S+)/.exec(l)![1], Number(/sport=(\d+)/.exec(l)![1]))),
    );
    expect(new Set(objs.map((o) => key(o.original.src, o.original.sport)))).toEqual(fromText);
  });

  it('-G, -U and -D with -o json', () => {
    const get = runOurs(NS, ['-G', '-s', '10.9.0.0', '-d', '192.0.2.0', '-p', 'tcp', '--sport', '2000', '--dport', '443', '-o', 'json']);
    expect(get.status).toBe(0);
    const g = JSON.parse(get.stdout);
    expect(g.original).toMatchObject({ src: '10.9.0.0', dst: '192.0.2.0', sport: 2000, dport: 443 });
    expect(g.state).toBe('ESTABLISHED');
    const upd = runOurs(NS, ['-U', '-s', '10.9.0.0', '-p', 'tcp', '--dport', '443', '-m', '77', '-o', 'json']);
    expect(upd.status).toBe(0);
    const updated = upd.stdout
      .split('\n')
      .slice(0, -1)
      .map((l) => JSON.parse(l));
    expect(updated.length).toBeGreaterThan(0);
    for (const o of updated) {
      expect(validate(SCHEMA, o)).toEqual([]);
      expect(o.mark).toBe(77);
    }
    const del = runOurs(NS, ['-D', '-m', '77', '-o', 'json']);
    const deleted = del.stdout
      .split('\n')
      .slice(0, -1)
      .map((l) => JSON.parse(l));
    expect(deleted.length).toBe(updated.length);
    expect(del.stderr).toBe(`conntrack v1.4.7 (conntrack-tools): ${deleted.length} flow entries have been deleted.\n`);
    expect(runRef(NS, ['-L', '-m', '77']).stderr).toContain(' 0 flow entries');
  });

  it('-E -o json: one object per event with its type, safe to read line by line', () => {
    const script = `
      (timeout -s INT 3 node ${REPO}/bin/conntrack -E -o json,timestamp > /tmp/ctit-x-${process.pid}.ev 2>/dev/null) &
      ${waitListeners(1)}
      conntrack -I -s 1.2.3.4 -d 5.6.7.8 -p tcp --sport 1 --dport 2 --state ESTABLISHED -t 60 >/dev/null 2>&1
      conntrack -U -s 1.2.3.4 -m 9 >/dev/null 2>&1
      conntrack -D -s 1.2.3.4 >/dev/null 2>&1
      wait
      cat /tmp/ctit-x-${process.pid}.ev; rm -f /tmp/ctit-x-${process.pid}.ev`;
    const r = runSh(NS, `PATH=/usr/sbin:$PATH; ${script}`, { timeoutMs: 20_000 });
    const events = r.stdout
      .split('\n')
      .slice(0, -1)
      .map((l) => JSON.parse(l));
    expect(events.map((e) => e.type)).toEqual(['new', 'update', 'destroy']);
    for (const e of events) {
      expect(validate(SCHEMA, e)).toEqual([]);
      expect(e.original.src).toBe('1.2.3.4');
      expect(e.time).toMatch(/^\d+\.\d{6}$/);
    }
    expect(events[1].mark).toBe(9);
  });
});

describe.skipIf(skipReason)('--tally of ports on a table of every protocol', () => {
  const MIXED_NS = `ctit-xm-${process.pid}`;
  beforeAll(() => {
    netnsAdd(MIXED_NS);
    const r = runRef(MIXED_NS, ['-R', join(REPO, 'fixtures/tables/mixed.txt')]);
    if (r.status !== 0) throw new Error(`load failed: ${r.stderr}`);
  });
  afterAll(() => {
    netnsDel(MIXED_NS);
  });

  // GRE's keys print as srckey=/dstkey=, ICMP has none: the pipeline never sees a port there, we count '-'
  for (const key of ['sport', 'dport']) {
    it(`-L --tally ${key} counts what the reference's pipeline counts (GRE, ICMP and IPv6 entries included)`, () => {
      const ours = runOurs(MIXED_NS, ['-L', '--tally', key]);
      const ref = runSh(
        MIXED_NS,
        `PATH=/usr/sbin:$PATH; conntrack -L 2>/dev/null | awk '{ for (i = 1; i <= NF; i++) if ($i ~ /^${key}=/) { print $i; break } }' | sort | uniq -c | sort -nr`,
      );
      expect(ours.status).toBe(0);
      const got = counts(ours.stdout);
      const none = got.get(`${key}=-`) ?? 0;
      got.delete(`${key}=-`);
      expect(got).toEqual(counts(ref.stdout));
      expect(none).toBeGreaterThan(0);
      expect(runRef(MIXED_NS, ['-L', '-p', 'gre']).stdout).toMatch(/srckey=/);
    });
  }
});
