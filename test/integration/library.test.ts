// The README's library example (scripts/library-example.mjs) runs as documented: a filtered dump and the count,
// then the event stream, against a table in a private network namespace.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { netnsAdd, netnsDel, REPO, runSh, skipReason, waitListeners } from '../helpers/netns.js';

const NS = `ctit-lib-${process.pid}`;

describe.skipIf(skipReason)('library example', () => {
  beforeAll(() => netnsAdd(NS));
  afterAll(() => netnsDel(NS));

  it('dumps with a kernel filter, counts, and receives events until stopped', () => {
    const r = runSh(
      NS,
      `PATH=/usr/sbin:$PATH
      conntrack -I -s 1.1.1.1 -d 2.2.2.2 -p tcp --sport 1 --dport 2 --state ESTABLISHED -t 60 -m 1 2>/dev/null
      conntrack -I -s 1.1.1.3 -d 2.2.2.2 -p udp --sport 1 --dport 2 -t 60 -m 2 2>/dev/null
      node ${REPO}/scripts/library-example.mjs 2 > /tmp/${NS}.out &
      ${waitListeners(1)}
      conntrack -I -s 9.9.9.9 -d 8.8.8.8 -p udp --sport 1 --dport 2 -t 60 2>/dev/null
      conntrack -D -s 9.9.9.9 >/dev/null 2>&1
      wait $!; echo "exit $?" >> /tmp/${NS}.out; cat /tmp/${NS}.out; rm -f /tmp/${NS}.out`,
      { timeoutMs: 20_000 },
    );
    expect(r.stdout).toMatch(/^tcp {6}6 \d+ ESTABLISHED src=1\.1\.1\.1 dst=2\.2\.2\.2 sport=1 dport=2 \[UNREPLIED\] .* mark=1 use=1\n/);
    expect(r.stdout).toContain('1 IPv4 entries with mark 1, 2 in the table\n');
    expect(r.stdout).toContain('new 9.9.9.9 -> 8.8.8.8\ndestroy 9.9.9.9 -> 8.8.8.8\n');
    expect(r.stdout).toMatch(/exit 0\n$/);
  });
});
