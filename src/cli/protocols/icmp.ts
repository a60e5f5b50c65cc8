// ICMP (extensions/libct_proto_icmp.c) and ICMPv6 (extensions/libct_proto_icmpv6.c)

import { IPPROTO } from '../../ctnetlink/constants.js';
import { CMD_BIT } from '../commands.js';
import { atoi, u16, u8 } from '../cnum.js';
import { ch, opt, asChar, matrix } from './handler.js';
import type { ProtoHandler } from './handler.js';
import { genericOptCheck } from './option-check.js';

/** icmp_commands_v_options == icmpv6_commands_v_options (type code id) */
export const ICMP_MATRIX = matrix({
  [CMD_BIT.CT_LIST]: [2, 2, 2],
  [CMD_BIT.CT_CREATE]: [1, 1, 2],
  [CMD_BIT.CT_UPDATE]: [2, 2, 2],
  [CMD_BIT.CT_DELETE]: [2, 2, 2],
  [CMD_BIT.CT_GET]: [1, 1, 2],
  [CMD_BIT.CT_EVENT]: [2, 2, 2],
  [CMD_BIT.CT_ADD]: [1, 1, 2],
});

export function icmpLikeParse(protonum: number): ProtoHandler['parse'] {
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
