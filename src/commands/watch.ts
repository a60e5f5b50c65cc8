// --watch: a live view of the conntrack table (our addition; conntrack has no such command).
//
// Every second: the table fill (nf_conntrack_count / nf_conntrack_max), NEW and DESTROY events per second,
// and the top sources, destinations, destination ports and states from a dump of the table. The events come
// from an EventStream, the receiver process -E uses (ctnetlink/event-stream.ts), subscribed to the NEW and
// DESTROY groups only, and are only counted, not decoded.
//
// The dump decodes at most MAX_DECODED entries per refresh: a larger table is sampled evenly (one entry in N,
// counted N times, and the screen says so), and the memory is bounded by the distinct keys (MAX_KEYS per list).
// A refresh comes every second, or, when the dump itself takes longer, after a pause as long as the dump.
//
// On a terminal: the alternate screen, no cursor, stdin in raw mode; q (or Ctrl-C, or SIGINT/SIGTERM) leaves,
// and the terminal is restored on every way out (q, a signal, an error, and, as a last resort, process exit).
// When stdout is not a terminal: one plain snapshot, with the event rates measured over one second, is
// printed without escape codes, and the command exits 0.

import { readFileSync } from 'node:fs';
import { writeText } from '../format/sink.js';
import { IPPROTO, IPS, PORT_PROTOCOLS } from '../ctnetlink/constants.js';
import { FlowDecoder } from '../ctnetlink/decode.js';
import { errnoText, EventSource, flowEventKind } from '../ctnetlink/event-stream.js';
import type { Flow } from '../ctnetlink/model.js';
import type { CtClient } from '../ctnetlink/client.js';
import { DCCP_STATES, protoName, SCTP_STATES, stateName, TCP_STATES } from '../format/tables.js';
// the screen (and chalk) is loaded only when --watch runs: the other commands do not pay for it at start-up
import { KeyCounts } from '../format/tally.js';
import type { TopEntry, WatchSnapshot } from '../format/watch-screen.js';
import type { WatchRequest } from './request.js';
import type { CommandContext, CommandResult } from './context.js';
import type { EventProcess } from './events.js';

/** The refresh period. */
export const REFRESH_MS = 1000;
/** At most this many entries are decoded per refresh; a larger table is sampled evenly. */
export const MAX_DECODED = 100_000;
/**
 * Distinct keys kept per dimension; past this, new keys are counted under "(other)", which is listed after the
 * real keys. A dump decodes at most 2 * MAX_DECODED entries, so this is a safety net more than a limit.
 */
export const MAX_KEYS = 2 * MAX_DECODED;
/** Entries kept per top list (the screen shows what fits). */
const MAX_ROWS = 50;
/** Entries shown per top list when stdout is not a terminal. */
const PLAIN_ROWS = 10;

/** The state a flow is in, as shown in "Top states". */
export function flowStateKey(flow: Flow): string {
  const p = flow.orig?.protonum ?? -1;
  if (p === IPPROTO.TCP && flow.tcp?.state !== undefined) return `tcp ${stateName(TCP_STATES, flow.tcp.state)}`;
  if (p === IPPROTO.SCTP && flow.sctp?.state !== undefined) return `sctp ${stateName(SCTP_STATES, flow.sctp.state)}`;
  if (p === IPPROTO.DCCP && flow.dccp?.state !== undefined) return `dccp ${stateName(DCCP_STATES, flow.dccp.state)}`;
  // protocols without a state machine: what conntrack's flags say ([UNREPLIED], [ASSURED])
  const status = flow.status ?? 0;
  const name = p >= 0 ? protoName(p) : 'unknown';
  if (!(status & IPS.SEEN_REPLY)) return `${name} UNREPLIED`;
  return status & IPS.ASSURED ? `${name} ASSURED` : `${name} REPLIED`;
}

/** A top list: bounded by MAX_KEYS distinct keys, ties in key order, what overflowed last as "(other)". */
class TopList {
  private readonly counts: KeyCounts;
  constructor(maxKeys: number) {
    this.counts = new KeyCounts(maxKeys);
  }
  add(key: string, n: number): void {
    this.counts.add(key, n);
  }
  top(n: number): TopEntry[] {
    const all: TopEntry[] = [];
    for (const [key, count] of this.counts.sorted(true)) if (key !== KeyCounts.OTHER_KEY) all.push({ key, count });
    const other = this.counts.get(KeyCounts.OTHER_KEY);
    if (other !== undefined) all.push({ key: KeyCounts.OTHER_KEY, count: other });
    return all.slice(0, n);
  }
}

