// The screen of `conntrack --watch`, as a pure function of one snapshot and the terminal size: no I/O, no
// timers, so it is tested without a terminal. Colour is a chalk level chosen by the caller (0: plain text);
// see colorLevel() for when colour is used at all.

import { Chalk, ChalkInstance, supportsColor } from 'chalk';

export interface TopEntry {
  key: string;
  count: number;
}

export interface WatchSnapshot {
  /** nf_conntrack_count (this network namespace), when known */
  count?: number;
  /** nf_conntrack_max (global), when known */
  max?: number;
  /** events per second over the last interval; undefined before the first interval or without events */
  newPerSec?: number;
  destroyPerSec?: number;
  /** why the event rates are not shown (the event socket could not be opened), if they are not */
  eventsNote?: string;
  /** events were lost in the interval (the receiver overran): the rates are lower bounds */
  eventsLost?: boolean;
  /** entries seen by the last dump */
  scanned: number;
  /** the dump decoded one entry in `sampleEvery` (a large table): the top counts are estimates */
  sampleEvery?: number;
  /** when the snapshot was taken (printed in UTC) */
  time: Date;
  sources: TopEntry[];
  destinations: TopEntry[];
  ports: TopEntry[];
  states: TopEntry[];
}

export interface ScreenOptions {
  width: number;
  height: number;
  /** chalk colour level: 0 (none) to 3 */
  colorLevel: 0 | 1 | 2 | 3;
  /** the "q: quit" hint (only when keys are read) */
  keysHint?: boolean;
}

/** Fill ratio from which the table gauge turns yellow, and red. */
export const FILL_WARN = 0.75;
export const FILL_CRITICAL = 0.9;

/**
 * Whether and how much to colour: never when stdout is not a terminal, never when NO_COLOR is set to anything
 * non-empty (no-color.org); otherwise what chalk's supports-color finds for the terminal (which honours
 * FORCE_COLOR and TERM), at least basic colours on a terminal it cannot identify.
 */
export function colorLevel(isTTY: boolean, env: NodeJS.ProcessEnv = process.env): 0 | 1 | 2 | 3 {
  if (!isTTY) return 0;
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return 0;
  if (env.FORCE_COLOR === '0' || env.FORCE_COLOR === 'false') return 0;
  if (env.TERM === 'dumb') return 0;
  const level = supportsColor ? supportsColor.level : 0;
  return (level > 0 ? level : 1) as 1 | 2 | 3;
}

type Style = 'title' | 'dim' | 'label' | 'ok' | 'warn' | 'crit' | 'head' | 'key' | 'num' | 'plain';

interface Segment {
  text: string;
  style: Style;
}
type Line = Segment[];

const seg = (text: string, style: Style = 'plain'): Segment => ({ text, style });

function paint(chalk: ChalkInstance, s: Segment): string {
  switch (s.style) {
    case 'title':
      return chalk.bold.cyan(s.text);
    case 'dim':
      return chalk.dim(s.text);
    case 'label':
      return chalk.bold(s.text);
    case 'ok':
      return chalk.green(s.text);
    case 'warn':
      return chalk.yellow.bold(s.text);
    case 'crit':
      return chalk.red.bold(s.text);
    case 'head':
      return chalk.bold.underline(s.text);
    case 'key':
      return chalk.white(s.text);
    case 'num':
      return chalk.cyan(s.text);
    default:
      return s.text;
  }
}

/** The segments cut to `width` characters (the screen holds ASCII and addresses only: one column each). */
function truncate(line: Line, width: number): Line {
  const out: Line = [];
  let room = width;
  for (const s of line) {
    if (room <= 0) break;
    if (s.text.length <= room) {
      out.push(s);
      room -= s.text.length;
    } else {
      out.push({ text: s.text.slice(0, room), style: s.style });
      room = 0;
    }
  }
  return out;
}

const lineLength = (line: Line): number => line.reduce((n, s) => n + s.text.length, 0);

function fmtRate(r: number | undefined): string {
  if (r === undefined) return '-';
  return r >= 100 ? String(Math.round(r)) : r.toFixed(1);
}

function pad2(n: number): string {
  return String(n).padStart(2, '0');
}

function utcTime(d: Date): string {
  return `${d.getUTCFullYear()}-${pad2(d.getUTCMonth() + 1)}-${pad2(d.getUTCDate())} ${pad2(d.getUTCHours())}:${pad2(d.getUTCMinutes())}:${pad2(d.getUTCSeconds())} UTC`;
}

/** "Table" line: the gauge and count / max (percent). */
function tableLine(snap: WatchSnapshot, width: number): Line {
  const label = seg('Table   ', 'label');
  if (snap.count === undefined) return [label, seg('entries unknown', 'dim')];
  const max = snap.max;
  const ratio = max && max > 0 ? Math.min(1, snap.count / max) : undefined;
  const numbers = max !== undefined ? `${snap.count} / ${max}` : `${snap.count} / ?`;
  // the gauge stops at full; the percentage does not (the count of a namespace can pass a lowered max)
  const pct = ratio !== undefined ? `  ${((snap.count / max!) * 100).toFixed(1)}%` : '';
  const style: Style = ratio === undefined ? 'plain' : ratio >= FILL_CRITICAL ? 'crit' : ratio >= FILL_WARN ? 'warn' : 'ok';
  const line: Line = [label];
  // the gauge takes what is left after the numbers, between 10 and 40 columns
  const gaugeWidth = Math.min(40, width - 8 - 3 - numbers.length - pct.length - (ratio !== undefined && ratio >= FILL_WARN ? 14 : 0));
  if (ratio !== undefined && gaugeWidth >= 10) {
    const filled = Math.round(ratio * gaugeWidth);
    line.push(seg('['), seg('#'.repeat(filled), style), seg('.'.repeat(gaugeWidth - filled), 'dim'), seg('] '));
  }
  line.push(seg(numbers, style), seg(pct, style));
  if (ratio !== undefined && ratio >= FILL_CRITICAL) line.push(seg('  TABLE NEARLY FULL', 'crit'));
  else if (ratio !== undefined && ratio >= FILL_WARN) line.push(seg('  filling up', 'warn'));
  return line;
}

