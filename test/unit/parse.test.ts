// argv → ParsedCommand or conntrack's exact message, one line per case.

import { describe, expect, it } from 'vitest';
import { CMD, OPT, OUT, TABLE } from '../../src/cli/commands.js';
import { CtError } from '../../src/commands/errors.js';
import { parseArgs, ParsedCommand } from '../../src/cli/parse.js';

const parse = (line: string): ParsedCommand =>
  parseArgs(['conntrack', ...line.split(' ').filter(Boolean)], { labelmapPath: '/nonexistent' });

function fails(line: string): string {
  try {
    parse(line);
  } catch (e) {
    if (e instanceof CtError) return `${e.exitCode} ${e.message}`;
    throw e;
  }
  return 'no error';
}

const ok = (line: string, want: Partial<ParsedCommand>): void => {
  it(line, () => expect(parse(line)).toMatchObject(want));
};
const bad = (line: string, want: string): void => {
  it(`${line} → ${want}`, () => expect(fails(line)).toBe(want));
};

describe('commands and tables', () => {
  ok('-L', { command: CMD.CT_LIST, table: TABLE.CONNTRACK, family: 0 });
  ok('-L expect', { command: CMD.EXP_LIST, family: 2 });
  ok('-L e', { command: CMD.EXP_LIST });
  ok('-L dying', { command: CMD.CT_LIST, table: TABLE.DYING });
  ok('-L unconfirmed', { command: CMD.CT_LIST, table: TABLE.UNCONFIRMED });
  ok('-Lexpect', { command: CMD.EXP_LIST }); // 1.4.7 listed the conntrack table here
  ok('--dump=expect', { command: CMD.EXP_LIST });
  ok('-C', { command: CMD.CT_COUNT, family: 2 });
  ok('-S expect', { command: CMD.EXP_STATS });
  ok('', { command: 0 });
  bad('-L -L', '2 Invalid commands combination');
  bad('-L -C', '2 Invalid commands combination');
  bad('-L foo', "2 unknown type `foo'");
  bad('-D dying', "2 Can't do that command with tables `dying' and `unconfirmed'");
  bad('-U expect', "2 Can't do --update on expectations");
  bad('-A expect', "2 Can't do --add on expectations");
  // text attached to a command letter is its table (1.4.7 dropped it: -Lz listed, -Dexpect flushed the conntrack table)
  bad('-Lz', "2 unknown type `z'");
  bad('-Lfoo', "2 unknown type `foo'");
  bad('-Ls1.2.3.4', "2 unknown type `s1.2.3.4'");
  bad('-Dexpect', "2 You need to supply the `--src' option for this command");
  bad('-Dexpect -s 1.1.1.1 -d 2.2.2.2 -p tcp --sport 1 --dport 2', "2 You need to supply the `--reply-port-src' option for this command"); // as -D expect
  bad('-Uexpect', "2 Can't do --update on expectations");
  bad('-Aexpect', "2 Can't do --add on expectations");
});

describe('options', () => {
  ok('-L -f ipv6', { family: 10, options: OPT.FAMILY });
  ok('-L -f ipv4x', { family: 2 });
  ok('-L -o xml,ext', { outputMask: OUT.XML | OUT.EXT });
  ok('-L -o X', { outputMask: OUT.XML });
  ok('-L -o e', { outputMask: OUT.EXT });
  ok('-L -o userspace', { outputMask: 0 });
  ok('-L -o s', { notes: 'WARNING: ignoring SRC_NAT, use --src-nat instead\n' });
  ok('-L -m 0x10/0xf0', { tmpl: expect.objectContaining({ mark: { value: 16, mask: 240 } }) });
  ok('-L -m abc', { tmpl: expect.objectContaining({ mark: { value: 0, mask: 0xffffffff } }) });
  ok('-L -u ASSURED', { tmpl: expect.objectContaining({ status: 4, filterStatusKernel: { value: 4, mask: 4 } }) });
  ok('-L -u UNREPLIED', { tmpl: expect.objectContaining({ status: 0, filterStatusKernel: { value: 0, mask: 2 } }) });
  ok('-L -u !ASSURED', { tmpl: expect.objectContaining({ filterStatusKernel: { value: 0, mask: 4 } }) });
  ok('-L -u ASSURED,!SEEN_REPLY', { tmpl: expect.objectContaining({ filterStatusKernel: { value: 4, mask: 2 } }) });
  ok('-L -s 10.0.0.0/8', { family: 2, options: OPT.ORIG_SRC | OPT.MASK_SRC });
  ok('-L -s 10.0.0.1/32', { options: OPT.ORIG_SRC });
  ok('-L -w 5', { tmpl: expect.objectContaining({ zone: 5 }) });
  ok('-L -p tcp --dport 22', {
    protonum: 6,
    tmpl: expect.objectContaining({ orig: expect.objectContaining({ protonum: 6, dstPort: 22 }) }),
  });
  ok('-L -p 6', { protonum: 6 });
  ok('-D --id 123', { tmpl: expect.objectContaining({ id: 123 }) }); // 1.4.7 crashed here
  ok('-L -n', { options: OPT.SRC_NAT });
  ok('-L -g 1.2.3.4:80', { tmpl: expect.objectContaining({ dnat: { addr: Uint8Array.of(1, 2, 3, 4), port: 80 } }) });
  bad('-L -o', "2 option `-o' requires an argument");
  bad('-L -o bogus', "2 Bad parameter `bogus'");
  bad('-L -o xml,,id', "2 Bad parameter `,id'");
  bad('-L -o ""', '2 Bad parameter `""\'');
  bad('-L -o save,xml', '1 cannot combine save output with any other output type, use -o save only');
  bad('-L -f ipx', "2 `ipx' unsupported protocol");
  bad('-L -p foo', "2 `foo' unsupported protocol");
  bad('-L -s 1.2.3.4 -d ::1', '2 mismatched address family');
  bad('-L -s 300.1.1.1', "2 Invalid IP address `300.1.1.1'");
  bad('-L -r 10.0.0.0/8', "2 CIDR notation unavailable for `--reply-src'");
  bad('-L -s 10.0.0.0/33', '2 Invalid netmask');
  bad('-L -t 5', "2 Illegal option `--timeout' with this command");
  bad('-C -f ipv4', "2 Illegal option `--family' with this command");
  bad('-s 1.2.3.4', "2 Illegal option `--src' with this command");
  bad('-L --sport 1 -p tcp', "2 unknown option `--sport'");
  bad('-L -x', "2 unknown option `-x'");
  bad('-L -j -n', "2 cannot specify `--src-nat' or `--dst-nat' with `--any-nat'");
  bad('-L -g [::1', "2 No closing ']' around IPv6 address");
  bad('-L -g []:80', '2 No IPv6 address specified');
  bad('-L -g 1.2.3.4:', "2 No port specified after `:'");
  bad('-L -g 1.2.3.4:70000', "2 Invalid port `70000'");
  bad('-L -l foo', "2 unknown label 'foo'");
  bad('-U --label-add a --label-del b', "2 unknown label 'a'"); // labels are looked up as they come
  bad('-I -s 1.1.1.1 -p tcp', "2 You need to supply the `--timeout' option for this command");
  bad('-I -s 1.1.1.1 -p tcp -t 1', "2 you have to specify `--src' and `--dst'");
  bad('-I -r 1.1.1.1 -p tcp -t 1', "2 you have to specify `--reply-src' and `--reply-dst'");
  bad('-D --id', "2 option `--id' requires an argument");
});
