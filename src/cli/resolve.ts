// The last step of parsing: a ParsedCommand (conntrack's option bits and template, as its parser leaves them)
// becomes the typed request its command takes (commands/request.ts). The option bits are read here and nowhere
// below: what the command line means for the filter (FlowQuery), the output (OutputSpec), the entry to create
// and the change to make is decided once, here. The checks conntrack makes before it sends anything
// (nfct_filter_init(), -z with a filter) are made here too, so a request is always one that can be run.

import { CMD, CT_COMPARISON, CT_EVENT_F, OPT, OPT_ORIG, OPT_REPL, OUT, TABLE } from './commands.js';
import { otherProblem, parameterProblem } from '../commands/errors.js';
import type { ParsedCommand } from './parse.js';
import type { Template, TupleTemplate } from './template.js';
import { icmpReplyType, inverse } from '../commands/create.js';
import type { CommandRequest, EventsRequest, FlowChange, ListRequest, ProtoInfoChange } from '../commands/request.js';
import { IPPROTO } from '../ctnetlink/constants.js';
import type { TupleSpec } from '../ctnetlink/encode.js';
import { EntrySpec, labelBitmap } from '../ctnetlink/template.js';
import { updateStatusFilter } from '../filter/kernel.js';
import { allFlows, FlowQuery, NatQuery, Network } from '../filter/query.js';
import type { OutputSpec } from '../format/output.js';

/** The request of a command that src/commands runs (every command but -V, -h and none, which cli/main.ts answers). */
export function resolveRequest(cmd: ParsedCommand): CommandRequest {
  if (cmd.extras.watch) return { kind: 'watch' };
  const { family } = cmd;
  switch (cmd.command) {
    case CMD.CT_LIST:
      return listRequest(cmd);
    case CMD.CT_DELETE:
      return { kind: 'delete', query: selectQuery(cmd), output: outputSpec(cmd) };
    case CMD.CT_GET:
      return { kind: 'get', query: selectQuery(cmd), output: outputSpec(cmd) };
    case CMD.CT_UPDATE:
      return { kind: 'update', query: updateQuery(cmd), change: flowChange(cmd), output: outputSpec(cmd) };
    case CMD.CT_CREATE:
    case CMD.CT_ADD:
      return { kind: 'create', family, flow: entryFromTemplate(cmd), exclusive: cmd.command === CMD.CT_CREATE };
    case CMD.CT_FLUSH:
      return { kind: 'flush', family };
    case CMD.CT_EVENT:
    case CMD.EXP_EVENT:
      return eventsRequest(cmd);
    case CMD.CT_COUNT:
      return { kind: 'count' };
    case CMD.CT_STATS:
      return { kind: 'stats' };
    case CMD.EXP_STATS:
      return { kind: 'expect-stats' };
    case CMD.EXP_LIST:
      return { kind: 'expect-list', family, output: outputSpec(cmd) };
    case CMD.EXP_COUNT:
      return { kind: 'expect-count', family };
    case CMD.EXP_FLUSH:
      return { kind: 'expect-flush', family };
    case CMD.EXP_GET:
      return { kind: 'expect-get', family, master: cmd.tmpl.orig, output: outputSpec(cmd) };
    case CMD.EXP_DELETE:
      return { kind: 'expect-delete', family, tuple: cmd.tmpl.orig };
    case CMD.EXP_CREATE: {
      const t = cmd.tmpl;
      const timeout = cmd.options & OPT.TIMEOUT ? t.timeout : undefined;
      return { kind: 'expect-create', family, tuple: t.exptuple, master: t.orig, mask: t.mask, timeout };
    }
    default:
      throw otherProblem('unknown command');
  }
}

/** -L: the dying and unconfirmed lists are dumped whole (conntrack ignores the options there). */
function listRequest(cmd: ParsedCommand): ListRequest {
  const { options, extras } = cmd;
  const table = cmd.table === TABLE.DYING ? 'dying' : cmd.table === TABLE.UNCONFIRMED ? 'unconfirmed' : 'conntrack';
  const tally = extras.tally ? { keys: extras.tally, top: extras.top } : undefined;
  const output = outputSpec(cmd);
  if (table !== 'conntrack') return { kind: 'list', table, query: allFlows(cmd.family), zero: false, output, tally };
  if (options & CT_COMPARISON && options & OPT.ZERO) throw parameterProblem("Can't use -z with filtering parameters");
  return { kind: 'list', table, query: selectQuery(cmd), zero: (options & OPT.ZERO) !== 0, output, tally };
}

