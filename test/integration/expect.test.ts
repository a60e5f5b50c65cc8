// The expectation table against the reference, on real expectations: the lab's FTP, TFTP and SIP helpers make
// them from real traffic; -I expect adds more on the lab's FTP control connection. (-E expect's printing is
// covered by the captured event fixtures in test/unit/expect.test.ts: the kernel only reports expectations of
// masters that were created while an event listener existed, which the lab's masters were not.)

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import {
  compareCommand,
  diffTolerant,
  lab,
  netnsAdd,
  netnsDel,
  REPO,
  runOurs,
  runRef,
  runSh,
  skipReason,
  waitCaughtUp,
  waitListeners,
} from '../helpers/netns.js';

const LAB = `ctit-exp-${process.pid}`;
const OUT = `/tmp/ctit-exp-${process.pid}`;

/** The client port of the lab's IPv4 FTP control connection (random per lab). */
function ftpMasterPort(): string {
  const line = runRef(LAB, ['-L', '-s', '10.200.1.2', '-d', '10.200.2.2', '-p', 'tcp', '--dport', '21']).stdout;
  return /sport=(\d+)/.exec(line)![1];
}

const createArgs = (port: string, dport: string): string[] => [
  '-I',
  'expect',
  '-s',
  '10.200.1.2',
  '-d',
  '10.200.2.2',
  '-p',
  'tcp',
  '--sport',
  port,
  '--dport',
  '21',
  '--tuple-src',
  '10.200.1.2',
  '--tuple-dst',
  '10.200.2.2',
  '--tuple-port-src',
  '0',
  '--tuple-port-dst',
  dport,
  '--mask-src',
  '255.255.255.255',
  '--mask-dst',
  '255.255.255.255',
  '--mask-port-src',
  '0',
  '--mask-port-dst',
  '65535',
  '-t',
  '200',
];
const deleteArgs = (dport: string): string[] => [
  '-D',
  'expect',
  '-s',
  '10.200.1.2',
  '-d',
  '10.200.2.2',
  '-p',
  'tcp',
  '--sport',
  '0',
  '--dport',
  dport,
  '--reply-port-src',
  '0',
  '--reply-port-dst',
  '0',
];

describe.skipIf(skipReason)('the expectation table: ours and conntrack 1.4.7', () => {
  beforeAll(() => {
    lab('build', LAB);
    runSh(LAB, `mkdir -p ${OUT}`);
  });
  afterAll(() => lab('destroy', LAB));

  for (const args of [
    ['-L', 'expect'],
    ['-L', 'expect', '-o', 'xml'],
    ['-L', 'expect', '-f', 'ipv6'],
    ['-L', 'expect', '-f', 'ipv6', '-o', 'xml'],
    ['-L', 'expect', '-o', 'extended,id'],
    ['--dump', 'expect'],
    ['-C', 'expect'],
    ['-C', 'expect', '-f', 'ipv6'],
    ['-S', 'expect'],
    ['-L', 'expect', '-s', '1.1.1.1'],
    ['-L', 'expect', '-o', 'save'],
    ['-U', 'expect'],
    [
      '-G',
      'expect',
      '-s',
      '10.200.1.2',
      '-d',
      '10.200.2.2',
      '-p',
      'tcp',
      '--sport',
      '0',
      '--dport',
      '30002',
      '--reply-port-src',
      '1',
      '--reply-port-dst',
      '1',
    ],
    [
      '-G',
      'expect',
      '-s',
      '10.200.1.2',
      '-d',
      '10.200.2.2',
      '-p',
      'tcp',
      '--sport',
      '0',
      '--dport',
      '30002',
      '--reply-port-src',
      '1',
      '--reply-port-dst',
      '1',
      '-o',
      'xml',
    ],
    [
      '-G',
      'expect',
      '-s',
      '10.200.1.2',
      '-d',
      '10.200.2.2',
      '-p',
      'tcp',
      '--sport',
      '0',
      '--dport',
      '30009',
      '--reply-port-src',
      '1',
      '--reply-port-dst',
      '1',
    ],
    ['-G', 'expect', '-s', '10.200.1.2', '-d', '10.200.2.2', '-p', 'tcp'],
    [
      '-D',
      'expect',
      '-s',
      '10.200.1.2',
      '-d',
      '10.200.2.2',
      '-p',
      'tcp',
      '--sport',
      '0',
      '--dport',
      '30009',
      '--reply-port-src',
      '0',
      '--reply-port-dst',
      '0',
    ],
  ]) {
    it(`conntrack ${args.join(' ')}`, () => expect(compareCommand(LAB, args).problem).toBeUndefined());
  }

  it('-I expect creates the expectation with its own protocol (1.4.7 stored the port in the protocol byte)', () => {
    const r = runOurs(LAB, createArgs(ftpMasterPort(), '40000'));
    expect(r.status).toBe(0);
    expect(r.stdout + r.stderr).toBe('');
    expect(runRef(LAB, ['-L', 'expect']).stdout).toMatch(
      /proto=6 src=10\.200\.1\.2 dst=10\.200\.2\.2 sport=0 dport=40000 .* master-src=10\.200\.1\.2 .* helper=ftp/,
    );
  });

  it('-D expect deletes it as the reference does: nothing printed, "0 expectations have been shown.", exit 1', () => {
    runOurs(LAB, createArgs(ftpMasterPort(), '40001'));
    const r = runRef(LAB, deleteArgs('40001'));
    runOurs(LAB, createArgs(ftpMasterPort(), '40001'));
    const o = runOurs(LAB, deleteArgs('40001'));
    expect(o.stdout).toBe(r.stdout);
    expect(o.stderr).toBe(r.stderr);
    expect(o.status).toBe(r.status);
    expect(runRef(LAB, ['-L', 'expect']).stdout).not.toMatch(/dport=40001/);
  });

  it('-F expect empties the table with the reference message', () => {
    const before = runRef(LAB, ['-C', 'expect']).stdout;
    expect(Number(before)).toBeGreaterThan(0);
    const o = runOurs(LAB, ['-F', 'expect']);
    expect(o.stderr).toBe('conntrack v1.4.7 (conntrack-tools): expectation table has been emptied.\n');
    expect(o.status).toBe(0);
    expect(runRef(LAB, ['-C', 'expect']).stdout).toBe('0\n');
    // and the reference on the now empty table says the same
    const r = runRef(LAB, ['-F', 'expect']);
    expect(r.stderr).toBe(o.stderr);
  });
});

