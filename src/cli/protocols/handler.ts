// What every layer-4 protocol extension of conntrack(8) 1.4.7 is (extensions/libct_proto_*.c), and the pieces
// the port-style extensions share.
//
// How conntrack.c drives this (1.4.7):
// - register_proto() uses list_add (head insertion), so proto_list iterates in reverse registration order
//   (gre, icmpv6, icmp, dccp, sctp, udplite, udp, tcp); the unknown handler is never inserted.
// - `-p NAME`: findproto(); merge_options() appends the handler's opts with val += option_offset (256 per -p, so a
//   second -p gives 512, and the first handler's options stay in the table); the main loop's `default:` branch calls
//   h->parse_opts(c - h->option_offset, ...) with the *current* handler. The argument is a C `char`, so with two
//   -p options an option of the first handler is handed to the second one truncated to 8 bits (parse() below
//   normalises its code the same way). The handler's local flag word (l4flags) is not reset by a second -p.
// - final_check(l4flags, bit2cmd(command), ct) runs after the main generic_opt_check, unless the command is -h.

import { NUMBER_OF_CMD } from '../commands.js';
import { parameterProblem } from '../../commands/errors.js';
import { atoi, strtoul, u16 } from '../cnum.js';
import type { LongOption } from '../getopt.js';
import type { Template, TupleTemplate } from '../template.js';
import { genericOptCheck } from './option-check.js';

export interface ProtoHandler {
  name: string;
  protonum: number;
  /** the extension's long options, in the C order, with the extension's own option codes (before the merge offset) */
  opts: LongOption[];
  /** h->parse_opts(c, ...): c is the option code without the merge offset; mutates tmpl and state.flags */
  parse(c: number, optarg: string, tmpl: Template, state: { flags: number }): void;
  /** h->final_check(flags, cmd, ct): cmd is the command bit index; throws CtError, applies side effects to tmpl */
  finalCheck(flags: number, cmd: number, tmpl: Template): void;
  /** the exact text h->help() prints */
  help: string;
  /** the num_opts final_check passes to generic_opt_check (the C array size, not the number of names) */
  numOpts: number;
  /** the *_optflags names used in the messages of generic_opt_check (index = flag bit) */
  optflags: readonly string[];
  /** *_commands_v_options, indexed by command bit; rows the C leaves out are all 0 */
  commandsVOptions: readonly (readonly number[])[];
}

// ---------------------------------------------------------------------------------------------------------------
// Shared pieces

export const ch = (s: string): number => s.charCodeAt(0);
export const opt = (name: string, val: number): LongOption => ({ name, hasArg: 1, val });

/** A port/key option: stores the value in tuple.field and sets tuple.protonum (ATTR_{ORIG,REPL}_L4PROTO). */
export interface PortAction {
  tuple: 'orig' | 'reply' | 'mask' | 'exptuple';
  field: 'srcPort' | 'dstPort';
  /** the extension's flag bit (CT_*_ORIG_SPORT, ...) */
  flag: number;
}

/** ct / mask / exptuple ports in the order every port-style extension numbers them: options 1..6 */
export const PORT_ACTIONS_1_TO_6: readonly PortAction[] = [
  { tuple: 'orig', field: 'srcPort', flag: 1 << 0 },
  { tuple: 'orig', field: 'dstPort', flag: 1 << 1 },
  { tuple: 'reply', field: 'srcPort', flag: 1 << 2 },
  { tuple: 'reply', field: 'dstPort', flag: 1 << 3 },
  { tuple: 'mask', field: 'srcPort', flag: 1 << 4 },
  { tuple: 'mask', field: 'dstPort', flag: 1 << 5 },
];

/** tcp/sctp/dccp share the option numbering 1..9: ports 1-6, state 7, tuple ports 8-9 */
export const PORT_ACTIONS_TUPLE_8_9: readonly PortAction[] = [
  { tuple: 'exptuple', field: 'srcPort', flag: 1 << 7 },
  { tuple: 'exptuple', field: 'dstPort', flag: 1 << 8 },
];

