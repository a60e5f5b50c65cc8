// TCP (extensions/libct_proto_tcp.c)

import { IPPROTO } from '../../ctnetlink/constants.js';
import { EXT_TCP_STATES } from '../../format/tables.js';
import { CMD_BIT } from '../commands.js';
import { parameterProblem } from '../../commands/errors.js';
import {
  ch,
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

/** tcp_states[] (index = enum tcp_state, TCP_CONNTRACK_MAX = 10) */
export const TCP_STATES = EXT_TCP_STATES;
export const TCP_CONNTRACK_TIME_WAIT = 7;
/** TCP_CONNTRACK_LISTEN == TCP_CONNTRACK_SYN_SENT2 */
export const TCP_CONNTRACK_LISTEN = 9;

/** IP_CT_TCP_FLAG_* (linux/netfilter/nf_conntrack_tcp.h) */
export const IP_CT_TCP_FLAG = {
  WINDOW_SCALE: 0x01,
  SACK_PERM: 0x02,
  CLOSE_INIT: 0x04,
  BE_LIBERAL: 0x08,
} as const;

export const TCP_STATE_FLAG = 1 << 6; // CT_TCP_STATE

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
