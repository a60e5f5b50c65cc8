// A fast path for the -I / -A lines of a -R file. A saved table is the same few line shapes over and over
// (`-A -t 431999 -u ASSURED -s A -d B -r C -q D -p tcp --sport P ...`): only the addresses, ports, timeout
// and mark change from line to line. The first lines of each shape go through the full parser, and the shape
// is trusted once the entry built here from the words equals, byte for byte, the entry the parser built. Later
// lines of that shape skip the parser: the shape's encoded attributes are copied and the line's values written
// into them at the places found by encoding the entry once more with each value changed.
//
// What counts as a value slot is narrow on purpose: canonical dotted quads and plain decimal numbers, which
// conntrack's parser takes as they are. Everything else a line may say (the protocol, the TCP state, the
// status list, zones) is part of the shape, so the parser has seen it. A line with anything unusual (another
// option, an option twice, quotes, tabs, an odd spacing, a value the slot does not take) is simply not fast.

import { AF, PORT_PROTOCOLS } from '../ctnetlink/constants.js';
import type { TupleSpec } from '../ctnetlink/encode.js';
import type { EntrySpec } from '../ctnetlink/template.js';
import { NlWriter, writeCreate, writeIdentity } from '../ctnetlink/requests.js';
import { inverse } from './create.js';

/** The protocol handler a line leaves in conntrack's globals (the command line's own type): compared, never used. */
export type LineHandler = object;

/** Where a slot's value goes in the entry. */
const SLOT = {
  ORIG_SRC: 0, // -s
  ORIG_DST: 1, // -d
  REPLY_SRC: 2, // -r
  REPLY_DST: 3, // -q
  ORIG_SPORT: 4, // --sport
  ORIG_DPORT: 5, // --dport
  REPLY_SPORT: 6, // --reply-port-src
  REPLY_DPORT: 7, // --reply-port-dst
  TIMEOUT: 8, // -t
  MARK: 9, // -m
} as const;
const SLOT_COUNT = 10;

/** The option words whose value is a slot, as `-o save` and people write them. */
const SLOT_WORDS: ReadonlyMap<string, number> = new Map([
  ['-s', SLOT.ORIG_SRC],
  ['-d', SLOT.ORIG_DST],
  ['-r', SLOT.REPLY_SRC],
  ['-q', SLOT.REPLY_DST],
  ['--sport', SLOT.ORIG_SPORT],
  ['--dport', SLOT.ORIG_DPORT],
  ['--reply-port-src', SLOT.REPLY_SPORT],
  ['--reply-port-dst', SLOT.REPLY_DPORT],
  ['-t', SLOT.TIMEOUT],
  ['-m', SLOT.MARK],
]);

/** The option words whose value is part of the shape (each takes exactly one argument). */
const KEY_WORDS: ReadonlyMap<string, number> = new Map([
  ['-p', 0],
  ['--state', 1],
  ['-u', 2],
  ['-w', 3],
  ['--orig-zone', 4],
  ['--reply-zone', 5],
]);

/** How many lines of a shape the full parser checks before the shape is trusted. */
const LINES_TO_CHECK = 2;
/** Past this many distinct shapes, new ones are parsed fully (a file of one-off lines gains nothing here). */
const MAX_SHAPES = 4096;

/** Each slot's width in bytes as encoded (big-endian), and the mask that changes every bit of it. */
const SLOT_WIDTH = [4, 4, 4, 4, 2, 2, 2, 2, 4, 4];
const SLOT_FLIP = SLOT_WIDTH.map((w) => (w === 4 ? 0xffffffff : 0xffff));

/** s[start, end) as a dotted quad, if every part is a plain 0..255 without leading zeros; else -1. */
function quad(s: string, start: number, end: number): number {
  let v = 0;
  let part = -1;
  let digits = 0;
  let dots = 0;
  for (let i = start; i < end; i++) {
    const c = s.charCodeAt(i);
    if (c >= 48 && c <= 57) {
      if (digits > 0 && part === 0) return -1; // a leading zero: inet_aton would read octal
      part = digits === 0 ? c - 48 : part * 10 + (c - 48);
      if (++digits > 3 || part > 255) return -1;
    } else if (c === 46) {
      if (digits === 0 || ++dots > 3) return -1;
      v = v * 256 + part;
      digits = 0;
      part = -1;
    } else return -1;
  }
  if (digits === 0 || dots !== 3) return -1;
  return v * 256 + part;
}

/** s[start, end) as a plain decimal number up to max without leading zeros; else -1. */
function decimal(s: string, start: number, end: number, max: number): number {
  const n = end - start;
  if (n === 0 || n > 10 || (n > 1 && s.charCodeAt(start) === 48)) return -1;
  let v = 0;
  for (let i = start; i < end; i++) {
    const c = s.charCodeAt(i) - 48;
    if (c < 0 || c > 9) return -1;
    v = v * 10 + c;
  }
  return v <= max ? v : -1;
}

