// Without CAP_NET_ADMIN (an unprivileged user with every capability dropped): the reference's messages and exit
// codes for each command, ours alike. The kernel refuses ctnetlink to such a process.

import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { netnsAdd, netnsDel, REPO, runRef, runSh, skipReason } from '../helpers/netns.js';

const NS = `ctit-priv-${process.pid}`;
const NOPRIV = 'setpriv --reuid 65534 --regid 65534 --clear-groups --inh-caps=-all --bounding-set=-all';

function both(args: string[]): { ref: { out: string; err: string; rc: string }; ours: { out: string; err: string; rc: string } } {
  const a = args.map((x) => `'${x}'`).join(' ');
  const run = (cmd: string): { out: string; err: string; rc: string } => {
    const r = runSh(NS, `${NOPRIV} ${cmd} ${a} 2>/tmp/ctit-priv.err; echo "rc=$?"; cat /tmp/ctit-priv.err >&2`, { timeoutMs: 20_000 });
    const lines = r.stdout.split('\n');
    const rc = lines[lines.length - 2];
    return { out: lines.slice(0, -2).join('\n'), err: r.stderr, rc };
  };
  return {
    ref: run(`timeout 3 bash -c 'exec -a conntrack /usr/sbin/conntrack "$@"' _`),
    ours: run(`timeout 3 env CONNTRACK_ARGV0=conntrack node ${join(REPO, 'bin/conntrack')}`),
  };
}

describe.skipIf(skipReason)('without CAP_NET_ADMIN: ours and conntrack 1.4.7', () => {
  beforeAll(() => {
    netnsAdd(NS);
    runRef(NS, ['-R', join(REPO, 'fixtures/tables/mixed.txt')]);
  });
  afterAll(() => netnsDel(NS));

  for (const args of [
    ['-L'],
    ['-L', '-o', 'xml'],
    ['-C'],
    ['-S'],
    ['-F'],
    ['-D', '-p', 'udp'],
    ['-I', '-s', '1.1.1.1', '-d', '2.2.2.2', '-p', 'udp', '--sport', '1', '--dport', '2', '-t', '5'],
    ['-U', '-s', '192.0.2.22', '-m', '1'],
    ['-G', '-s', '192.0.2.22', '-d', '198.51.100.22', '-p', 'udp', '--sport', '5353', '--dport', '53'],
    ['-E'],
    ['-E', 'expect'],
    ['-L', 'expect'],
    ['-C', 'expect'],
    ['-S', 'expect'],
    ['-F', 'expect'],
    ['-L', 'dying'],
    ['-V'],
    ['-L', '-x'],
  ]) {
    it(`conntrack ${args.join(' ')}`, () => {
      const { ref, ours } = both(args);
      expect(ours.out).toBe(ref.out);
      expect(ours.err).toBe(ref.err);
      expect(ours.rc).toBe(ref.rc);
    });
  }
});
