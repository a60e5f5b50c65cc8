// The layer-4 protocol extensions of conntrack(8) 1.4.7 (conntrack-tools extensions/libct_proto_*.c): each one's
// long options (merged into the getopt table when `-p` is parsed), its parse_opts() that fills the template, its
// final_check() with the per-command option matrix, and its help text. Plus the helpers conntrack.c uses around
// them: findproto(), getprotobyname()/getprotobynumber() over /etc/protocols, and generic_opt_check().
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

import { readFileSync } from 'node:fs';
import { IPPROTO } from '../ctnetlink/constants.js';
import { EXT_DCCP_ROLES, EXT_DCCP_STATES, EXT_SCTP_STATES, EXT_TCP_STATES } from '../format/tables.js';
import { TEXT } from '../netlink/text.js';
import { parameterProblem } from './errors.js';
import { atoi, strtoul, u16, u32, u8 } from './cnum.js';
import type { LongOption } from './getopt.js';
import type { Template, TupleTemplate } from './template.js';

/** enum ct_command bit indexes (include/conntrack.h); the command matrices are indexed by these. */
export const CMD_BIT = {
  CT_LIST: 0,
  CT_CREATE: 1,
  CT_UPDATE: 2,
  CT_DELETE: 3,
  CT_GET: 4,
  CT_FLUSH: 5,
  CT_EVENT: 6,
  CT_VERSION: 7,
  CT_HELP: 8,
  EXP_LIST: 9,
  EXP_CREATE: 10,
  EXP_DELETE: 11,
  EXP_GET: 12,
  EXP_FLUSH: 13,
  EXP_EVENT: 14,
  CT_COUNT: 15,
  EXP_COUNT: 16,
  CT_STATS: 17,
  EXP_STATS: 18,
  CT_ADD: 19,
} as const;
/** NUMBER_OF_CMD (_CT_BIT_MAX) */
export const NUMBER_OF_CMD = 20;

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
// generic_opt_check (src/conntrack.c)

/**
 * conntrack.c generic_opt_check(): for each option bit i (in order) a missing mandatory option (optset[i] == 1) or
 * a present illegal one (optset[i] == 0) throws a parameter problem. Then, if some optset[i] == 3 and coupled
 * flags are given, looks for an exact match of one coupled pair ({ok:true}) or reports the first partial match
 * (partial = -1 when none).
 */
export function genericOptCheck(
  options: number,
  numOpts: number,
  optset: readonly number[],
  optflags: readonly string[],
  coupled?: readonly number[],
): { ok: true } | { ok: false; partial: number } {
  let specialCase = false;
  for (let i = 0; i < numOpts; i++) {
    const set = optset[i] ?? 0;
    // glibc printf("%s", NULL) prints "(null)"; never reached with the C tables
    const name = optflags[i] ?? '(null)';
    if (!(options & (1 << i))) {
      if (set === 1) throw parameterProblem(`You need to supply the \`--${name}' option for this command`);
    } else if (set === 0) {
      throw parameterProblem(`Illegal option \`--${name}' with this command`);
    }
    if (set === 3) specialCase = true;
  }
  // no weird flag combinations, leave
  if (!specialCase || coupled === undefined) return { ok: true };

  let partial = -1;
  for (let i = 0; i < coupled.length; i++) {
    // an exact match of a pair ends the search ...
    if ((options & coupled[i]) === coupled[i]) return { ok: true };
    // ... otherwise remember the first partial match
    if (options & coupled[i] && partial < 0) partial = i;
  }
  return { ok: false, partial };
}

// ---------------------------------------------------------------------------------------------------------------
// Shared pieces

const ch = (s: string): number => s.charCodeAt(0);
const opt = (name: string, val: number): LongOption => ({ name, hasArg: 1, val });

/** A port/key option: stores the value in tuple.field and sets tuple.protonum (ATTR_{ORIG,REPL}_L4PROTO). */
interface PortAction {
  tuple: 'orig' | 'reply' | 'mask' | 'exptuple';
  field: 'srcPort' | 'dstPort';
  /** the extension's flag bit (CT_*_ORIG_SPORT, ...) */
  flag: number;
}

/** ct / mask / exptuple ports in the order every port-style extension numbers them: options 1..6 */
const PORT_ACTIONS_1_TO_6: readonly PortAction[] = [
  { tuple: 'orig', field: 'srcPort', flag: 1 << 0 },
  { tuple: 'orig', field: 'dstPort', flag: 1 << 1 },
  { tuple: 'reply', field: 'srcPort', flag: 1 << 2 },
  { tuple: 'reply', field: 'dstPort', flag: 1 << 3 },
  { tuple: 'mask', field: 'srcPort', flag: 1 << 4 },
  { tuple: 'mask', field: 'dstPort', flag: 1 << 5 },
];