/** The top lists of one dump: by original source, original destination, protocol/destination port, state. */
export class WatchAggregator {
  private sources: TopList;
  private destinations: TopList;
  private ports: TopList;
  private states: TopList;
  constructor(maxKeys = MAX_KEYS) {
    this.sources = new TopList(maxKeys);
    this.destinations = new TopList(maxKeys);
    this.ports = new TopList(maxKeys);
    this.states = new TopList(maxKeys);
  }
  /** Counts a flow `weight` times (the sampling step of a sampled dump). */
  add(flow: Flow, weight = 1): void {
    const o = flow.orig;
    if (o?.src !== undefined) this.sources.add(o.src, weight);
    if (o?.dst !== undefined) this.destinations.add(o.dst, weight);
    if (o?.protonum !== undefined && PORT_PROTOCOLS.has(o.protonum) && o.dstPort !== undefined)
      this.ports.add(`${protoName(o.protonum)}/${o.dstPort}`, weight);
    this.states.add(flowStateKey(flow), weight);
  }
  top(n: number): Pick<WatchSnapshot, 'sources' | 'destinations' | 'ports' | 'states'> {
    return { sources: this.sources.top(n), destinations: this.destinations.top(n), ports: this.ports.top(n), states: this.states.top(n) };
  }
}

function readProcNumber(path: string): number | undefined {
  try {
    const n = Number(readFileSync(path, 'latin1').trim());
    return Number.isFinite(n) ? n : undefined;
  } catch {
    return undefined;
  }
}

/** NEW and DESTROY events counted from an EventStream (the receiver process -E uses), not decoded. */
class EventCounter {
  news = 0;
  destroys = 0;
  /** events were lost (an overrun) since the last take() */
  lost = false;
  /** why events are unavailable, once known */
  failure?: string;
  private readonly stream: EventSource;
  /** settles when the receiver has subscribed, failed to, or has not answered within two seconds */
  readonly ready: Promise<void>;

  constructor(client: CtClient) {
    let readyResolve!: () => void;
    const ready = new Promise<void>((resolve) => (readyResolve = resolve));
    let timeout: NodeJS.Timeout | undefined;
    const late = new Promise<void>((resolve) => (timeout = setTimeout(resolve, 2000)));
    this.ready = Promise.race([ready, late]).then(() => clearTimeout(timeout));
    this.stream = client.events(
      { table: 'conntrack', events: { new: true, update: false, destroy: true } },
      {
        message: (_buf, _off, _len, type, flags) => {
          const kind = flowEventKind(type, flags);
          if (kind === 'new') this.news++;
          else if (kind === 'destroy') this.destroys++;
        },
        ready: () => readyResolve(),
        loss: () => {
          this.lost = true;
        },
        failed: (_kind, errno) => {
          this.failure ??= `events unavailable (${errnoText(errno)})`;
          readyResolve();
        },
      },
    );
    this.stream.start();
  }

  stop(): void {
    this.stream.stop();
  }
}

/** What --watch needs from the terminal; the process's own by default. */
export interface WatchTerminal {
  /** stdout is a terminal */
  isTTY: boolean;
  size(): { columns: number; rows: number };
  write(s: string): void;
  /** raw keyboard input, when stdin is a terminal */
  keys?: {
    start(onKey: (data: Buffer) => void): void;
    stop(): void;
  };
  onResize(handler: () => void): () => void;
}

export function processTerminal(): WatchTerminal {
  const isTTY = process.stdout.isTTY === true;
  const stdin = process.stdin;
  let keyHandler: ((d: Buffer) => void) | undefined;
  return {
    isTTY,
    size: () => ({ columns: process.stdout.columns || 80, rows: process.stdout.rows || 24 }),
    write: (s) => writeText(1, s),
    keys:
      isTTY && stdin.isTTY
        ? {
            start(onKey) {
              keyHandler = onKey;
              stdin.setRawMode(true);
              stdin.on('data', onKey);
              stdin.resume();
            },
            stop() {
              if (keyHandler) stdin.off('data', keyHandler);
              keyHandler = undefined;
              try {
                stdin.setRawMode(false);
              } catch {
                // the terminal is gone
              }
              stdin.pause();
            },
          }
        : undefined,
    onResize(handler) {
      process.stdout.on('resize', handler);
      return () => process.stdout.off('resize', handler);
    },
  };
}