/** udp/udplite/gre: ports 1-6, tuple ports 7-8 */
export const PORT_ACTIONS_TUPLE_7_8: readonly PortAction[] = [
  { tuple: 'exptuple', field: 'srcPort', flag: 1 << 6 },
  { tuple: 'exptuple', field: 'dstPort', flag: 1 << 7 },
];

export function applyPort(tmpl: Template, a: PortAction, value: number, protonum: number, state: { flags: number }): void {
  const t: TupleTemplate = tmpl[a.tuple];
  t[a.field] = value;
  // 1.4.7 BUG (libct_proto_{tcp,sctp,dccp}.c, --tuple-port-src/dst): nfct_set_attr_u8(exptuple,
  // ATTR_ORIG_L4PROTO, port) stores the (network-order) port into the expectation's l4proto byte. We store the
  // protocol number instead, as upstream commit 8a251dd ("conntrack: tcp: fix parsing of tuple-port-src and
  // tuple-port-dst", conntrack-tools 1.4.9) does for tcp (sctp/dccp still carry the bug upstream). udp, udplite
  // and gre always stored the protocol number.
  t.protonum = protonum;
  state.flags |= a.flag;
}

/** `char c` of parse_opts: (c - option_offset) converted to a C char, so only the low 8 bits count */
export const asChar = (c: number): number => c & 0xff;

/** port = htons(atoi(optarg)) → host-order u16 of atoi */
export const portAtoi = (s: string): number => u16(atoi(s));
/** GRE: port = htons(strtoul(optarg, NULL, 0)) */
export const keyStrtoul = (s: string): number => u16(strtoul(s, 0)[0]);

/** The "you have to specify ..." texts of a port-style final_check for partial = -1/0 and 1 (sic, as in the C). */
export function pairCheck(
  flags: number,
  cmd: number,
  h: Pick<ProtoHandler, 'numOpts' | 'optflags' | 'commandsVOptions'>,
  coupled: readonly number[],
  msgs: readonly [string, string],
): void {
  const r = genericOptCheck(flags, h.numOpts, h.commandsVOptions[cmd] ?? [], h.optflags, coupled);
  if (!r.ok) {
    if (r.partial === -1 || r.partial === 0) throw parameterProblem(msgs[0]);
    if (r.partial === 1) throw parameterProblem(msgs[1]);
  }
}

/** *_valid_flags of the port-style extensions: {ORIG_SPORT|ORIG_DPORT, REPL_SPORT|REPL_DPORT} */
export const PORT_VALID_FLAGS = [(1 << 0) | (1 << 1), (1 << 2) | (1 << 3)] as const;

export const MSG_SPORT_DPORT = "you have to specify `--sport' and `--dport'";
/** sic: the option is really called --reply-port-src / --reply-port-dst */
export const MSG_REPLY_SRC_DST_PORT = "you have to specify `--reply-src-port' and `--reply-dst-port'";

export const PORT_HELP =
  '  --orig-port-src\t\toriginal source port\n' +
  '  --orig-port-dst\t\toriginal destination port\n' +
  '  --reply-port-src\t\treply source port\n' +
  '  --reply-port-dst\t\treply destination port\n' +
  '  --mask-port-src\t\tmask source port\n' +
  '  --mask-port-dst\t\tmask destination port\n' +
  '  --tuple-port-src\t\texpectation tuple src port\n' +
  // sic: the C help says --tuple-port-src twice
  '  --tuple-port-src\t\texpectation tuple dst port\n';

// ---------------------------------------------------------------------------------------------------------------

/** A C command matrix from its designated initialisers: rows left out are all zeros. */
export function matrix(rows: Partial<Record<number, number[]>>): number[][] {
  const out: number[][] = [];
  for (let i = 0; i < NUMBER_OF_CMD; i++) out.push(rows[i] ?? []);
  return out;
}

/** ASCII-only tolower (strcasecmp compares bytes this way in the C locale) */
export function asciiLower(s: string): string {
  // fast path: most names are lowercase already (tcp, udp, ...)
  if (!/[A-Z]/.test(s)) return s;
  return s.replace(/[A-Z]/g, (c) => String.fromCharCode(c.charCodeAt(0) + 32));
}