/** -E: the event kinds of -e (all three without it; -E expect takes no -e and gets all three). */
function eventsRequest(cmd: ParsedCommand): EventsRequest {
  const { options } = cmd;
  const mask = options & OPT.EVENT_MASK ? cmd.eventMask : CT_EVENT_F.ALL;
  return {
    kind: 'events',
    table: cmd.command === CMD.EXP_EVENT ? 'expect' : 'conntrack',
    query: selectQuery(cmd),
    events:
      cmd.command === CMD.EXP_EVENT
        ? { new: true, update: true, destroy: true }
        : { new: (mask & CT_EVENT_F.NEW) !== 0, update: (mask & CT_EVENT_F.UPD) !== 0, destroy: (mask & CT_EVENT_F.DEL) !== 0 },
    // setsockopt(SO_RCVBUFFORCE) takes an int: the size as the 31 bits of it that count
    bufferSize: options & OPT.BUFFERSIZE ? Number(BigInt.asUintN(31, cmd.socketBufferSize)) : undefined,
    output: outputSpec(cmd),
  };
}

/** The protocol states and flags the handlers' options (--state, ...) and final checks put in the template. */
function protoInfoOf(tmpl: Template): ProtoInfoChange {
  return {
    tcpState: tmpl.tcpState,
    tcpFlags: tmpl.tcpFlags,
    sctpState: tmpl.sctpState,
    sctpVtagOrig: tmpl.sctpVtagOrig,
    sctpVtagReply: tmpl.sctpVtagReply,
    dccpState: tmpl.dccpState,
  };
}

/** What -U sets: -t, -u (OR'ed on), -m (value/mask), the protocol states and flags, --label-add / --label-del. */
export function flowChange(cmd: ParsedCommand): FlowChange {
  const { options, tmpl } = cmd;
  return {
    timeout: tmpl.timeout,
    status: options & OPT.STATUS ? tmpl.status : undefined,
    mark: options & OPT.MARK ? tmpl.mark : undefined,
    ...protoInfoOf(tmpl),
    addLabels: options & OPT.ADD_LABEL ? (tmpl.labelModify ?? new Set()) : undefined,
    deleteLabels: options & OPT.DEL_LABEL ? (tmpl.labelModify ?? 'all') : undefined,
  };
}

function spec(t: TupleTemplate, l3: number): TupleSpec {
  return {
    l3,
    src: t.src,
    dst: t.dst,
    protonum: t.protonum,
    srcPort: t.srcPort,
    dstPort: t.dstPort,
    zone: t.zone,
    icmpType: undefined,
    icmpCode: undefined,
    icmpId: undefined,
  };
}

/** The entry a -I / -A line describes (nfct_setobjopt SETUP_REPLY / SETUP_ORIGINAL, then the template). */
export function entryFromTemplate(cmd: ParsedCommand): EntrySpec {
  const { tmpl, options } = cmd;
  let orig = spec(tmpl.orig, tmpl.orig.l3 ?? 0);
  let reply = spec(tmpl.reply, tmpl.reply.l3 ?? 0);
  if (options & OPT_ORIG && !(options & OPT_REPL)) reply = inverse(orig, tmpl.reply.zone);
  else if (!(options & OPT_ORIG) && options & OPT_REPL) orig = inverse(reply, tmpl.orig.zone);
  const t = tmpl.orig;
  if (
    t.protonum === IPPROTO.ICMP ||
    t.protonum === IPPROTO.ICMPV6 ||
    t.icmpType !== undefined ||
    t.icmpCode !== undefined ||
    t.icmpId !== undefined
  ) {
    // the ICMP setters fill both tuples: the same code and id, the reply type for the reply
    orig.icmpType = t.icmpType;
    orig.icmpCode = t.icmpCode;
    orig.icmpId = t.icmpId;
    reply.icmpType = t.icmpType !== undefined ? icmpReplyType(t.icmpType, t.l3) : undefined;
    reply.icmpCode = t.icmpCode;
    reply.icmpId = t.icmpId;
  }
  return {
    orig,
    reply,
    status: tmpl.status,
    timeout: tmpl.timeout,
    mark: options & OPT.MARK && tmpl.mark ? tmpl.mark.value : undefined,
    secmark: tmpl.secmark,
    ...protoInfoOf(tmpl),
    dccpRole: tmpl.dccpRole,
    snat: tmpl.snat,
    dnat: tmpl.dnat,
    zone: tmpl.zone,
    labels: options & OPT.ADD_LABEL && tmpl.labelModify ? labelBitmap(tmpl.labelModify) : undefined,
    labelsMask: undefined,
  };
}