const U32_MAX = 0xffffffff;

/** A slot's value in s[start, end), or -1 when the slot does not take it. */
function slotValue(slot: number, s: string, start: number, end: number): number {
  if (slot <= SLOT.REPLY_DST) return quad(s, start, end);
  return decimal(s, start, end, slot <= SLOT.REPLY_DPORT ? 0xffff : U32_MAX);
}

/** A line taken apart by words: its literal text between the values, which slot each value fills, the values. */
export interface SplitLine {
  command: '-I' | '-A';
  /** the text around the values: segments[k] comes before value k, the last one after the last value */
  segments: string[];
  /** the slot of each value, in line order */
  order: number[];
  /** IPv4 addresses as u32, ports, timeout, mark; NaN where the slot is absent */
  slots: Float64Array;
}

/** The shape's identity: its literal text with the places of the values (no line contains a newline). */
function keyOf(segments: string[]): string {
  return segments.join('\n');
}

/**
 * The words of a line (without its leading blanks and newline), or undefined when the line is not a plain
 * -I / -A line this path reads.
 */
export function splitLine(text: string): SplitLine | undefined {
  if (text.indexOf('"') >= 0 || text.indexOf('\t') >= 0 || text.indexOf('\n') >= 0) return undefined;
  const words = text.split(' ');
  const command = words[0];
  if ((command !== '-I' && command !== '-A') || words.length % 2 === 0) return undefined;
  const slots = new Float64Array(SLOT_COUNT).fill(Number.NaN);
  const segments: string[] = [];
  const order: number[] = [];
  let literal = command;
  let seenKeys = 0;
  for (let i = 1; i < words.length; i += 2) {
    const word = words[i];
    const value = words[i + 1];
    const slot = SLOT_WORDS.get(word);
    if (slot !== undefined) {
      if (!Number.isNaN(slots[slot])) return undefined;
      const v = slotValue(slot, value, 0, value.length);
      if (v < 0) return undefined;
      slots[slot] = v;
      segments.push(literal + ' ' + word + ' ');
      order.push(slot);
      literal = '';
      continue;
    }
    const k = KEY_WORDS.get(word);
    if (k === undefined || seenKeys & (1 << k) || value === '' || value[0] === '-') return undefined;
    seenKeys |= 1 << k;
    literal += ' ' + word + ' ' + value;
  }
  // without -p the line is checked by the handler of an earlier line (conntrack keeps it in a global)
  if (!(seenKeys & 1)) return undefined;
  segments.push(literal);
  return { command, segments, order, slots };
}

/**
 * Whether the line is of the shape: the same text around its values, and values its slots take (written into
 * slots). The same answer as splitLine() giving the shape's segments, without taking the line apart.
 */
function matches(line: string, start: number, end: number, shape: Shape, slots: Float64Array): boolean {
  const { segments, order } = shape;
  let pos = start;
  for (let k = 0; k < order.length; k++) {
    const seg = segments[k];
    if (!line.startsWith(seg, pos)) return false;
    pos += seg.length;
    let e = line.indexOf(' ', pos);
    if (e < 0 || e > end) e = end;
    const v = slotValue(order[k], line, pos, e);
    if (v < 0) return false;
    slots[order[k]] = v;
    pos = e;
  }
  const last = segments[order.length];
  return pos + last.length === end && line.startsWith(last, pos);
}

function addrBytes(v: number): Uint8Array {
  return Uint8Array.of(v >>> 24, (v >>> 16) & 0xff, (v >>> 8) & 0xff, v & 0xff);
}

/** What the parser made of a shape's lines: the entry to copy, and what conntrack's globals keep. */
interface Shape {
  command: '-I' | '-A';
  segments: string[];
  order: number[];
  /** lines the parser has confirmed; the shape is trusted at LINES_TO_CHECK */
  checked: number;
  /** a mismatch was found: this shape always goes through the parser */
  slow: boolean;
  base: EntrySpec;
  family: number;
  handler?: LineHandler;
  patches?: Patches;
}

