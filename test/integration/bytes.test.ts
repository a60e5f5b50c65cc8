// Bytes in, bytes out: arguments, -R lines and label names that are not UTF-8 (or are), side by side with the
// reference. conntrack treats them as bytes and echoes them unchanged in its messages; Node decodes argv as UTF-8
// (turning invalid bytes into U+FFFD), so this is where that shows. Strings here hold one byte per character
// (latin1), and runs with `bytes: true` pass them to the program as exactly those bytes.

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compareCommand, netnsAdd, netnsDel, REF, REPO, Run, runOurs, runRef, runSh, shBytes, skipReason } from '../helpers/netns.js';

const NS = `ctit-bytes-${process.pid}`;
let dir = '';

/** invalid UTF-8, Latin-1 text, valid multi-byte UTF-8, and a valid U+FFFD next to invalid bytes */
const SAMPLES: Array<[name: string, bytes: string]> = [
  ['invalid UTF-8', '\xff\xfe'],
  ['Latin-1', 'caf\xe9'],
  ['UTF-8', '\xc3\xa9t\xc3\xa9'],
  ['U+FFFD and a truncated sequence', '\xef\xbf\xbd\xe2\x82'],
];

/** Every message that echoes an argument, X being the bytes. */
const PLACES: Array<(x: string) => string[]> = [
  (x) => ['-L', x], // unknown type
  (x) => ['-D', x],
  (x) => ['-L', '-p', x], // unsupported protocol
  (x) => ['-L', '-f', x],
  (x) => ['-L', '-s', x], // Invalid IP address
  (x) => ['-L', '-d', '10.0.0.' + x],
  (x) => ['-L', '--mask-src', x],
  (x) => ['-D', '--orig-src', '::' + x],
  (x) => ['-L', '--src-nat', x],
  (x) => [
    '-I',
    '-p',
    'tcp',
    '-s',
    '1.1.1.1',
    '-d',
    '2.2.2.2',
    '--sport',
    '1',
    '--dport',
    '2',
    '-t',
    '9',
    '--state',
    'LISTEN',
    '--dst-nat',
    '3.3.3.3:' + x,
  ], // Invalid port
  (x) => ['-L', '-o', x], // Bad parameter
  (x) => ['-L', '-o', 'xml,' + x],
  (x) => ['-E', '-e', 'NEW,' + x],
  (x) => ['-L', '-u', x],
  (x) => ['-L', '-u', '!' + x],
  (x) => ['-L', '-l', x], // unknown label, and the label map's error
  (x) => ['-L', '-p', 'tcp', '--state', x], // unknown TCP state
  (x) => ['-L', '-p', 'dccp', '--state', x],
  (x) => ['-I', '-p', 'dccp', '--role', x],
  (x) => ['-L', '--' + x], // unknown option
  (x) => ['-L', '-' + x],
  (x) => ['-L', '-m', x], // numbers: no message, the bytes end the number
  (x) => ['-L', '-w', '1' + x],
];

const CASES = SAMPLES.flatMap(([name, x]) => PLACES.map((place) => [name, place(x)] as [string, string[]]));

/** A file in the test's directory named by bytes, with bytes in it. */
function byteFile(name: string, content: string): string {
  const path = dir + '/' + name;
  writeFileSync(Buffer.from(path, 'latin1'), Buffer.from(content, 'latin1'));
  return path;
}

/** `cat FILE | conntrack -R -` through a real pipe (a spawned process's stdin is a socket /dev/stdin cannot open) */
function piped(tool: 'ref' | 'ours', file: string): Run {
  const cmd = tool === 'ref' ? `exec -a conntrack ${REF}` : `CONNTRACK_ARGV0=conntrack exec ${process.execPath} ${REPO}/bin/conntrack`;
  return runSh(NS, `cat ${shBytes(file)} | ${cmd} -R -`);
}

