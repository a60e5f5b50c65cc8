// Text is bytes (src/text.ts): the raw command line, and the sinks that write text out byte for byte.

import { describe, expect, it } from 'vitest';
import { argvBytes } from '../../src/cli/bin.js';
import { ByteSink, MemorySink } from '../../src/format/sink.js';
import { CtError } from '../../src/commands/errors.js';
import { parseArgs } from '../../src/cli/parse.js';
import { readCString } from '../../src/netlink/attributes.js';
import { bytesOf, fromUtf8, textOf } from '../../src/text.js';

/** what Node puts in process.argv for these bytes */
const nodeDecoded = (bytes: string): string => Buffer.from(bytes, 'latin1').toString('utf8');
const cmdline =
  (...words: string[]): (() => string) =>
  () =>
    words.map((w) => w + '\0').join('');
const fail = (): string => {
  throw new Error('ENOENT');
};

describe('argvBytes', () => {
  const raw = ['-L', '\xff\xfe', '', 'caf\xe9', '\xc3\xa9t\xc3\xa9', '\xef\xbf\xbd'];
  const args = raw.map(nodeDecoded);

  it('takes the arguments from the end of /proc/self/cmdline, whatever came before the script', () => {
    expect(argvBytes(args, cmdline('node', '--stack-size=900', '/x/bin/conntrack', ...raw))).toEqual(raw);
    expect(argvBytes(args, cmdline('/usr/bin/node', '/x/bin/conntrack', ...raw))).toEqual(raw);
  });

  it('needs no /proc when Node lost nothing, and keeps valid UTF-8 as its bytes', () => {
    expect(argvBytes(['-L', nodeDecoded('\xc3\xa9t\xc3\xa9'), '-p'], fail)).toEqual(['-L', '\xc3\xa9t\xc3\xa9', '-p']);
  });

  it("keeps Node's decoding when the command line does not match it", () => {
    const decoded = args.map(fromUtf8);
    expect(argvBytes(args, fail)).toEqual(decoded);
    // a word that decodes to something else (here: the arguments shifted by one)
    expect(argvBytes(args, cmdline('node', 'x', ...raw.slice(1), 'extra'))).toEqual(decoded);
    expect(argvBytes(args, () => raw.join('\0'))).toEqual(decoded); // no NUL after the last word: not a plain cmdline
    expect(argvBytes(args, cmdline(...raw.slice(1)))).toEqual(decoded); // fewer words than arguments
  });
});

describe('text out', () => {
  const bytes = '\xff\xfe caf\xe9 \xc3\xa9t\xc3\xa9 \x80';
  it('ByteSink writes one byte per character, short and long strings', () => {
    const s = new ByteSink(4);
    s.str('\xe9\xff');
    s.write(bytes + '\n');
    expect([...s.take()]).toEqual([...Buffer.from('\xe9\xff' + bytes + '\n', 'latin1')]);
  });
  it('MemorySink keeps appended bytes as text', () => {
    const m = new MemorySink();
    m.bytes(Buffer.from(bytes, 'latin1'));
    expect(m.take()).toBe(bytes);
  });
  it('round trips every byte', () => {
    const all = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
    expect(Buffer.compare(bytesOf(textOf(all)), all)).toBe(0);
    expect(readCString(Buffer.from([0x68, 0xe9, 0xff, 0, 0x41]), 0, 5)).toBe('h\xe9\xff');
  });
});

describe('messages echo the bytes', () => {
  const message = (argv: string[]): string => {
    try {
      parseArgs(['conntrack', ...argv], { labelmapPath: '/nonexistent' });
    } catch (e) {
      if (e instanceof CtError) return e.render();
    }
    return '';
  };
  it.each([
    [['-L', '\xff\xfe'], "unknown type `\xff\xfe'"],
    [['-L', '-p', '\xc3\xa9'], "`\xc3\xa9' unsupported protocol"],
    [['-L', '-s', 'caf\xe9'], "Invalid IP address `caf\xe9'"],
    [['-L', '-o', 'xml,\xe9'], "Bad parameter `\xe9'"],
    [
      ['-L', '--tally', 'src,\xff'],
      "unknown --tally key `\xff', use one or more of src,dst,reply-src,reply-dst,sport,dport,reply-sport,reply-dport,proto,family,state,status,mark,zone,helper",
    ],
  ])('%j', (argv, text) => {
    const want = `conntrack v1.4.7 (conntrack-tools): ${text}\nTry \`conntrack -h' or 'conntrack --help' for more information.\n`;
    expect(bytesOf(message(argv)).toString('hex')).toBe(Buffer.from(want, 'latin1').toString('hex'));
  });
});