/**
 * nfct_filter_init(): the networks (CIDR, --mask-src, --mask-dst) the original addresses must fall in; their
 * addresses leave the original tuple, so that they are not also compared exactly.
 */
function networksOf(cmd: ParsedCommand): { networks: FlowQuery['networks']; orig: TupleTemplate } {
  const { options, family, tmpl } = cmd;
  const orig: TupleTemplate = { ...tmpl.orig };
  const networks: { src?: Network; dst?: Network } = {};
  for (const dir of ['src', 'dst'] as const) {
    const maskOpt = dir === 'src' ? OPT.MASK_SRC : OPT.MASK_DST;
    const addrOpt = dir === 'src' ? OPT.ORIG_SRC : OPT.ORIG_DST;
    if (!(options & maskOpt)) continue;
    if (!(options & addrOpt)) throw parameterProblem(`Can't use --mask-${dir} without --${dir}`);
    const len = family === 10 ? 16 : 4;
    const addr = tmpl.orig[dir] ?? new Uint8Array(len);
    const mask = tmpl.mask[dir] ?? new Uint8Array(len);
    const net = new Uint8Array(len);
    for (let i = 0; i < len; i++) net[i] = (addr[i] ?? 0) & (mask[i] ?? 0);
    networks[dir] = { family, net, mask: mask.length === len ? mask : new Uint8Array(len) };
    delete orig[dir];
  }
  return { networks, orig };
}

/** filter_nat()'s options: -n, -g, both, or -j. */
function natOf(cmd: ParsedCommand): NatQuery | undefined {
  const { options, tmpl } = cmd;
  const src = (options & OPT.SRC_NAT) !== 0;
  const dst = (options & OPT.DST_NAT) !== 0;
  const kind = options & OPT.ANY_NAT ? 'either' : src && dst ? 'both' : src ? 'src' : dst ? 'dst' : undefined;
  return kind ? { kind, snat: tmpl.snat, dnat: tmpl.dnat } : undefined;
}

/** What -L, -D, -G and -E select: nfct_filter() and nfct_cmp() as conntrack runs them. */
export function selectQuery(cmd: ParsedCommand): FlowQuery {
  const { options, tmpl } = cmd;
  const { networks, orig } = networksOf(cmd);
  return {
    family: cmd.family,
    orig,
    reply: tmpl.reply,
    networks,
    compare: (options & CT_COMPARISON) !== 0,
    id: tmpl.id,
    timeout: tmpl.timeout,
    status: tmpl.status,
    tcpState: tmpl.tcpState,
    sctpState: tmpl.sctpState,
    dccpState: tmpl.dccpState,
    zone: tmpl.zone,
    statusFilter: tmpl.filterStatusKernel,
    mark: options & OPT.MARK ? tmpl.mark : undefined,
    labels: tmpl.label ? [...tmpl.label] : undefined,
    nat: natOf(cmd),
  };
}

/**
 * What -U selects (conntrack.c mnl_nfct_update_cb): -m, -u and -t are values to set there, so the query has no
 * mark and only the status filter of the bits -u wants absent; the original tuple is compared only when -s, -d
 * or -p was given, the reply tuple only when -r, -q or -p was.
 */
export function updateQuery(cmd: ParsedCommand): FlowQuery {
  const { options, tmpl } = cmd;
  const { networks, orig } = networksOf(cmd);
  return {
    family: cmd.family,
    orig: options & (OPT.ORIG_SRC | OPT.ORIG_DST | OPT.PROTO) ? orig : {},
    reply: options & (OPT.REPL_SRC | OPT.REPL_DST | OPT.PROTO) ? tmpl.reply : {},
    networks,
    compare: true,
    id: tmpl.id,
    statusFilter: updateStatusFilter(tmpl.filterStatusKernel),
    labels: tmpl.label ? [...tmpl.label] : undefined,
    nat: natOf(cmd),
  };
}

/** The -o flags (the output mask) and the label map. save, json and xml exclude each other (parse.ts says so). */
export function outputSpec(cmd: ParsedCommand): OutputSpec {
  const m = cmd.outputMask;
  return {
    format: m & OUT.SAVE ? 'save' : m & OUT.JSON ? 'json' : m & OUT.XML ? 'xml' : 'default',
    extended: (m & OUT.EXT) !== 0,
    timestamp: (m & OUT.TMS) !== 0,
    id: (m & OUT.ID) !== 0,
    ktimestamp: (m & OUT.KTMS) !== 0,
    labelmap: cmd.labelmap,
  };
}