function applyPort(tmpl: Template, a: PortAction, value: number, protonum: number, state: { flags: number }): void {
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
const asChar = (c: number): number => c & 0xff;

/** port = htons(atoi(optarg)) → host-order u16 of atoi */
const portAtoi = (s: string): number => u16(atoi(s));
/** GRE: port = htons(strtoul(optarg, NULL, 0)) */
const keyStrtoul = (s: string): number => u16(strtoul(s, 0)[0]);

/** The "you have to specify ..." texts of a port-style final_check for partial = -1/0 and 1 (sic, as in the C). */
function pairCheck(
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
const PORT_VALID_FLAGS = [(1 << 0) | (1 << 1), (1 << 2) | (1 << 3)] as const;

const MSG_SPORT_DPORT = "you have to specify `--sport' and `--dport'";
/** sic: the option is really called --reply-port-src / --reply-port-dst */
const MSG_REPLY_SRC_DST_PORT = "you have to specify `--reply-src-port' and `--reply-dst-port'";

const PORT_HELP =
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
// TCP (extensions/libct_proto_tcp.c)

/** tcp_states[] (index = enum tcp_state, TCP_CONNTRACK_MAX = 10) */
export const TCP_STATES = EXT_TCP_STATES;
const TCP_CONNTRACK_TIME_WAIT = 7;
/** TCP_CONNTRACK_LISTEN == TCP_CONNTRACK_SYN_SENT2 */
const TCP_CONNTRACK_LISTEN = 9;

/** IP_CT_TCP_FLAG_* (linux/netfilter/nf_conntrack_tcp.h) */
export const IP_CT_TCP_FLAG = {
  WINDOW_SCALE: 0x01,
  SACK_PERM: 0x02,
  CLOSE_INIT: 0x04,
  BE_LIBERAL: 0x08,
} as const;

const TCP_STATE_FLAG = 1 << 6; // CT_TCP_STATE

/** tcp/sctp/dccp share the option numbering 1..9: ports 1-6, state 7, tuple ports 8-9 */
const PORT_ACTIONS_TUPLE_8_9: readonly PortAction[] = [
  { tuple: 'exptuple', field: 'srcPort', flag: 1 << 7 },
  { tuple: 'exptuple', field: 'dstPort', flag: 1 << 8 },
];

export const PROTO_TCP: ProtoHandler = {
  name: 'tcp',
  protonum: IPPROTO.TCP,
  opts: [
    opt('orig-port-src', ch('1')),
    opt('sport', ch('1')),
    opt('orig-port-dst', ch('2')),
    opt('dport', ch('2')),
    opt('reply-port-src', ch('3')),
    opt('reply-port-dst', ch('4')),
    opt('mask-port-src', ch('5')),
    opt('mask-port-dst', ch('6')),
    opt('state', ch('7')),
    opt('tuple-port-src', ch('8')),
    opt('tuple-port-dst', ch('9')),
  ],
  numOpts: 10, // TCP_NUMBER_OF_OPT
  optflags: [
    'sport',
    'dport',
    'reply-port-src',
    'reply-port-dst',
    'mask-port-src',
    'mask-port-dst',
    'state',
    'tuple-port-src',
    'tuple-port-dst',
  ],
  // tcp_commands_v_options: 1 2 3 4 5 6 7 8 9
  commandsVOptions: matrix({
    [CMD_BIT.CT_LIST]: [2, 2, 2, 2, 0, 0, 2, 0, 0],
    [CMD_BIT.CT_CREATE]: [3, 3, 3, 3, 0, 0, 1, 0, 0],
    [CMD_BIT.CT_UPDATE]: [2, 2, 2, 2, 0, 0, 2, 0, 0],
    [CMD_BIT.CT_DELETE]: [2, 2, 2, 2, 0, 0, 2, 0, 0],
    [CMD_BIT.CT_GET]: [3, 3, 3, 3, 0, 0, 2, 0, 0],
    [CMD_BIT.CT_EVENT]: [2, 2, 2, 2, 0, 0, 2, 0, 0],
    [CMD_BIT.EXP_CREATE]: [1, 1, 0, 0, 1, 1, 0, 1, 1],
    [CMD_BIT.EXP_DELETE]: [1, 1, 1, 1, 0, 0, 0, 0, 0],
    [CMD_BIT.EXP_GET]: [1, 1, 1, 1, 0, 0, 0, 0, 0],
    [CMD_BIT.CT_ADD]: [3, 3, 3, 3, 0, 0, 1, 0, 0],
  }),
  help: PORT_HELP + '  --state\t\t\tTCP state, fe. ESTABLISHED\n',
  parse(c, optarg, tmpl, state) {
    c = asChar(c);
    if (c >= ch('1') && c <= ch('6')) {
      applyPort(tmpl, PORT_ACTIONS_1_TO_6[c - ch('1')], portAtoi(optarg), IPPROTO.TCP, state);
    } else if (c === ch('8') || c === ch('9')) {
      applyPort(tmpl, PORT_ACTIONS_TUPLE_8_9[c - ch('8')], portAtoi(optarg), IPPROTO.TCP, state);
    } else if (c === ch('7')) {
      // exact, case-sensitive strcmp over the table; "LISTEN" for kernels < 2.6.31
      const i = TCP_STATES.indexOf(optarg);
      if (i >= 0) tmpl.tcpState = i;
      if (optarg === 'LISTEN') tmpl.tcpState = TCP_CONNTRACK_LISTEN;
      else if (i < 0) throw parameterProblem(`unknown TCP state \`${optarg}'`);
      state.flags |= TCP_STATE_FLAG;
    }
  },
  finalCheck(flags, cmd, tmpl) {
    pairCheck(flags, cmd, PROTO_TCP, PORT_VALID_FLAGS, [MSG_SPORT_DPORT, MSG_REPLY_SRC_DST_PORT]);
    // Disable window tracking for manually created entries. The C does this for every command that reaches
    // final_check (not only -I/-A); whether it is sent is up to the command.
    // nfct_get_attr_u8 of an unset state reads 0.
    let tcpFlags = IP_CT_TCP_FLAG.BE_LIBERAL | IP_CT_TCP_FLAG.SACK_PERM;
    // allows reopening a connection directly from TIME_WAIT (RFC 1122)
    if ((tmpl.tcpState ?? 0) >= TCP_CONNTRACK_TIME_WAIT) tcpFlags |= IP_CT_TCP_FLAG.CLOSE_INIT;
    tmpl.tcpFlags = tcpFlags;
  },
};

// ---------------------------------------------------------------------------------------------------------------
// UDP (extensions/libct_proto_udp.c) and UDP-Lite (extensions/libct_proto_udplite.c)

/** udp/udplite/gre: ports 1-6, tuple ports 7-8 */
const PORT_ACTIONS_TUPLE_7_8: readonly PortAction[] = [
  { tuple: 'exptuple', field: 'srcPort', flag: 1 << 6 },
  { tuple: 'exptuple', field: 'dstPort', flag: 1 << 7 },
];

/** udp_commands_v_options == udplite_commands_v_options (1 2 3 4 5 6 7 8) */
const UDP_MATRIX = matrix({
  [CMD_BIT.CT_LIST]: [2, 2, 2, 2, 0, 0, 0, 0],
  [CMD_BIT.CT_CREATE]: [3, 3, 3, 3, 0, 0, 0, 0],
  [CMD_BIT.CT_UPDATE]: [2, 2, 2, 2, 0, 0, 0, 0],
  [CMD_BIT.CT_DELETE]: [2, 2, 2, 2, 0, 0, 0, 0],
  [CMD_BIT.CT_GET]: [3, 3, 3, 3, 0, 0, 0, 0],
  [CMD_BIT.CT_EVENT]: [2, 2, 2, 2, 0, 0, 0, 0],
  [CMD_BIT.EXP_CREATE]: [1, 1, 0, 0, 1, 1, 1, 1],
  [CMD_BIT.EXP_DELETE]: [1, 1, 1, 1, 0, 0, 0, 0],
  [CMD_BIT.EXP_GET]: [1, 1, 1, 1, 0, 0, 0, 0],
  [CMD_BIT.CT_ADD]: [3, 3, 3, 3, 0, 0, 0, 0],
});

const UDP_OPTFLAGS = [
  'sport',
  'dport',
  'reply-port-src',
  'reply-port-dst',
  'mask-port-src',
  'mask-port-dst',
  'tuple-port-src',
  'tuple-port-dst',
] as const;

function udpLikeParse(protonum: number): ProtoHandler['parse'] {
  return (c, optarg, tmpl, state) => {
    c = asChar(c);
    if (c >= ch('1') && c <= ch('6')) {
      applyPort(tmpl, PORT_ACTIONS_1_TO_6[c - ch('1')], portAtoi(optarg), protonum, state);
    } else if (c === ch('7') || c === ch('8')) {
      applyPort(tmpl, PORT_ACTIONS_TUPLE_7_8[c - ch('7')], portAtoi(optarg), protonum, state);
    }
  };
}

export const PROTO_UDP: ProtoHandler = {
  name: 'udp',
  protonum: IPPROTO.UDP,
  opts: [
    opt('orig-port-src', ch('1')),
    opt('sport', ch('1')),
    opt('orig-port-dst', ch('2')),
    opt('dport', ch('2')),
    opt('reply-port-src', ch('3')),
    opt('reply-port-dst', ch('4')),
    opt('mask-port-src', ch('5')),
    opt('mask-port-dst', ch('6')),
    opt('tuple-port-src', ch('7')),
    opt('tuple-port-dst', ch('8')),
  ],
  numOpts: 9, // UDP_NUMBER_OF_OPT
  optflags: UDP_OPTFLAGS,
  commandsVOptions: UDP_MATRIX,
  help: PORT_HELP,
  parse: udpLikeParse(IPPROTO.UDP),
  finalCheck(flags, cmd) {
    pairCheck(flags, cmd, PROTO_UDP, PORT_VALID_FLAGS, [MSG_SPORT_DPORT, MSG_REPLY_SRC_DST_PORT]);
  },
};

export const PROTO_UDPLITE: ProtoHandler = {
  name: 'udplite',
  protonum: IPPROTO.UDPLITE,
  // note the different order: the aliases come last here
  opts: [
    opt('orig-port-src', ch('1')),
    opt('orig-port-dst', ch('2')),
    opt('reply-port-src', ch('3')),
    opt('reply-port-dst', ch('4')),
    opt('mask-port-src', ch('5')),
    opt('mask-port-dst', ch('6')),
    opt('tuple-port-src', ch('7')),
    opt('tuple-port-dst', ch('8')),
    opt('sport', ch('1')),
    opt('dport', ch('2')),
  ],
  numOpts: 11, // UDP_OPT_MAX
  optflags: UDP_OPTFLAGS,
  commandsVOptions: UDP_MATRIX,
  help: PORT_HELP,
  parse: udpLikeParse(IPPROTO.UDPLITE),
  finalCheck(flags, cmd) {
    pairCheck(flags, cmd, PROTO_UDPLITE, PORT_VALID_FLAGS, [MSG_SPORT_DPORT, MSG_REPLY_SRC_DST_PORT]);
  },
};

// ---------------------------------------------------------------------------------------------------------------
// SCTP (extensions/libct_proto_sctp.c): option codes are the plain numbers 1..11, not characters

/**
 * sctp_states[] as the C initialises it. NOTE: the 1.4.7 binary is built against a libnetfilter_conntrack whose
 * SCTP_CONNTRACK_MAX also counts HEARTBEAT_SENT/HEARTBEAT_ACKED, which have no name here, so an unknown state makes
 * it strcmp() against NULL and crash (exit 139). We report the error the C intends instead.
 */
export const SCTP_STATES = EXT_SCTP_STATES;

export const PROTO_SCTP: ProtoHandler = {
  name: 'sctp',
  protonum: IPPROTO.SCTP,
  opts: [
    opt('orig-port-src', 1),
    opt('orig-port-dst', 2),
    opt('reply-port-src', 3),
    opt('reply-port-dst', 4),
    opt('mask-port-src', 5),
    opt('mask-port-dst', 6),
    opt('state', 7),
    opt('tuple-port-src', 8),
    opt('tuple-port-dst', 9),
    opt('orig-vtag', 10),
    opt('reply-vtag', 11),
    opt('sport', 1), // alias
    opt('dport', 2), // alias
  ],
  numOpts: 14, // SCTP_OPT_MAX
  optflags: [
    'sport',
    'dport',
    'reply-port-src',
    'reply-port-dst',
    'mask-port-src',
    'mask-port-dst',
    'state',
    'tuple-port-src',
    'tuple-port-dst',
    'orig-vtag',
    'reply-vtag',
  ],
  // sctp_commands_v_options: 1 2 3 4 5 6 7 8 9 10 11
  commandsVOptions: matrix({
    [CMD_BIT.CT_LIST]: [2, 2, 2, 2, 0, 0, 2, 0, 0, 0, 0],
    [CMD_BIT.CT_CREATE]: [3, 3, 3, 3, 0, 0, 1, 0, 0, 1, 1],
    [CMD_BIT.CT_UPDATE]: [2, 2, 2, 2, 0, 0, 2, 0, 0, 2, 2],
    [CMD_BIT.CT_DELETE]: [2, 2, 2, 2, 0, 0, 2, 0, 0, 0, 0],
    [CMD_BIT.CT_GET]: [3, 3, 3, 3, 0, 0, 2, 0, 0, 2, 2],
    [CMD_BIT.CT_EVENT]: [2, 2, 2, 2, 0, 0, 2, 0, 0, 0, 0],
    [CMD_BIT.EXP_CREATE]: [1, 1, 0, 0, 1, 1, 0, 1, 1, 1, 1],
    [CMD_BIT.EXP_DELETE]: [1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0],
    [CMD_BIT.EXP_GET]: [1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0],
    [CMD_BIT.CT_ADD]: [3, 3, 3, 3, 0, 0, 1, 0, 0, 1, 1],
  }),
  help:
    PORT_HELP +
    '  --state\t\t\tSCTP state, fe. ESTABLISHED\n' +
    '  --orig-vtag\t\toriginal verification tag\n' +
    '  --reply-vtag\t\treply verification tag\n',
  parse(c, optarg, tmpl, state) {
    c = asChar(c);
    if (c >= 1 && c <= 6) {
      applyPort(tmpl, PORT_ACTIONS_1_TO_6[c - 1], portAtoi(optarg), IPPROTO.SCTP, state);
    } else if (c === 8 || c === 9) {
      applyPort(tmpl, PORT_ACTIONS_TUPLE_8_9[c - 8], portAtoi(optarg), IPPROTO.SCTP, state);
    } else if (c === 7) {
      const i = SCTP_STATES.indexOf(optarg);
      if (i < 0) throw parameterProblem(`unknown SCTP state \`${optarg}'`);
      tmpl.sctpState = i;
      state.flags |= 1 << 6; // CT_SCTP_STATE
    } else if (c === 10) {
      // vtag = htonl(atoi(optarg)): no L4PROTO side effect
      tmpl.sctpVtagOrig = u32(atoi(optarg));
      state.flags |= 1 << 9; // CT_SCTP_ORIG_VTAG
    } else if (c === 11) {
      tmpl.sctpVtagReply = u32(atoi(optarg));
      state.flags |= 1 << 10; // CT_SCTP_REPL_VTAG
    }
  },
  finalCheck(flags, cmd) {
    // (the C names this pair table dccp_valid_flags)
    pairCheck(flags, cmd, PROTO_SCTP, PORT_VALID_FLAGS, [MSG_SPORT_DPORT, MSG_REPLY_SRC_DST_PORT]);
  },
};

// ---------------------------------------------------------------------------------------------------------------
// DCCP (extensions/libct_proto_dccp.c): option codes 1..10

/** dccp_states[] (DCCP_CONNTRACK_MAX = 10) */
export const DCCP_STATES = EXT_DCCP_STATES;
/** dccp_roles[] (DCCP_CONNTRACK_ROLE_CLIENT = 0, _SERVER = 1) */
export const DCCP_ROLES = EXT_DCCP_ROLES;

/** strncasecmp(arg, word, strlen(arg)) == 0, ASCII case folding (C locale): arg is a case-insensitive prefix */
function isCasePrefix(arg: string, word: string): boolean {
  if (arg.length > word.length) return false;
  return asciiLower(arg) === asciiLower(word.slice(0, arg.length));
}

export const PROTO_DCCP: ProtoHandler = {
  name: 'dccp',
  protonum: IPPROTO.DCCP,
  opts: [
    opt('orig-port-src', 1),
    opt('orig-port-dst', 2),
    opt('reply-port-src', 3),
    opt('reply-port-dst', 4),
    opt('mask-port-src', 5),
    opt('mask-port-dst', 6),
    opt('state', 7),
    opt('tuple-port-src', 8),
    opt('tuple-port-dst', 9),
    opt('sport', 1), // alias
    opt('dport', 2), // alias
    opt('role', 10),
  ],
  numOpts: 13, // DCCP_OPT_MAX
  optflags: [
    'sport',
    'dport',
    'reply-port-src',
    'reply-port-dst',
    'mask-port-src',
    'mask-port-dst',
    'state',
    'tuple-port-src',
    'tuple-port-dst',
    'role',
  ],
  // dccp_commands_v_options: 1 2 3 4 5 6 7 8 9 10
  commandsVOptions: matrix({
    [CMD_BIT.CT_LIST]: [2, 2, 2, 2, 0, 0, 2, 0, 0, 0],
    [CMD_BIT.CT_CREATE]: [3, 3, 3, 3, 0, 0, 1, 0, 0, 1],
    [CMD_BIT.CT_UPDATE]: [2, 2, 2, 2, 0, 0, 2, 0, 0, 0],
    [CMD_BIT.CT_DELETE]: [2, 2, 2, 2, 0, 0, 2, 0, 0, 0],
    [CMD_BIT.CT_GET]: [3, 3, 3, 3, 0, 0, 2, 0, 0, 0],
    [CMD_BIT.CT_EVENT]: [2, 2, 2, 2, 0, 0, 2, 0, 0, 0],
    [CMD_BIT.EXP_CREATE]: [1, 1, 0, 0, 1, 1, 0, 1, 1, 1],
    [CMD_BIT.EXP_DELETE]: [1, 1, 1, 1, 0, 0, 0, 0, 0, 0],
    [CMD_BIT.EXP_GET]: [1, 1, 1, 1, 0, 0, 0, 0, 0, 0],
    [CMD_BIT.CT_ADD]: [3, 3, 3, 3, 0, 0, 1, 0, 0, 1],
  }),
  // (the help does not mention --role)
  help: PORT_HELP + '  --state\t\t\tDCCP state, fe. RESPOND\n',
  parse(c, optarg, tmpl, state) {
    c = asChar(c);
    if (c >= 1 && c <= 6) {
      applyPort(tmpl, PORT_ACTIONS_1_TO_6[c - 1], portAtoi(optarg), IPPROTO.DCCP, state);
    } else if (c === 8 || c === 9) {
      applyPort(tmpl, PORT_ACTIONS_TUPLE_8_9[c - 8], portAtoi(optarg), IPPROTO.DCCP, state);
    } else if (c === 7) {
      const i = DCCP_STATES.indexOf(optarg);
      if (i < 0) throw parameterProblem(`Unknown DCCP state \`${optarg}'`);
      tmpl.dccpState = i;
      state.flags |= 1 << 6; // CT_DCCP_STATE
    } else if (c === 10) {
      // case-insensitive prefix of "client" first (so the empty string is client), then "server"
      if (isCasePrefix(optarg, 'client')) tmpl.dccpRole = 0;
      else if (isCasePrefix(optarg, 'server')) tmpl.dccpRole = 1;
      else throw parameterProblem(`Unknown DCCP role \`${optarg}'`);
      state.flags |= 1 << 9; // CT_DCCP_ROLE
    }
  },
  finalCheck(flags, cmd) {
    // sic: `--report-port-dst'
    pairCheck(flags, cmd, PROTO_DCCP, PORT_VALID_FLAGS, [
      MSG_SPORT_DPORT,
      "you have to specify `--reply-port-src' and `--report-port-dst'",
    ]);
  },
};

// ---------------------------------------------------------------------------------------------------------------
// ICMP (extensions/libct_proto_icmp.c) and ICMPv6 (extensions/libct_proto_icmpv6.c)

/** icmp_commands_v_options == icmpv6_commands_v_options (type code id) */
const ICMP_MATRIX = matrix({
  [CMD_BIT.CT_LIST]: [2, 2, 2],
  [CMD_BIT.CT_CREATE]: [1, 1, 2],
  [CMD_BIT.CT_UPDATE]: [2, 2, 2],
  [CMD_BIT.CT_DELETE]: [2, 2, 2],
  [CMD_BIT.CT_GET]: [1, 1, 2],
  [CMD_BIT.CT_EVENT]: [2, 2, 2],
  [CMD_BIT.CT_ADD]: [1, 1, 2],
});

function icmpLikeParse(protonum: number): ProtoHandler['parse'] {
  return (c, optarg, tmpl, state) => {
    c = asChar(c);
    if (c < ch('1') || c > ch('3')) return;
    if (c === ch('1')) tmpl.orig.icmpType = u8(atoi(optarg));
    else if (c === ch('2')) tmpl.orig.icmpCode = u8(atoi(optarg));
    else tmpl.orig.icmpId = u16(atoi(optarg)); // id = htons(atoi(optarg))
    // ATTR_L4PROTO (= ATTR_ORIG_L4PROTO), and the reply's when a reply address already set ATTR_REPL_L3PROTO
    tmpl.orig.protonum = protonum;
    if (tmpl.reply.l3 !== undefined) tmpl.reply.protonum = protonum;
    state.flags |= 1 << (c - ch('1')); // CT_ICMP_TYPE / _CODE / _ID
  };
}

export const PROTO_ICMP: ProtoHandler = {
  name: 'icmp',
  protonum: IPPROTO.ICMP,
  opts: [opt('icmp-type', ch('1')), opt('icmp-code', ch('2')), opt('icmp-id', ch('3'))],
  numOpts: 4, // ICMP_NUMBER_OF_OPT
  optflags: ['icmp-type', 'icmp-code', 'icmp-id'],
  commandsVOptions: ICMP_MATRIX,
  help: '  --icmp-type\t\t\ticmp type\n' + '  --icmp-code\t\t\ticmp code\n' + '  --icmp-id\t\t\ticmp id\n',
  parse: icmpLikeParse(IPPROTO.ICMP),
  finalCheck(flags, cmd) {
    // no coupled flags: the result is ignored
    genericOptCheck(flags, PROTO_ICMP.numOpts, PROTO_ICMP.commandsVOptions[cmd] ?? [], PROTO_ICMP.optflags);
  },
};

export const PROTO_ICMPV6: ProtoHandler = {
  name: 'icmpv6',
  protonum: IPPROTO.ICMPV6,
  opts: [opt('icmpv6-type', ch('1')), opt('icmpv6-code', ch('2')), opt('icmpv6-id', ch('3'))],
  numOpts: 4, // ICMPV6_NUMBER_OF_OPT
  optflags: ['icmpv6-type', 'icmpv6-code', 'icmpv6-id'],
  commandsVOptions: ICMP_MATRIX,
  help: '  --icmpv6-type\t\t\ticmpv6 type\n' + '  --icmpv6-code\t\t\ticmpv6 code\n' + '  --icmpv6-id\t\t\ticmpv6 id\n',
  parse: icmpLikeParse(IPPROTO.ICMPV6),
  finalCheck(flags, cmd) {
    genericOptCheck(flags, PROTO_ICMPV6.numOpts, PROTO_ICMPV6.commandsVOptions[cmd] ?? [], PROTO_ICMPV6.optflags);
  },
};

// ---------------------------------------------------------------------------------------------------------------
// GRE (extensions/libct_proto_gre.c): keys parsed with strtoul(…, 0), stored as 16-bit "ports"

export const PROTO_GRE: ProtoHandler = {
  name: 'gre',
  protonum: IPPROTO.GRE,
  opts: [
    opt('orig-key-src', ch('1')),
    opt('srckey', ch('1')),
    opt('orig-key-dst', ch('2')),
    opt('dstkey', ch('2')),
    opt('reply-key-src', ch('3')),
    opt('reply-key-dst', ch('4')),
    opt('mask-key-src', ch('5')),
    opt('mask-key-dst', ch('6')),
    opt('tuple-key-src', ch('7')),
    opt('tuple-key-dst', ch('8')),
  ],
  numOpts: 11, // GRE_OPT_MAX
  optflags: [
    'srckey',
    'dstkey',
    'reply-key-src',
    'reply-key-dst',
    'mask-key-src',
    'mask-key-dst',
    'tuple-key-src',
    'tuple-key-dst',
  ],
  // gre_commands_v_options: 1 2 3 4 5 6 7 8 (like udp, but EXP_CREATE needs all eight)
  commandsVOptions: matrix({
    [CMD_BIT.CT_LIST]: [2, 2, 2, 2, 0, 0, 0, 0],
    [CMD_BIT.CT_CREATE]: [3, 3, 3, 3, 0, 0, 0, 0],
    [CMD_BIT.CT_UPDATE]: [2, 2, 2, 2, 0, 0, 0, 0],
    [CMD_BIT.CT_DELETE]: [2, 2, 2, 2, 0, 0, 0, 0],
    [CMD_BIT.CT_GET]: [3, 3, 3, 3, 0, 0, 0, 0],
    [CMD_BIT.CT_EVENT]: [2, 2, 2, 2, 0, 0, 0, 0],
    [CMD_BIT.EXP_CREATE]: [1, 1, 1, 1, 1, 1, 1, 1],
    [CMD_BIT.EXP_DELETE]: [1, 1, 1, 1, 0, 0, 0, 0],
    [CMD_BIT.EXP_GET]: [1, 1, 1, 1, 0, 0, 0, 0],
    [CMD_BIT.CT_ADD]: [3, 3, 3, 3, 0, 0, 0, 0],
  }),
  help:
    '  --orig-key-src\t\toriginal source key\n' +
    '  --orig-key-dst\t\toriginal destination key\n' +
    '  --reply-key-src\t\treply source key\n' +
    '  --reply-key-dst\t\treply destination key\n' +
    '  --mask-key-src\t\tmask source key\n' +
    '  --mask-key-dst\t\tmask destination key\n' +
    '  --tuple-key-src\t\texpectation tuple src key\n' +
    // sic: --tuple-key-src twice
    '  --tuple-key-src\t\texpectation tuple dst key\n',
  parse(c, optarg, tmpl, state) {
    c = asChar(c);
    if (c >= ch('1') && c <= ch('6')) {
      applyPort(tmpl, PORT_ACTIONS_1_TO_6[c - ch('1')], keyStrtoul(optarg), IPPROTO.GRE, state);
    } else if (c === ch('7') || c === ch('8')) {
      applyPort(tmpl, PORT_ACTIONS_TUPLE_7_8[c - ch('7')], keyStrtoul(optarg), IPPROTO.GRE, state);
    }
  },
  finalCheck(flags, cmd) {
    // sic: the options are --reply-key-src / --reply-key-dst
    pairCheck(flags, cmd, PROTO_GRE, PORT_VALID_FLAGS, [
      "you have to specify `--srckey' and `--dstkey'",
      "you have to specify `--reply-src-key' and `--reply-dst-key'",
    ]);
  },
};

// ---------------------------------------------------------------------------------------------------------------
// The unknown protocol (extensions/libct_proto_unknown.c): no options, no parse_opts, not in proto_list

export const PROTO_UNKNOWN: ProtoHandler = {
  name: 'unknown',
  protonum: 0,
  opts: [],
  numOpts: 0,
  optflags: [],
  commandsVOptions: [],
  help: '  no options (unsupported)\n',
  parse() {
    // h->parse_opts is NULL: conntrack.c skips the call
  },
  finalCheck(_flags, _cmd, tmpl) {
    // a reply tuple given with addresses gets the original's protocol number
    if (tmpl.reply.l3 !== undefined && tmpl.orig.protonum !== undefined && tmpl.reply.protonum === undefined)
      tmpl.reply.protonum = tmpl.orig.protonum;
  },
};

/** proto_list in iteration order: register_tcp() .. register_gre() each list_add() at the head */
export const PROTO_LIST: ProtoHandler[] = [
  PROTO_GRE,
  PROTO_ICMPV6,
  PROTO_ICMP,
  PROTO_DCCP,
  PROTO_SCTP,
  PROTO_UDPLITE,
  PROTO_UDP,
  PROTO_TCP,
];

// ---------------------------------------------------------------------------------------------------------------
// findproto() and /etc/protocols (glibc nss_files files-proto.c)

interface ProtoEnt {
  name: string;
  proto: number;
  aliases: string[];
}

const isCSpace = (c: string | undefined): boolean =>
  c === ' ' || c === '\t' || c === '\n' || c === '\v' || c === '\f' || c === '\r';

/** Reads a protocols file the way glibc's files backend does; a missing/unreadable file has no entries. */
function readProtocols(file: string): ProtoEnt[] {
  let text: string;
  try {
    text = readFileSync(file, TEXT);
  } catch {
    return [];
  }
  const out: ProtoEnt[] = [];
  for (const raw of text.split('\n')) {
    // skip leading blanks; empty and comment lines are ignored
    let i = 0;
    while (isCSpace(raw[i])) i++;
    let line = raw.slice(i);
    if (line === '' || line[0] === '#') continue;
    // LINE_PARSER("#", ...): the line ends at the first '#'
    const hash = line.indexOf('#');
    if (hash >= 0) line = line.slice(0, hash);
    // STRING_FIELD(p_name, isspace, 1)
    let p = 0;
    while (p < line.length && !isCSpace(line[p])) p++;
    const name = line.slice(0, p);
    while (isCSpace(line[p])) p++;
    // INT_FIELD(p_proto, isspace, 1, 10, ): strtoul base 10, must end at a blank or the end of the line
    const rest = line.slice(p);
    const [v, end] = strtoul(rest, 10);
    if (end === 0) continue;
    if (end < rest.length && !isCSpace(rest[end])) continue;
    const proto = Number(BigInt.asIntN(32, BigInt.asUintN(32, v)));
    // TRAILING_LIST_PARSER: aliases separated by blanks
    const aliases = rest
      .slice(end)
      .split(/[ \t\n\v\f\r]+/)
      .filter((s) => s !== '');
    out.push({ name, proto, aliases });
  }
  return out;
}

const DEFAULT_PROTOCOLS = '/etc/protocols';

/** getprotobyname(name): first entry whose name or an alias equals name (strcmp, case-sensitive) */
function getProtoByName(name: string, file: string): ProtoEnt | undefined {
  return readProtocols(file).find((e) => e.name === name || e.aliases.includes(name));
}

/** getprotobynumber(n)?.p_name, as extension_help uses it for the unknown handler */
export function protoNameByNumber(n: number, protocolsFile: string = DEFAULT_PROTOCOLS): string | undefined {
  return readProtocols(protocolsFile).find((e) => e.proto === n)?.name;
}

function asciiLower(s: string): string {
  // fast path: most names are lowercase already (tcp, udp, ...)
  if (!/[A-Z]/.test(s)) return s;
  return s.replace(/[A-Z]/g, (c) => String.fromCharCode(c.charCodeAt(0) + 32));
}

/** parse_proto_num(): strtoul(str, &end, 0), must consume everything and be <= IPPROTO_RAW (255); else -1 */
function parseProtoNum(str: string): number {
  const [val, end] = strtoul(str, 0);
  if (val > 255n || end === 0 || end !== str.length) return -1;
  return Number(val);
}

/**
 * findproto(name): a registered handler by name (strcasecmp), then getprotobyname() (→ the unknown handler with that
 * number: `ipv6-icmp` is unknown/58, not icmpv6), then a number (strtoul base 0, <= 255) → the registered handler
 * with that number, else the unknown handler. undefined → conntrack says "`%s' unsupported protocol".
 * NOTE: protonum is the C int *pnum; conntrack stores it with nfct_set_attr_u8(ATTR_L4PROTO), so a protocols entry
 * above 255 (`mptcp 262`) becomes 6 in the template while extension_help still prints `mptcp'.
 */
export function findProto(
  name: string,
  protocolsFile: string = DEFAULT_PROTOCOLS,
): { handler: ProtoHandler; protonum: number } | undefined {
  const lname = asciiLower(name);
  for (const h of PROTO_LIST) if (h.name === lname) return { handler: h, protonum: h.protonum }; // names are lowercase

  const pent = getProtoByName(name, protocolsFile);
  if (pent) return { handler: PROTO_UNKNOWN, protonum: pent.proto };

  const protonum = parseProtoNum(name);
  if (protonum >= 0) {
    const h = PROTO_LIST.find((x) => x.protonum === protonum);
    return { handler: h ?? PROTO_UNKNOWN, protonum };
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------------------------------

/** A C command matrix from its designated initialisers: rows left out are all zeros. */
function matrix(rows: Partial<Record<number, number[]>>): number[][] {
  const out: number[][] = [];
  for (let i = 0; i < NUMBER_OF_CMD; i++) out.push(rows[i] ?? []);
  return out;
}
