// Our additions (--tally, --top, --watch, -o json) parse without changing how any of conntrack's own words parse:
// the abbreviations conntrack accepts still mean what they meant, and misuse is a parameter problem (exit 2).

import { describe, expect, it } from 'vitest';
import { CMD, OUT } from '../../src/cli/commands.js';
import { CtError } from '../../src/commands/errors.js';
import { parseArgs, ParsedCommand } from '../../src/cli/parse.js';
import { Tally } from '../../src/format/tally.js';
import type { Flow } from '../../src/ctnetlink/model.js';

const parse = (line: string): ParsedCommand =>
  parseArgs(['conntrack', ...line.split(' ').filter(Boolean)], { labelmapPath: '/nonexistent' });
function problem(line: string): { exit: number; text: string } {
  try {
    parse(line);
  } catch (e) {
    if (e instanceof CtError) return { exit: e.exitCode, text: e.render() };
    throw e;
  }
  throw new Error(`${line}: parsed`);
}

describe('our options', () => {
  it('parse', () => {
    const t = parse('-L -p tcp --tally src,dport,src --top 5');
    expect(t.command).toBe(CMD.CT_LIST);
    expect(t.extras).toEqual({ tally: ['src', 'dport'], top: 5 });
    expect(parse('-L -o json').outputMask & OUT.JSON).toBeTruthy();
    expect(parse('-L -o js,id').outputMask).toBe(OUT.JSON | OUT.ID);
    expect(parse('--watch').extras.watch).toBe(true);
    expect(parse('--wat').extras.watch).toBe(true);
    expect(parse('-L --tal src').extras.tally).toEqual(['src']);
  });

  it("leave conntrack's abbreviations alone", () => {
    expect(parse('--count').command).toBe(CMD.CT_COUNT);
    expect(parse('--co').command).toBe(CMD.CT_COUNT);
    expect(parse('-E --b 100000').socketBufferSize).toBe(100000n);
    expect(parse('--du').command).toBe(CMD.CT_LIST);
    expect(problem('--d').text).toContain("unknown option `--d'"); // ambiguous, as for conntrack
    expect(problem('-L --t 5').text).toContain("unknown option `--t'");
  });

  it('refuse misuse with exit 2', () => {
    for (const [line, text] of [
      ['-D --tally src', '--tally only works with -L'],
      ['-L --tally sauce', "unknown --tally key `sauce'"],
      ['-L --tally src -o id', 'cannot be combined with -o'],
      ['-L --top 3', '--top needs --tally'],
      ['-L --tally src --top 0', '--top needs a positive number'],
      ['-L --tally src --top x', '--top needs a positive number'],
      ['--watch -L', 'Invalid commands combination'],
      ['-L --watch', 'Invalid commands combination'],
      ['--watch -p tcp', '--watch takes no other options'],
      ['-L expect -o json', 'json output is not available for expectations'],
    ]) {
      const p = problem(line);
      expect(p.text, line).toContain(text);
      expect(p.exit, line).toBe(2);
    }
    expect(problem('-L -o json,save').exit).toBe(1); // as conntrack's own save combination error
  });
});

describe('Tally', () => {
  const flow = (src: string, dport?: number, state?: number): Flow => ({
    family: 2,
    orig: { family: 2, src, dst: '10.0.0.1', protonum: dport === undefined ? 1 : 6, dstPort: dport },
    tcp: state === undefined ? undefined : { state },
    status: 8,
  });
  it('counts, sorts descending with ties in the order first seen, pads as uniq -c', () => {
    const t = new Tally(['src', 'dport', 'state', 'status']);
    for (const f of [flow('d'), flow('b', 80, 3), flow('a', 80, 3), flow('b', 80, 3), flow('c'), flow('a', 80, 3), flow('a', 80, 3)])
      t.add(f);
    let s = '';
    t.render((x) => (s += x));
    expect(s).toBe(
      [
        '      3 src=a dport=80 state=ESTABLISHED status=UNREPLIED',
        '      2 src=b dport=80 state=ESTABLISHED status=UNREPLIED',
        '      1 src=d dport=- state=- status=UNREPLIED',
        '      1 src=c dport=- state=- status=UNREPLIED',
        '',
      ].join('\n'),
    );
    let top = '';
    t.render((x) => (top += x), 1);
    expect(top.split('\n').length).toBe(2);
    expect(t.size).toBe(4);
  });
});
