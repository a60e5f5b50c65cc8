// The -R fast path against the full parser: for every line it writes, the message and the undo attributes must
// be the bytes the parser's entry encodes to; lines it must not read go to the parser.

import { describe, expect, it } from 'vitest';
import { parseArgs, ParseSession } from '../../src/cli/parse.js';
import type { ProtoHandler } from '../../src/cli/protocols/index.js';
import { entryFromTemplate } from '../../src/cli/resolve.js';
import { tokenizeLine } from '../../src/commands/load.js';
import { LineShapes, splitLine, writeLine } from '../../src/commands/load-shapes.js';
import { NlWriter } from '../../src/netlink/writer.js';

interface Written {
  message: Buffer;
  undo: Buffer;
  family: number;
  fast: boolean;
}

/** One line as load.ts takes it: the fast path when it writes the line, else the parser (and learn). */
function feed(shapes: LineShapes, session: ParseSession, line: string): Written {
  const m = new NlWriter();
  const u = new NlWriter();
  const fast = shapes.write(line, 0, line.length, m, u);
  if (fast) {
    session.handler = fast.handler as ProtoHandler | undefined;
    return { message: m.take(), undo: u.take(), family: fast.family, fast: true };
  }
  const cmd = parseArgs(tokenizeLine(line, 'conntrack'), { session });
  const e = entryFromTemplate(cmd);
  writeLine(m, u, e, cmd.family);
  const message = m.take();
  const undo = u.take();
  shapes.learn(e, cmd.family, cmd.handler, message, undo);
  return { message, undo, family: cmd.family, fast: false };
}

function load(lines: string[], shapes = new LineShapes(), session = new ParseSession()): Written[] {
  return lines.map((line) => feed(shapes, session, line));
}

/** The parser's bytes for each line on its own. */
function parsed(line: string): Written {
  const cmd = parseArgs(tokenizeLine(line, 'conntrack'), { session: new ParseSession() });
  const m = new NlWriter();
  const u = new NlWriter();
  writeLine(m, u, entryFromTemplate(cmd), cmd.family);
  return { message: m.take(), undo: u.take(), family: cmd.family, fast: false };
}

let seed = 7;
const rnd = (n: number): number => {
  seed = (seed * 1103515245 + 12345) >>> 0;
  return seed % n;
};
const ip = (): string => `${rnd(256)}.${rnd(256)}.${rnd(256)}.${rnd(256)}`;
const EDGE_PORTS = ['0', '1', '65535', '1024'];
const EDGE_U32 = ['0', '1', '4294967295', '2147483648'];
const port = (): string => (rnd(4) === 0 ? EDGE_PORTS[rnd(4)] : String(rnd(65536)));
const u32 = (): string => (rnd(4) === 0 ? EDGE_U32[rnd(4)] : String(rnd(4294967296)));

/** Line shapes as `-o save` writes them and as people write them. */
const SHAPES: Array<() => string> = [
  () => `-I -s ${ip()} -d ${ip()} -p tcp --sport ${port()} --dport ${port()} --state ESTABLISHED -t ${u32()} -m ${u32()}`,
  () => `-I -s ${ip()} -d ${ip()} -p udp --sport ${port()} --dport ${port()} -t ${u32()}`,
  () =>
    `-A -t ${u32()} -u SEEN_REPLY,ASSURED -s ${ip()} -d ${ip()} -r ${ip()} -q ${ip()} -p tcp --sport ${port()} --dport ${port()} --reply-port-src ${port()} --reply-port-dst ${port()} --state TIME_WAIT`,
  () =>
    `-A -t ${u32()} -u ASSURED -s ${ip()} -d ${ip()} -r ${ip()} -q ${ip()} -p udp --sport ${port()} --dport ${port()} --reply-port-src ${port()} --reply-port-dst ${port()} -m ${u32()}`,
  () => `-I -s ${ip()} -d ${ip()} -p udp --sport ${port()} --dport ${port()} -t ${u32()} -w 7`,
  () => `-I -s ${ip()} -d ${ip()} -p tcp --sport ${port()} --dport ${port()} --state CLOSE -t ${u32()} --orig-zone 3 --reply-zone 4`,
  () => `-I -s ${ip()} -d ${ip()} -r ${ip()} -q ${ip()} -p udp --sport ${port()} --dport ${port()} -t ${u32()}`,
  () => `-A -t ${u32()} -u SEEN_REPLY -s ${ip()} -d ${ip()} -r ${ip()} -q ${ip()} -p icmp --icmp-type 8 --icmp-code 0 --icmp-id 7`,
  () => `-I -s ${ip()} -d ${ip()} -p 50 -t ${u32()}`,
  () => `-I -s ${ip()} -d ${ip()} -p tcp --sport ${port()} --dport ${port()} --state SYN_SENT -t ${u32()}\n`,
];