function eventsLine(snap: WatchSnapshot): Line {
  const line: Line = [seg('Events  ', 'label')];
  if (snap.eventsNote) return [...line, seg(snap.eventsNote, 'dim')];
  line.push(seg('NEW '), seg(`${fmtRate(snap.newPerSec)}/s`, 'num'), seg('   DESTROY '), seg(`${fmtRate(snap.destroyPerSec)}/s`, 'num'));
  if (snap.eventsLost) line.push(seg('   (events lost: rates are lower bounds)', 'warn'));
  return line;
}

interface Section {
  title: string;
  head: string;
  entries: TopEntry[];
}

/** One section as lines of exactly `width` characters (padded), `rows` entries at most. */
function sectionLines(sec: Section, width: number, rows: number, numWidth: number): Line[] {
  const out: Line[] = [
    truncate([seg(sec.title, 'head')], width),
    truncate([seg(`${'count'.padStart(numWidth)}  ${sec.head}`, 'dim')], width),
  ];
  if (sec.entries.length === 0) out.push([seg('(none)', 'dim')]);
  for (const e of sec.entries.slice(0, rows)) {
    out.push(truncate([seg(String(e.count).padStart(numWidth), 'num'), seg('  '), seg(e.key, 'key')], width));
  }
  return out;
}

/**
 * The whole screen: at most `height` lines of at most `width` characters, joined with "\n" (no trailing
 * newline). Escape codes appear only when colorLevel > 0.
 */
export function renderWatchScreen(snap: WatchSnapshot, opts: ScreenOptions): string {
  const width = Math.max(1, Math.floor(opts.width));
  const height = Math.max(1, Math.floor(opts.height));
  const chalk = new Chalk({ level: opts.colorLevel });

  const title: Line = [seg('conntrack --watch', 'title'), seg(`  ${utcTime(snap.time)}`, 'dim')];
  if (opts.keysHint) {
    const hint = 'q: quit';
    const gap = width - lineLength(title) - hint.length;
    if (gap >= 2) title.push(seg(' '.repeat(gap)), seg(hint, 'dim'));
  }
  const scanned: Line = [seg('Scanned ', 'label'), seg(`${snap.scanned} entries`)];
  if (snap.sampleEvery && snap.sampleEvery > 1) scanned.push(seg(`  (sampled 1 in ${snap.sampleEvery}: top counts are estimates)`, 'dim'));
  const header: Line[] = [title, tableLine(snap, width), eventsLine(snap), scanned, []];

  const sections: Section[] = [
    { title: 'Top sources', head: 'source', entries: snap.sources },
    { title: 'Top destinations', head: 'destination', entries: snap.destinations },
    { title: 'Top ports', head: 'proto/dport', entries: snap.ports },
    { title: 'Top states', head: 'state', entries: snap.states },
  ];
  const maxCount = Math.max(1, ...sections.flatMap((s) => s.entries.map((e) => e.count)));
  const numWidth = Math.max(5, String(maxCount).length);

  // as many sections side by side as fit with 26 columns each (4, 2 or 1 per band)
  const MIN_COL = 26;
  const GAP = 2;
  let perBand = 4;
  while (perBand > 1 && perBand * MIN_COL + (perBand - 1) * GAP > width) perBand = perBand === 4 ? 2 : 1;
  const bands = Math.ceil(sections.length / perBand);
  const colWidth = Math.floor((width - (perBand - 1) * GAP) / perBand);
  // rows left for entries: the header, then per band a title, a column head and a blank line between bands
  const free = height - header.length - bands * 2 - (bands - 1);
  const rows = Math.max(0, Math.floor(free / bands));

  const lines: Line[] = [...header];
  for (let b = 0; b < bands; b++) {
    if (b > 0) lines.push([]);
    const cols = sections.slice(b * perBand, (b + 1) * perBand).map((s) => sectionLines(s, colWidth, rows, numWidth));
    const depth = Math.max(...cols.map((c) => c.length));
    for (let r = 0; r < depth; r++) {
      const line: Line = [];
      cols.forEach((c, i) => {
        const cell = c[r] ?? [];
        const last = i === cols.length - 1;
        line.push(...cell);
        if (!last) line.push(seg(' '.repeat(colWidth - lineLength(cell) + GAP)));
      });
      lines.push(line);
    }
  }

  return lines
    .slice(0, height)
    .map((l) =>
      truncate(l, width)
        .map((s) => (opts.colorLevel > 0 && s.text !== '' ? paint(chalk, s) : s.text))
        .join('')
        .replace(/ +$/, ''),
    )
    .join('\n');
}
