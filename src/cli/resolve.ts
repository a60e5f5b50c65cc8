// The last step of parsing: a ParsedCommand (conntrack's option bits and template, as its parser leaves them)
// becomes the typed request its command takes. The option bits are read here and nowhere below; what the
// command line means for the filter (FlowQuery) is decided once, here.

import { CT_COMPARISON, OPT, OUT } from './commands.js';
import { parameterProblem } from './errors.js';
import type { ParsedCommand } from './parse.js';
import type { TupleTemplate } from './template.js';
import { updateStatusFilter } from '../filter/kernel.js';
import type { FlowQuery, NatQuery, Network } from '../filter/query.js';
import type { OutputSpec } from '../format/output.js';

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
