// GRE (extensions/libct_proto_gre.c): keys parsed with strtoul(…, 0), stored as 16-bit "ports"

import { IPPROTO } from '../../ctnetlink/constants.js';
import { CMD_BIT } from '../commands.js';
import {
  ch,
  opt,
  PORT_ACTIONS_1_TO_6,
  applyPort,
  asChar,
  keyStrtoul,
  pairCheck,
  PORT_VALID_FLAGS,
  matrix,
  PORT_ACTIONS_TUPLE_7_8,
} from './handler.js';
import type { ProtoHandler } from './handler.js';

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
  optflags: ['srckey', 'dstkey', 'reply-key-src', 'reply-key-dst', 'mask-key-src', 'mask-key-dst', 'tuple-key-src', 'tuple-key-dst'],
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
