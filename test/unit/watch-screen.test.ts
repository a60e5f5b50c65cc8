// The --watch screen (src/format/watch-screen.ts) and its aggregation (src/commands/watch.ts), without a terminal.

import { describe, expect, it } from 'vitest';
import { colorLevel, FILL_CRITICAL, renderWatchScreen, WatchSnapshot } from '../../src/format/watch-screen.js';
import { flowStateKey, WatchAggregator } from '../../src/commands/watch.js';
import type { Flow } from '../../src/ctnetlink/model.js';

const ESC = /\x1b\[/;

function snap(over: Partial<WatchSnapshot> = {}): WatchSnapshot {
  return {
    count: 1234,
    max: 262144,
    newPerSec: 12,
    destroyPerSec: 3.5,
    scanned: 1234,
    sampleEvery: 1,
    time: new Date(Date.UTC(2026, 10, 22, 3, 4, 5)),
    sources: [
      { key: '10.0.0.1', count: 900 },
      { key: '192.168.100.200', count: 334 },
    ],
    destinations: [{ key: '2001:db8::1', count: 1234 }],
    ports: [
      { key: 'tcp/443', count: 1000 },
      { key: 'udp/53', count: 234 },
    ],
    states: [
      { key: 'tcp ESTABLISHED', count: 1000 },
      { key: 'udp UNREPLIED', count: 234 },
    ],
    ...over,
  };
}

describe('renderWatchScreen', () => {
  it('plain text when colour is off: header, counts, rates and the four top lists', () => {
    const s = renderWatchScreen(snap(), { width: 120, height: 40, colorLevel: 0 });
    expect(s).not.toMatch(ESC);
    const lines = s.split('\n');
    expect(lines[0]).toBe('conntrack --watch  2026-11-22 03:04:05 UTC');
    expect(lines[1]).toMatch(/^Table +\[\.*\] 1234 \/ 262144 {2}0\.5%$/);
    expect(lines[2]).toBe('Events  NEW 12.0/s   DESTROY 3.5/s');
    expect(lines[3]).toBe('Scanned 1234 entries');
    expect(s).toMatch(/Top sources +Top destinations +Top ports +Top states/);
    expect(s).toMatch(/900 {2}10\.0\.0\.1 +1234 {2}2001:db8::1 +1000 {2}tcp\/443 +1000 {2}tcp ESTABLISHED/);
    expect(s).toMatch(/334 {2}192\.168\.100\.200 +234 {2}udp\/53 +234 {2}udp UNREPLIED/);
  });

  it('colours when asked to, and the text stays the same under the escapes', () => {
    const plain = renderWatchScreen(snap(), { width: 120, height: 40, colorLevel: 0 });
    const coloured = renderWatchScreen(snap(), { width: 120, height: 40, colorLevel: 1 });
    expect(coloured).toMatch(ESC);
    // eslint-disable-next-line no-control-regex
    expect(coloured.replace(/\x1b\[[0-9;]*m/g, '')).toBe(plain);
  });

  it('warns in red when the table is nearly full, in yellow when filling up, green otherwise', () => {
    const full = renderWatchScreen(snap({ count: Math.ceil(262144 * FILL_CRITICAL), max: 262144 }), {
      width: 120,
      height: 40,
      colorLevel: 1,
    });
    const fullLine = full.split('\n')[1];
    expect(fullLine).toContain('TABLE NEARLY FULL');
    expect(fullLine).toContain('\x1b[31m'); // red
    const filling = renderWatchScreen(snap({ count: 200000, max: 262144 }), { width: 120, height: 40, colorLevel: 1 }).split('\n')[1];
    expect(filling).toContain('filling up');
    expect(filling).toContain('\x1b[33m'); // yellow
    const low = renderWatchScreen(snap(), { width: 120, height: 40, colorLevel: 1 }).split('\n')[1];
    expect(low).toContain('\x1b[32m'); // green
    expect(low).not.toMatch(/FULL|filling/);
    expect(renderWatchScreen(snap({ count: 300000, max: 262144 }), { width: 120, height: 40, colorLevel: 0 })).toMatch(
      /\[#{40}\] 300000 \/ 262144 {2}114\.4% {2}TABLE NEARLY FULL/,
    );
    // without colour the warning is still there, in words
    expect(renderWatchScreen(snap({ count: 262144, max: 262144 }), { width: 120, height: 40, colorLevel: 0 })).toMatch(
      /262144 \/ 262144 {2}100\.0% {2}TABLE NEARLY FULL/,
    );
  });

  it('fits the terminal: no line wider than the width, no more lines than the height', () => {
    const many = Array.from({ length: 50 }, (_, i) => ({ key: `10.0.${i}.1`, count: 100 - i }));
    for (const [width, height] of [
      [120, 40],
      [80, 24],
      [40, 12],
      [20, 5],
      [1, 1],
    ]) {
      for (const colorLevel of [0, 3] as const) {
        const s = renderWatchScreen(snap({ sources: many, destinations: many }), { width, height, colorLevel, keysHint: true });
        const lines = s.split('\n');
        expect(lines.length).toBeLessThanOrEqual(height);
        // eslint-disable-next-line no-control-regex
        for (const l of lines) expect(l.replace(/\x1b\[[0-9;]*m/g, '').length).toBeLessThanOrEqual(width);
      }
    }
    // 80 columns: two lists side by side; 40: one under the other
    expect(renderWatchScreen(snap(), { width: 80, height: 40, colorLevel: 0 })).toMatch(
      /Top sources +Top destinations\n[\s\S]*Top ports +Top states/,
    );
    expect(renderWatchScreen(snap(), { width: 40, height: 60, colorLevel: 0 })).toMatch(/^Top sources$/m);
    // the number of entries shown shrinks with the height
    const short = renderWatchScreen(snap({ sources: many }), { width: 120, height: 12, colorLevel: 0 });
    expect(short).toContain('10.0.4.1');
    expect(short).not.toContain('10.0.5.1');
  });

  it('shows what is unknown as such', () => {
    const s = renderWatchScreen(snap({ count: undefined, newPerSec: undefined, destroyPerSec: undefined, sources: [] }), {
      width: 120,
      height: 40,
      colorLevel: 0,
    });
    expect(s).toContain('Table   entries unknown');
    expect(s).toContain('NEW -/s   DESTROY -/s');
    expect(s).toContain('(none)');
    expect(
      renderWatchScreen(snap({ eventsNote: 'events unavailable (Operation not permitted)' }), { width: 120, height: 40, colorLevel: 0 }),
    ).toContain('Events  events unavailable (Operation not permitted)');
    expect(renderWatchScreen(snap({ sampleEvery: 4 }), { width: 120, height: 40, colorLevel: 0 })).toContain('sampled 1 in 4');
    expect(renderWatchScreen(snap({ eventsLost: true }), { width: 120, height: 40, colorLevel: 0 })).toContain('events lost');
  });
});

describe('colorLevel', () => {
  it('never colours when stdout is not a terminal, even when forced', () => {
    expect(colorLevel(false, { FORCE_COLOR: '3', TERM: 'xterm-256color' })).toBe(0);
  });
  it('honours NO_COLOR (any non-empty value)', () => {
    expect(colorLevel(true, { NO_COLOR: '1', TERM: 'xterm-256color' })).toBe(0);
    expect(colorLevel(true, { NO_COLOR: 'yes' })).toBe(0);
    expect(colorLevel(true, { NO_COLOR: '', TERM: 'xterm' })).toBeGreaterThan(0);
  });
  it('colours on a terminal otherwise, not on a dumb one nor with FORCE_COLOR=0', () => {
    expect(colorLevel(true, { TERM: 'xterm-256color' })).toBeGreaterThan(0);
    expect(colorLevel(true, { TERM: 'dumb' })).toBe(0);
    expect(colorLevel(true, { FORCE_COLOR: '0', TERM: 'xterm' })).toBe(0);
  });
});

describe('WatchAggregator', () => {
  const tcp = (src: string, dst: string, dport: number, state: number): Flow => ({
    family: 2,
    orig: { family: 2, src, dst, protonum: 6, srcPort: 1000, dstPort: dport },
    tcp: { state },
    status: 0x0e,
  });
  it('counts by source, destination, proto/dport and state, most first, ties by key', () => {
    const agg = new WatchAggregator();
    agg.add(tcp('10.0.0.1', '10.0.0.9', 443, 3));
    agg.add(tcp('10.0.0.1', '10.0.0.8', 443, 3));
    agg.add(tcp('10.0.0.2', '10.0.0.9', 80, 1));
    agg.add({ family: 2, orig: { family: 2, src: '10.0.0.3', dst: '10.0.0.9', protonum: 1, icmpType: 8 }, status: 0 });
    agg.add({ family: 2, orig: { family: 2, src: '10.0.0.3', dst: '10.0.0.9', protonum: 17, srcPort: 5, dstPort: 53 }, status: 0x6 }, 10);
    const t = agg.top(10);
    expect(t.sources).toEqual([
      { key: '10.0.0.3', count: 11 },
      { key: '10.0.0.1', count: 2 },
      { key: '10.0.0.2', count: 1 },
    ]);
    expect(t.destinations[0]).toEqual({ key: '10.0.0.9', count: 13 });
    expect(t.ports).toEqual([
      { key: 'udp/53', count: 10 },
      { key: 'tcp/443', count: 2 },
      { key: 'tcp/80', count: 1 },
    ]);
    expect(t.states).toEqual([
      { key: 'udp ASSURED', count: 10 },
      { key: 'tcp ESTABLISHED', count: 2 },
      { key: 'icmp UNREPLIED', count: 1 },
      { key: 'tcp SYN_SENT', count: 1 },
    ]);
    expect(agg.top(1).sources).toHaveLength(1);
  });
  it('bounds the keys it keeps', () => {
    const agg = new WatchAggregator(3);
    for (let i = 0; i < 10; i++) agg.add(tcp(`10.0.0.${i}`, '10.0.0.100', 80, 3));
    const t = agg.top(10);
    expect(t.sources).toHaveLength(4);
    // what did not fit is counted, and listed after the real keys
    expect(t.sources[3]).toEqual({ key: '(other)', count: 7 });
    expect(agg.top(2).sources.map((e) => e.key)).toEqual(['10.0.0.0', '10.0.0.1']);
  });
  it('names states the way conntrack does', () => {
    expect(flowStateKey({ family: 2, orig: { family: 2, protonum: 132 }, sctp: { state: 4 } })).toBe('sctp ESTABLISHED');
    expect(flowStateKey({ family: 2, orig: { family: 2, protonum: 17 }, status: 0x2 })).toBe('udp REPLIED');
    expect(flowStateKey({ family: 2, orig: { family: 2, protonum: 47 }, status: 0 })).toBe('gre UNREPLIED');
  });
});