describe('-R fast path', () => {
  it('writes exactly what the parser writes, for every shape and many values', () => {
    const lines: string[] = [];
    for (let i = 0; i < 6000; i++) lines.push(SHAPES[rnd(SHAPES.length)]());
    const got = load(lines);
    let fast = 0;
    got.forEach((w, i) => {
      const want = parsed(lines[i]);
      if (!w.message.equals(want.message) || !w.undo.equals(want.undo) || w.family !== want.family) {
        throw new Error(`line ${i + 1} differs: ${lines[i]}`);
      }
      if (w.fast) fast++;
    });
    // all but the first lines of each shape go the fast way
    expect(fast).toBeGreaterThan(lines.length - 3 * SHAPES.length);
  });

  it('leaves the handler of the line in the parse session, as the parser does', () => {
    // a line without -p goes on with the last line's handler (conntrack keeps it in a global)
    const session = new ParseSession();
    const got = load(
      [1, 2, 3, 4].map((n) => `-I -s 1.1.1.${n} -d 2.2.2.2 -p udp --sport 1 --dport 2 -t 5`),
      new LineShapes(),
      session,
    );
    expect(got[3].fast).toBe(true);
    expect(session.handler?.name).toBe('udp');
    expect(parseArgs(tokenizeLine('-D -s 1.1.1.9', 'conntrack'), { session }).handler?.name).toBe('udp');
  });

  it.each([
    ['a leading zero (inet_aton reads octal)', '-I -s 010.1.1.1 -d 2.2.2.2 -p udp --sport 1 --dport 2 -t 5'],
    ['a short address', '-I -s 10.1 -d 2.2.2.2 -p udp --sport 1 --dport 2 -t 5'],
    ['an address part over 255', '-I -s 1.1.1.256 -d 2.2.2.2 -p udp --sport 1 --dport 2 -t 5'],
    ['IPv6', '-I -s ::1 -d ::2 -p udp --sport 1 --dport 2 -t 5'],
    ['a CIDR', '-I -s 1.1.1.1/32 -d 2.2.2.2 -p udp --sport 1 --dport 2 -t 5'],
    ['a port over 65535', '-I -s 1.1.1.1 -d 2.2.2.2 -p udp --sport 65536 --dport 2 -t 5'],
    ['a hex mark', '-I -s 1.1.1.1 -d 2.2.2.2 -p udp --sport 1 --dport 2 -t 5 -m 0x10'],
    ['a mark with a mask', '-I -s 1.1.1.1 -d 2.2.2.2 -p udp --sport 1 --dport 2 -t 5 -m 1/3'],
    ['a timeout over 32 bits', '-I -s 1.1.1.1 -d 2.2.2.2 -p udp --sport 1 --dport 2 -t 4294967296'],
    ['a port with a leading zero', '-I -s 1.1.1.1 -d 2.2.2.2 -p udp --sport 01 --dport 2 -t 5'],
    ['an option twice', '-I -s 1.1.1.1 -s 1.1.1.2 -d 2.2.2.2 -p udp --sport 1 --dport 2 -t 5'],
    ['no -p', '-I -s 1.1.1.1 -d 2.2.2.2 --sport 1 --dport 2 -t 5'],
    ['-p twice', '-I -s 1.1.1.1 -d 2.2.2.2 -p udp -p tcp --sport 1 --dport 2 -t 5'],
    ['a tab', '-I -s 1.1.1.1\t-d 2.2.2.2 -p udp --sport 1 --dport 2 -t 5'],
    ['two spaces', '-I -s 1.1.1.1  -d 2.2.2.2 -p udp --sport 1 --dport 2 -t 5'],
    ['quotes', '-I -s "1.1.1.1" -d 2.2.2.2 -p udp --sport 1 --dport 2 -t 5'],
    ['a long option name', '-I --src 1.1.1.1 -d 2.2.2.2 -p udp --sport 1 --dport 2 -t 5'],
    ['another command', '-U -s 1.1.1.1 -d 2.2.2.2 -p udp --sport 1 --dport 2 -m 5'],
    ['an option value starting with -', '-I -s 1.1.1.1 -d 2.2.2.2 -p -1 --sport 1 --dport 2 -t 5'],
    ['a trailing space', '-I -s 1.1.1.1 -d 2.2.2.2 -p udp --sport 1 --dport 2 -t 5 '],
  ])('does not read a line with %s', (_name, line) => {
    expect(splitLine(line.replace(/\n$/, ''))).toBeUndefined();
  });

  it('a line of a trusted shape with a value the slot does not take goes to the parser', () => {
    const shapes = new LineShapes();
    const got = load(
      [1, 2, 3].map((n) => `-I -s 1.1.1.${n} -d 2.2.2.2 -p udp --sport 1 --dport 2 -t 5`),
      shapes,
    );
    expect(got[2].fast).toBe(true);
    const bad = '-I -s 1.1.1.1 -d 2.2.2.2 -p udp --sport 70000 --dport 2 -t 5';
    expect(shapes.write(bad, 0, bad.length, new NlWriter(), new NlWriter())).toBeUndefined();
  });

  it('a shape whose lines the parser does not confirm stays with the parser', () => {
    const shapes = new LineShapes();
    const line = (n: number): string => `-I -s 1.1.1.${n} -d 2.2.2.2 -p udp --sport 1 --dport 2 -t 5`;
    // the parser "says" something else for the first line than the fast path would write
    expect(shapes.write(line(1), 0, line(1).length, new NlWriter(), new NlWriter())).toBeUndefined();
    const want = parsed(line(1));
    const cmd = parseArgs(tokenizeLine(line(1), 'conntrack'), { session: new ParseSession() });
    const other = Buffer.from(want.message);
    other[other.length - 1] ^= 1;
    shapes.learn(entryFromTemplate(cmd), cmd.family, cmd.handler, other, want.undo);
    const rest = load([2, 3, 4, 5].map(line), shapes);
    expect(rest.every((w) => !w.fast)).toBe(true);
  });

  it('status lists are part of the shape', () => {
    const a = load([1, 2, 3, 4].map((n) => `-I -s 1.1.1.${n} -d 2.2.2.2 -p udp --sport 1 --dport 2 -t 5 -u ASSURED`));
    const shapes = new LineShapes();
    load(
      [1, 2, 3].map((n) => `-I -s 1.1.1.${n} -d 2.2.2.2 -p udp --sport 1 --dport 2 -t 5 -u SEEN_REPLY`),
      shapes,
    );
    const b = feed(shapes, new ParseSession(), '-I -s 1.1.1.4 -d 2.2.2.2 -p udp --sport 1 --dport 2 -t 5 -u ASSURED');
    expect(b.fast).toBe(false);
    expect(b.message.equals(a[3].message)).toBe(true);
  });
});
