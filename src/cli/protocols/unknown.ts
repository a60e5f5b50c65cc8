// The unknown protocol (extensions/libct_proto_unknown.c): no options, no parse_opts, not in proto_list

import type { ProtoHandler } from './handler.js';

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
