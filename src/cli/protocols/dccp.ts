// DCCP (extensions/libct_proto_dccp.c): option codes 1..10

import { IPPROTO } from '../../ctnetlink/constants.js';
import { EXT_DCCP_ROLES, EXT_DCCP_STATES } from '../../format/tables.js';
import { CMD_BIT } from '../commands.js';
import { parameterProblem } from '../../commands/errors.js';
import {
  opt,
  PORT_ACTIONS_1_TO_6,
  applyPort,
  asChar,
  portAtoi,
  pairCheck,
  PORT_VALID_FLAGS,
  MSG_SPORT_DPORT,
  PORT_HELP,
  matrix,
  asciiLower,
  PORT_ACTIONS_TUPLE_8_9,
} from './handler.js';
import type { ProtoHandler } from './handler.js';

/** dccp_states[] (DCCP_CONNTRACK_MAX = 10) */
export const DCCP_STATES = EXT_DCCP_STATES;
/** dccp_roles[] (DCCP_CONNTRACK_ROLE_CLIENT = 0, _SERVER = 1) */
export const DCCP_ROLES = EXT_DCCP_ROLES;

/** strncasecmp(arg, word, strlen(arg)) == 0, ASCII case folding (C locale): arg is a case-insensitive prefix */
export function isCasePrefix(arg: string, word: string): boolean {
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