describe.skipIf(skipReason)('bytes that are not UTF-8, against the reference', () => {
  beforeAll(() => {
    netnsAdd(NS);
    dir = mkdtempSync(join(tmpdir(), 'ctit-bytes-'));
  });
  afterAll(() => {
    netnsDel(NS);
    rmSync(dir, { recursive: true, force: true });
  });

  it.each(CASES)('%s: conntrack %j', (_name, args) => {
    const { problem, ref } = compareCommand(NS, args, { bytes: true });
    expect(problem).toBeUndefined();
    // the case reaches a message or a listing, not a failure to run
    expect(ref.status === 0 || ref.stderr.includes('conntrack v1.4.7')).toBe(true);
  });

  it.each(CASES)('%s: a -R line %j', (name, args) => {
    // after a good line of the same shape, so a line the fast path would take must be noticed too
    const good = '-I -p tcp -s 1.1.1.1 -d 2.2.2.2 --sport 1 --dport 2 -t 9 --state LISTEN\n';
    const file = byteFile('lines', good + args.join(' ') + '\n');
    expect(compareCommand(NS, ['-R', file], { bytes: true }).problem).toBeUndefined();
    // -R - reads the same way; one sample is enough to show it
    if (name !== SAMPLES[0][0]) return;
    const ref = piped('ref', file);
    const ours = piped('ours', file);
    expect(ours.stderr).toBe(ref.stderr);
    expect(ours.stdout).toBe(ref.stdout);
    expect(ours.status).toBe(ref.status);
  });

  it.each(SAMPLES)('%s: an unknown SCTP state (1.4.7 crashes on it; README) is echoed as its bytes', (_name, x) => {
    const r = runOurs(NS, ['-L', '-p', 'sctp', '--state', x], { bytes: true });
    expect(r.stderr).toBe(
      `conntrack v1.4.7 (conntrack-tools): unknown SCTP state \`${x}'\nTry \`conntrack -h' or 'conntrack --help' for more information.\n`,
    );
    expect(r.status).toBe(2);
  });

  it.each(SAMPLES)('%s: -R lines of a shape the fast path knows, with bytes for a value', (_name, x) => {
    const line = (p: string, d: string, state: string): string =>
      `-I -p ${p} -s 1.1.1.1 -d ${d} --sport 1 --dport 2 -t 9 --state ${state}\n`;
    const good = line('tcp', '2.2.2.2', 'LISTEN') + line('tcp', '2.2.2.3', 'LISTEN');
    for (const bad of [line('tcp', '2.2.2.' + x, 'LISTEN'), line('tcp', '2.2.2.4', x), line(x, '2.2.2.4', 'LISTEN')]) {
      const r = compareCommand(NS, ['-R', byteFile('shapes', good + bad)], { bytes: true });
      expect(r.problem).toBeUndefined();
      expect(r.ref.status).toBe(2);
    }
  });

  it.each(SAMPLES)('%s: quoted words in a -R line', (_name, x) => {
    const file = byteFile('quoted', `-I -p "${x}" -s "1.1.1.1" -d 2.2.2.2\n`);
    expect(compareCommand(NS, ['-R', file], { bytes: true }).problem).toBeUndefined();
  });

  it.each(SAMPLES)('%s: -R with a file name of bytes, missing and present', (_name, x) => {
    expect(compareCommand(NS, ['-R', dir + '/missing-' + x], { bytes: true }).problem).toBeUndefined();
    const file = byteFile('name-' + x, '-I -p ' + x + '\n');
    const r = compareCommand(NS, ['-R', file], { bytes: true });
    expect(r.problem).toBeUndefined();
    expect(r.ref.stderr).toContain('unsupported protocol');
  });

  describe('label names from connlabel.conf', () => {
    // names with bytes outside [A-Za-z0-9 -] are not names to libnetfilter_conntrack: their bits print unnamed
    const MAP = '0\tfoo\n1\tcaf\xe9\n2\t\xc3\xa9t\xc3\xa9\n3\tx\xffy\n# \xff\xfe comment\n4\tbar\n';
    // the same bits with plain names, to set them
    const PLAIN = '0\tfoo\n1\tone\n2\ttwo\n3\tthree\n4\tbar\n';
    let map = '';
    let plain = '';
    beforeAll(() => {
      map = byteFile('connlabel.conf', MAP);
      plain = byteFile('plain.conf', PLAIN);
      // the kernel keeps labels only in a network namespace with a rule that uses them
      const nft = runSh(
        NS,
        `nft add table ip bytes && nft add chain ip bytes c '{ type filter hook prerouting priority 0; }' && nft add rule ip bytes c ct label set 0`,
      );
      expect(nft.stderr).toBe('');
      const labelSets = ['foo', 'one,bar', 'two,three'];
      for (const [i, labels] of labelSets.entries()) {
        const args = [
          '-I',
          '-p',
          'udp',
          '-s',
          `10.9.9.${i + 1}`,
          '-d',
          '10.9.9.99',
          '--sport',
          '5',
          '--dport',
          '6',
          '-t',
          '900',
          '--label-add',
          labels,
        ];
        const r = runRef(NS, args, { labels: true, labelsFile: plain });
        expect(r.stderr).toContain('1 flow entries have been created');
      }
    });

    it.each([
      ['-L', '-o', 'labels'],
      ['-L', '-o', 'xml,labels'],
      ['-L', '-l', 'foo', '-o', 'labels'],
      ['-L', '-l', 'bar'],
    ])('conntrack %j', (...args) => {
      const r = compareCommand(NS, args, { labels: true, labelsFile: map, bytes: true });
      expect(r.problem).toBeUndefined();
      expect(r.ref.stdout).toContain(args.includes('xml,labels') ? '<label>foo</label>' : args.includes('labels') ? 'labels=foo' : 'udp');
    });

    it.each(SAMPLES.map(([, x]) => x).concat(['caf\xe9', '\xc3\xa9t\xc3\xa9', 'x\xffy']))('unknown label %j', (x) => {
      const r = compareCommand(NS, ['-L', '-l', 'foo,' + x], { labels: true, labelsFile: map, bytes: true });
      expect(r.problem).toBeUndefined();
      expect(r.ref.stderr).toContain('unknown label');
    });
  });
});

describe.skipIf(skipReason)('the raw command line behind node options', () => {
  const NS2 = `ctit-bytes2-${process.pid}`;
  beforeAll(() => netnsAdd(NS2));
  afterAll(() => netnsDel(NS2));

  it.each([
    ['node options before the script', `${process.execPath} --no-warnings --stack-size=2000 ${REPO}/bin/conntrack`],
    ['NODE_OPTIONS', `NODE_OPTIONS=--no-warnings ${process.execPath} ${REPO}/bin/conntrack`],
    ['the #! line', `${REPO}/bin/conntrack`],
  ])('%s', (_name, ours) => {
    const args = ['-L', '-p', 'tcp', '--state', '\xff\xc3\xa9\xfe', '-s', '1.1.1.1'].map(shBytes).join(' ');
    const ref = runSh(NS2, `exec -a conntrack ${REF} ${args}`);
    const got = runSh(NS2, `CONNTRACK_ARGV0=conntrack ${ours} ${args}`);
    expect(ref.stderr).toContain("unknown TCP state `\xff\xc3\xa9\xfe'");
    expect(got.stderr).toBe(ref.stderr);
    expect(got.status).toBe(ref.status);
  });
});
