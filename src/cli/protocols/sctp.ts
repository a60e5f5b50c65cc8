// SCTP (extensions/libct_proto_sctp.c): option codes are the plain numbers 1..11, not characters

import { IPPROTO } from '../../ctnetlink/constants.js';
import { EXT_SCTP_STATES } from '../../format/tables.js';
import { CMD_BIT } from '../commands.js';
import { parameterProblem } from '../../commands/errors.js';
import { atoi, u32 } from '../cnum.js';
import {
  opt,
  PORT_ACTIONS_1_TO_6,
  applyPort,
  asChar,
  portAtoi,
  pairCheck,
  PORT_VALID_FLAGS,
  MSG_SPORT_DPORT,
  MSG_REPLY_SRC_DST_PORT,
  PORT_HELP,
  matrix,
  PORT_ACTIONS_TUPLE_8_9,
} from './handler.js';
import type { ProtoHandler } from './handler.js';

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