/** The entry a line of a shape describes: the parsed entry with the line's values in it. */
function entryOf(base: EntrySpec, s: Float64Array): EntrySpec | undefined {
  const o = base.orig;
  if (!o || o.l3 !== AF.INET || Number.isNaN(s[SLOT.ORIG_SRC]) || Number.isNaN(s[SLOT.ORIG_DST])) return undefined;
  const ported = o.protonum !== undefined && PORT_PROTOCOLS.has(o.protonum);
  const hasPorts =
    !Number.isNaN(s[SLOT.ORIG_SPORT]) ||
    !Number.isNaN(s[SLOT.ORIG_DPORT]) ||
    !Number.isNaN(s[SLOT.REPLY_SPORT]) ||
    !Number.isNaN(s[SLOT.REPLY_DPORT]);
  if (hasPorts && !ported) return undefined;
  const orig: TupleSpec = {
    ...o,
    src: addrBytes(s[SLOT.ORIG_SRC]),
    dst: addrBytes(s[SLOT.ORIG_DST]),
    srcPort: Number.isNaN(s[SLOT.ORIG_SPORT]) ? o.srcPort : s[SLOT.ORIG_SPORT],
    dstPort: Number.isNaN(s[SLOT.ORIG_DPORT]) ? o.dstPort : s[SLOT.ORIG_DPORT],
  };
  const hasReplySrc = !Number.isNaN(s[SLOT.REPLY_SRC]);
  const hasReplyDst = !Number.isNaN(s[SLOT.REPLY_DST]);
  let reply: TupleSpec;
  if (!hasReplySrc && !hasReplyDst) {
    // no reply tuple given: conntrack derives it from the original one (SETUP_REPLY)
    if (Number.isNaN(s[SLOT.REPLY_SPORT]) && Number.isNaN(s[SLOT.REPLY_DPORT])) reply = inverse(orig, base.reply?.zone);
    else return undefined;
  } else if (hasReplySrc && hasReplyDst && base.reply) {
    const r = base.reply;
    if (r.l3 !== AF.INET) return undefined;
    reply = {
      ...r,
      src: addrBytes(s[SLOT.REPLY_SRC]),
      dst: addrBytes(s[SLOT.REPLY_DST]),
      srcPort: Number.isNaN(s[SLOT.REPLY_SPORT]) ? r.srcPort : s[SLOT.REPLY_SPORT],
      dstPort: Number.isNaN(s[SLOT.REPLY_DPORT]) ? r.dstPort : s[SLOT.REPLY_DPORT],
    };
  } else return undefined;
  return {
    ...base,
    orig,
    reply,
    timeout: Number.isNaN(s[SLOT.TIMEOUT]) ? base.timeout : s[SLOT.TIMEOUT],
    mark: Number.isNaN(s[SLOT.MARK]) ? base.mark : s[SLOT.MARK],
  };
}

/**
 * Writes a -I / -A line: its IPCTNL_MSG_CT_NEW into messages (flags and sequence number are filled in when it
 * is sent), and into undo the attributes of the IPCTNL_MSG_CT_DELETE that removes the entry again.
 */
export function writeLine(messages: NlWriter, undo: NlWriter, e: EntrySpec, family: number): void {
  writeCreate(messages, family, e);
  writeIdentity(undo, e);
}

/** A line's message and undo attributes, end to end, with these slot values; undefined if not of the shape. */
function encodeWith(base: EntrySpec, family: number, slots: Float64Array): { bytes: Uint8Array; undoAt: number } | undefined {
  const e = entryOf(base, slots);
  if (!e) return undefined;
  const m = new NlWriter(1 << 10);
  const u = new NlWriter(1 << 8);
  writeLine(m, u, e, family);
  const bytes = new Uint8Array(m.pos + u.pos);
  bytes.set(m.buf.subarray(0, m.pos));
  bytes.set(u.buf.subarray(0, u.pos), m.pos);
  return { bytes, undoAt: m.pos };
}

/** A trusted shape's encoding: the message and undo attributes to copy, and where each slot value goes. */
interface Patches {
  message: Uint8Array;
  undo: Uint8Array;
  /** positions in message, then (from message.length on) in undo */
  pos: Int32Array;
  slot: Uint8Array;
  shift: Uint8Array;
}

/**
 * Where each slot's value lands: the bytes that change when only that slot's value changes in every bit.
 * Undefined when a change moves anything else (the encoding would not be a fixed layout).
 */
function findPatches(base: EntrySpec, family: number, slots: Float64Array): Patches | undefined {
  const enc = encodeWith(base, family, slots);
  if (!enc) return undefined;
  const pos: number[] = [];
  const slot: number[] = [];
  const shift: number[] = [];
  for (let i = 0; i < SLOT_COUNT; i++) {
    if (Number.isNaN(slots[i])) continue;
    const flipped = Float64Array.from(slots);
    flipped[i] = (slots[i] ^ SLOT_FLIP[i]) >>> 0;
    const other = encodeWith(base, family, flipped);
    if (!other || other.bytes.length !== enc.bytes.length || other.undoAt !== enc.undoAt) return undefined;
    const width = SLOT_WIDTH[i];
    let run = 0;
    for (let p = 0; p < enc.bytes.length; p++) {
      if (enc.bytes[p] === other.bytes[p]) {
        if (run % width !== 0) return undefined;
        run = 0;
        continue;
      }
      pos.push(p);
      slot.push(i);
      shift.push(8 * (width - 1 - (run % width)));
      run++;
    }
    if (run % width !== 0) return undefined;
  }
  return {
    message: enc.bytes.slice(0, enc.undoAt),
    undo: enc.bytes.slice(enc.undoAt),
    pos: Int32Array.from(pos),
    slot: Uint8Array.from(slot),
    shift: Uint8Array.from(shift),
  };
}

