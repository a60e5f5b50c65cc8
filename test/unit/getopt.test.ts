import { describe, expect, it } from 'vitest';
import { Getopt } from '../../src/cli/getopt.js';
import { GETOPT_STRING, longOptions } from '../../src/cli/program.js';

/** Runs getopt over argv and lists [option, optarg, optind] per call. */
function scan(...args: string[]): Array<[string, string | null, number]> {
  const g = new Getopt(['conntrack', ...args], GETOPT_STRING, longOptions());
  const out: Array<[string, string | null, number]> = [];
  for (let c = g.next(), i = 0; c !== -1 && i < 50; c = g.next(), i++) out.push([String.fromCharCode(c), g.optarg, g.optind]);
  return out;
}

describe('GNU getopt_long as conntrack uses it', () => {
  it('unique prefixes of long options', () => expect(scan('--dum')).toEqual([['L', null, 2]]));
  it('--opt=value', () => expect(scan('--dport=80')[0][0]).toBe('?')); // not known before -p
  it('ambiguous prefixes are unknown', () => expect(scan('--sr', '1')[0][0]).toBe('?'));
  it('an exact name wins over longer ones', () => expect(scan('--src', '1.2.3.4')).toEqual([['s', '1.2.3.4', 3]]));
  it('aliases with the same value are not ambiguous', () => expect(scan('--orig-s', '1.2.3.4')[0][0]).toBe('s'));
  it('optional arguments only attach', () => {
    expect(scan('-Lexpect')).toEqual([['L', 'expect', 2]]);
    expect(scan('-L', 'expect')).toEqual([['L', null, 2]]);
    expect(scan('--dump=expect')).toEqual([['L', 'expect', 2]]);
  });
  it('clusters', () => expect(scan('-Vh').map((r) => r[0])).toEqual(['V', 'h']));
  it('a missing required argument is ":"', () =>
    expect(scan('-L', '-s')).toEqual([
      ['L', null, 2],
      [':', null, 3],
    ]));
  it('permutes non-options to the end', () => expect(scan('foo', '-L', 'bar', '-C').map((r) => r[0])).toEqual(['L', 'C']));
  it('stops at --', () => expect(scan('-L', '--', '-C').map((r) => r[0])).toEqual(['L']));
  it('odd short options are real', () => expect(scan('-[', '1.2.3.4')).toEqual([['[', '1.2.3.4', 3]]));
});