describe.skipIf(skipReason)('-E expect: ours and the reference listening side by side', () => {
  const NS = `ctit-expev-${process.pid}`;
  beforeAll(() => {
    netnsAdd(NS);
    runSh(
      NS,
      [
        'ip link set lo up',
        'nft add table ip t',
        `nft add ct helper ip t ftp-std '{ type "ftp" protocol tcp; }'`,
        `nft add chain ip t out '{ type filter hook output priority 0; }'`,
        `nft add rule ip t out tcp dport 21 ct helper set "ftp-std"`,
        'nft add rule ip t out ct state new accept',
        `mkdir -p ${OUT}`,
      ].join('; '),
    );
  });
  afterAll(() => netnsDel(NS));

  for (const args of [
    ['-E', 'expect'],
    ['-E', 'expect', '-o', 'xml'],
    ['-E', 'expect', '-o', 'timestamp'],
  ]) {
    it(`conntrack ${args.join(' ')}`, () => {
      const a = args.join(' ');
      // the kernel reports a master's expectations only if the master was created while someone listened:
      // both listeners first, then a fresh FTP control connection, then the expectation's removal
      const script = `
        cd ${OUT}
        : > exref.out; : > exours.out
        bash -c 'exec -a conntrack /usr/sbin/conntrack "$@"' _ ${a} > exref.out 2> exref.err & r=$!
        CONNTRACK_ARGV0=conntrack node ${REPO}/bin/conntrack ${a} > exours.out 2> exours.err & o=$!
        ${waitListeners(2)}
        node ${REPO}/test/helpers/ftp-pasv.mjs 21 40100 || echo 'ftp exchange failed' >&2
        ${waitCaughtUp(['exref.out', 'exours.out'])}
        conntrack -F expect 2>/dev/null; conntrack -F 2>/dev/null
        ${waitCaughtUp(['exref.out', 'exours.out'])}
        kill -INT $r $o
        wait $r $o`;
      const run = runSh(NS, script, { timeoutMs: 90_000 });
      expect(run.stderr).not.toMatch(/ftp/);
      const read = (f: string): string => readFileSync(`${OUT}/${f}`, 'latin1');
      const norm = (s: string): string => s.replace(/^\[\d+ *\.\d+ *\]\t/gm, '[TS]\t').replace(/<when>.*?<\/when>/g, '<when/>');
      expect(read('exref.out')).toMatch(/NEW|type="new"/);
      expect(diffTolerant(norm(read('exref.out')), norm(read('exours.out')))).toBeUndefined();
      expect(read('exours.err')).toBe(read('exref.err'));
    });
  }
});
