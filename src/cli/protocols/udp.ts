// UDP (extensions/libct_proto_udp.c) and UDP-Lite (extensions/libct_proto_udplite.c)

import { IPPROTO } from '../../ctnetlink/constants.js';
import { CMD_BIT } from '../commands.js';
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
  PORT_ACTIONS_TUPLE_7_8,
} from './handler.js';
import type { ProtoHandler } from './handler.js';

/** udp_commands_v_options == udplite_commands_v_options (1 2 3 4 5 6 7 8) */
export const UDP_MATRIX = matrix({
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

export const UDP_OPTFLAGS = [
  'sport',
  'dport',
  'reply-port-src',
  'reply-port-dst',
  'mask-port-src',
  'mask-port-dst',
  'tuple-port-src',
  'tuple-port-dst',
] as const;

export function udpLikeParse(protonum: number): ProtoHandler['parse'] {
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
