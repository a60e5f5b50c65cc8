// --netns comes off the command line before conntrack's parsing (cli/netns-arg.ts): what is left is exactly what
// `ip netns exec NS conntrack ...` would be given; values of other options and words after `--` are left alone.

import { describe, expect, it } from 'vitest';
import { takeNetns } from '../../src/cli/netns-arg.js';
import { main } from '../../src/cli/main.js';
import { ReplayClient } from '../helpers/replay.js';

const take = (line: string) => {
  const r = takeNetns(['conntrack', ...line.split(' ').filter(Boolean)]);
  return { argv: r.argv.slice(1).join(' '), netns: r.netns };
};
const ok = (line: string, argv: string, netns?: string) => expect(take(line), line).toEqual({ argv, netns });
const problem = (line: string, message: string) => expect(() => take(line), line).toThrow(message);

describe('takeNetns', () => {
  it('takes --netns VALUE, --netns=VALUE and abbreviations from --ne', () => {
    ok('--netns ns1 -L', '-L', 'ns1');
    ok('-L --netns=/proc/1/ns/net -o xml', '-L -o xml', '/proc/1/ns/net');
    ok('-L --ne ns1', '-L', 'ns1');
    ok('-L --net=ns1', '-L', 'ns1');
    ok('--netns ns1 -R file', '-R file', 'ns1');
    ok('-R file --netns ns1', '-R file', 'ns1');
  });

  it('leaves command lines without it as they are', () => {
    ok('-L -p tcp --dport 22', '-L -p tcp --dport 22');
    ok('', '');
    // --n is conntrack's --nat-range (deprecated), not an abbreviation of --netns
    ok('-L --n 1.2.3.4', '-L --n 1.2.3.4');
    ok('-L --nat-range 1.2.3.4', '-L --nat-range 1.2.3.4');
  });

  it('a word that is the value of the option before it is not --netns', () => {
    ok('-L -m --netns', '-L -m --netns');
    ok('-L --mark --netns', '-L --mark --netns');
    ok('-L --mar --netns', '-L --mar --netns');
    ok('-L -zm --netns', '-L -zm --netns');
    ok('-L --tally --netns', '-L --tally --netns');
    // attached values take no next word; optional values only attach
    ok('-L -m1 --netns a', '-L -m1', 'a');
    ok('-L --mark=1 --netns a', '-L --mark=1', 'a');
    ok('-L --netns a expect', '-L expect', 'a');
    ok('-Lexpect --netns a', '-Lexpect', 'a');
    // an ambiguous abbreviation takes no value (getopt reports it alone)
    ok('-L --tuple --netns a', '-L --tuple', 'a');
  });

  it('stops at --', () => {
    ok('-L -- --netns a', '-L -- --netns a');
    ok('--netns a -L -- --netns b', '-L -- --netns b', 'a');
  });

  it('a missing or repeated value is a parameter problem', () => {
    problem('-L --netns', "option `--netns' requires an argument");
    problem('-L --ne', "option `--ne' requires an argument");
    problem('--netns a -L --netns b', "option `--netns' can be given once");
  });
});

describe('--netns in main', () => {
  const run = async (argv: string[], open: (o: { netns?: string }) => ReplayClient) => {
    let err = '';
    let out = '';
    const code = await main({
      argv: ['conntrack', ...argv],
      out: { write: (s: string) => void (out += s), flush() {} } as never,
      err: (s) => (err += s),
      openClient: open,
    });
    return { code, out, err };
  };

  it('opens the client in the namespace and runs the rest as conntrack would', async () => {
    const seen: Array<string | undefined> = [];
    const r = await run(['--netns', 'ns1', '-L'], (o) => {
      seen.push(o.netns);
      return new ReplayClient([]);
    });
    expect(seen).toEqual(['ns1']);
    expect(r).toEqual({ code: 0, out: '', err: 'conntrack v1.4.7 (conntrack-tools): 0 flow entries have been shown.\n' });
    await run(['-L'], (o) => {
      seen.push(o.netns);
      return new ReplayClient([]);
    });
    expect(seen).toEqual(['ns1', undefined]);
  });

  it('a namespace that cannot be entered: a message and exit 1; a missing value: exit 2', async () => {
    const { NetlinkError } = await import('../../src/netlink/socket/nfnl-socket.js');
    const failing = (errno: number, syscall: string) => () => {
      throw new NetlinkError(errno, syscall);
    };
    expect(await run(['--netns', 'nope', '-L'], failing(2, 'open'))).toEqual({
      code: 1,
      out: '',
      err: "conntrack v1.4.7 (conntrack-tools): Can't enter network namespace `nope': No such file or directory\n",
    });
    expect((await run(['--netns', '/etc/hostname', '-C'], failing(22, 'setns'))).err).toBe(
      "conntrack v1.4.7 (conntrack-tools): Can't enter network namespace `/etc/hostname': Invalid argument\n",
    );
    expect((await run(['--netns=a', '-D'], failing(1, 'setns'))).err).toContain("`a': Operation not permitted\n");
    const missing = await run(['-L', '--netns'], () => new ReplayClient([]));
    expect(missing.code).toBe(2);
    expect(missing.err).toContain("option `--netns' requires an argument");
  });
});