/** Copies the shape's message and undo attributes with the line's values in them. */
function writePatched(messages: NlWriter, undo: NlWriter, p: Patches, slots: Float64Array): void {
  const m0 = messages.pos;
  const u0 = undo.pos - p.message.length;
  messages.raw(p.message);
  undo.raw(p.undo);
  const mb = messages.buf;
  const ub = undo.buf;
  const { pos, slot, shift } = p;
  const split = p.message.length;
  for (let k = 0; k < pos.length; k++) {
    const byte = (slots[slot[k]] >>> shift[k]) & 0xff;
    if (pos[k] < split) mb[m0 + pos[k]] = byte;
    else ub[u0 + pos[k]] = byte;
  }
}

/** What the parse of a line of a trusted shape gives: its command, family, and the handler it leaves. */
export interface ShapeResult {
  command: '-I' | '-A';
  family: number;
  handler?: LineHandler;
}

/** How many trusted shapes are tried, most recent first, before a line is taken apart word by word. */
const RECENT = 8;

/** The shapes of one -R file. */
export class LineShapes {
  private readonly shapes = new Map<string, Shape>();
  /** trusted shapes, the one that matched last first */
  private readonly recent: Shape[] = [];
  private readonly slots = new Float64Array(SLOT_COUNT);
  private readonly scratch = new NlWriter(1 << 12);
  private readonly scratchUndo = new NlWriter(1 << 8);
  /** the last line write() did not write, taken apart for learn() */
  private unwritten?: SplitLine;

  /**
   * Writes the line text[start, end) (leading blanks skipped, a newline at its end allowed) into messages and
   * undo if it is of a trusted shape, and says what its parse would have given.
   */
  write(text: string, start: number, end: number, messages: NlWriter, undo: NlWriter): ShapeResult | undefined {
    this.unwritten = undefined;
    const textEnd = text.charCodeAt(end - 1) === 10 ? end - 1 : end;
    for (let i = 0; i < this.recent.length; i++) {
      const shape = this.recent[i];
      if (!matches(text, start, textEnd, shape, this.slots)) continue;
      if (i > 0) {
        this.recent.splice(i, 1);
        this.recent.unshift(shape);
      }
      writePatched(messages, undo, shape.patches!, this.slots);
      return shape;
    }
    const split = splitLine(text.slice(start, textEnd));
    if (!split) return undefined;
    const shape = this.shapes.get(keyOf(split.segments));
    if (shape?.patches) {
      this.trust(shape);
      writePatched(messages, undo, shape.patches, split.slots);
      return shape;
    }
    this.unwritten = split;
    return undefined;
  }

  private trust(shape: Shape): void {
    this.recent.unshift(shape);
    if (this.recent.length > RECENT) this.recent.pop();
  }

  /**
   * Tells the shapes what the full parser made of the line write() last declined: its entry, family and
   * handler, and the message and undo attributes it was written as. The shape is trusted once LINES_TO_CHECK
   * of its lines come out the same here.
   */
  learn(parsed: EntrySpec, family: number, handler: LineHandler | undefined, message: Uint8Array, undo: Uint8Array): void {
    const line = this.unwritten;
    if (!line) return;
    const key = keyOf(line.segments);
    let shape = this.shapes.get(key);
    if (!shape) {
      if (this.shapes.size >= MAX_SHAPES) return;
      shape = { command: line.command, segments: line.segments, order: line.order, checked: 0, slow: false, base: parsed, family, handler };
      this.shapes.set(key, shape);
    }
    if (shape.slow || shape.patches) return;
    const patches = shape.family === family && shape.handler === handler ? findPatches(shape.base, family, line.slots) : undefined;
    if (!patches) {
      shape.slow = true;
      return;
    }
    const m = this.scratch;
    const u = this.scratchUndo;
    m.pos = 0;
    u.pos = 0;
    writePatched(m, u, patches, line.slots);
    if (Buffer.compare(m.buf.subarray(0, m.pos), message) !== 0 || Buffer.compare(u.buf.subarray(0, u.pos), undo) !== 0) shape.slow = true;
    else if (++shape.checked >= LINES_TO_CHECK) {
      shape.patches = patches;
      this.trust(shape);
    }
  }
}