const ENTER = '\x1b[?1049h\x1b[?25l\x1b[H\x1b[2J';
const LEAVE = '\x1b[?25h\x1b[?1049l';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export async function watch(
  _req: WatchRequest,
  ctx: CommandContext,
  proc: EventProcess,
  term: WatchTerminal = processTerminal(),
): Promise<CommandResult> {
  const { colorLevel, renderWatchScreen } = await import('../format/watch-screen.js');
  const events = new EventCounter(ctx.client);
  const decoder = new FlowDecoder();
  let lastTick = Date.now();
  let lastNew = 0;
  let lastDestroy = 0;

  /** One snapshot: the counters, the rates since the previous one, a dump. */
  const snapshot = async (withRates: boolean): Promise<WatchSnapshot> => {
    let count = readProcNumber('/proc/sys/net/netfilter/nf_conntrack_count');
    let max = readProcNumber('/proc/sys/net/netfilter/nf_conntrack_max');
    if (count === undefined || max === undefined) {
      const g = await ctx.client.globalStats().catch(() => ({ entries: undefined, maxEntries: undefined }));
      count ??= g.entries;
      max ??= g.maxEntries;
    }
    const step = count !== undefined && count > MAX_DECODED ? Math.ceil(count / MAX_DECODED) : 1;
    const agg = new WatchAggregator();
    let scanned = 0;
    let decoded = 0;
    await ctx.client.dumpRaw({ threaded: 'auto' }, (buf, off, len) => {
      // the table may grow during the dump: past twice the budget, entries are only counted
      if (scanned++ % step !== 0 || decoded >= 2 * MAX_DECODED) return;
      decoded++;
      agg.add(decoder.decode(buf, off, len), step);
    });
    const now = Date.now();
    const secs = Math.max(0.001, (now - lastTick) / 1000);
    const snap: WatchSnapshot = { count, max, scanned, sampleEvery: step, time: new Date(now), ...agg.top(MAX_ROWS) };
    if (events.failure) snap.eventsNote = events.failure;
    else if (withRates) {
      snap.newPerSec = (events.news - lastNew) / secs;
      snap.destroyPerSec = (events.destroys - lastDestroy) / secs;
      snap.eventsLost = events.lost;
    }
    events.lost = false;
    lastTick = now;
    lastNew = events.news;
    lastDestroy = events.destroys;
    return snap;
  };

  if (!term.isTTY) {
    // one plain snapshot: the rates are measured over one second after the subscription
    try {
      await events.ready;
      lastTick = Date.now();
      await sleep(REFRESH_MS);
      const snap = await snapshot(true);
      const width = Number(process.env.COLUMNS) > 0 ? Number(process.env.COLUMNS) : 120;
      ctx.out.write(renderWatchScreen(snap, { width, height: 7 + PLAIN_ROWS, colorLevel: 0 }) + '\n');
      return { counter: 0 };
    } catch (e) {
      return { counter: 0, error: e };
    } finally {
      events.stop();
    }
  }

  const level = colorLevel(true);
  return new Promise<CommandResult>((resolve) => {
    let stopping = false;
    let restored = false;
    let timer: NodeJS.Timeout | undefined;
    let inFlight: Promise<unknown> = Promise.resolve();
    let last: WatchSnapshot | undefined;
    let offResize: (() => void) | undefined;

    const restore = (): void => {
      if (restored) return;
      restored = true;
      process.off('exit', restore);
      offResize?.();
      term.keys?.stop();
      try {
        term.write(LEAVE);
      } catch {
        // the terminal is gone
      }
    };

    const finish = (error?: unknown): void => {
      if (stopping) return;
      stopping = true;
      if (timer) clearTimeout(timer);
      events.stop();
      restore();
      // a dump still running uses the client that main closes once we return
      void inFlight.then(() => resolve(error === undefined ? { counter: 0 } : { counter: 0, error }));
    };

    const draw = (): void => {
      if (!last || stopping) return;
      const { columns, rows } = term.size();
      try {
        const screen = renderWatchScreen(last, { width: columns, height: rows, colorLevel: level, keysHint: term.keys !== undefined });
        // home, each line cleared to its end, the rest of the screen cleared
        term.write('\x1b[H' + screen.split('\n').join('\x1b[K\r\n') + '\x1b[K\x1b[J');
      } catch (e) {
        finish(e);
      }
    };

    const tick = (first: boolean): void => {
      if (stopping) return;
      const started = Date.now();
      const p = snapshot(!first).then(
        (snap) => {
          if (stopping) return;
          last = snap;
          draw();
          // every second; a table so large that its dump takes longer gets as long a pause (half a processor)
          const took = Date.now() - started;
          timer = setTimeout(() => tick(false), Math.max(REFRESH_MS - took, took));
        },
        (e: unknown) => finish(e),
      );
      inFlight = p;
    };

    process.once('exit', restore);
    try {
      term.write(ENTER);
    } catch (e) {
      finish(e);
      return;
    }
    term.keys?.start((data) => {
      // q, Q, Ctrl-C, Ctrl-D
      if (data.includes(0x71) || data.includes(0x51) || data.includes(0x03) || data.includes(0x04)) finish();
    });
    offResize = term.onResize(draw);
    proc.onStop(() => finish());
    void events.ready.then(() => {
      lastTick = Date.now();
      tick(true);
    });
  });
}
