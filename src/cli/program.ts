// The option table, declared once with commander. conntrack's argv rules are GNU getopt_long's (unique prefixes,
// permutation, optional arguments that only attach, odd short options such as "-[" and "-<"), which commander's
// own parser does not follow, so commander here is the registry: each Option carries the getopt facts (its value
// character and argument kind) and getopt.ts parses argv from that table. commander never exits or prints:
// exitOverride() and a silent configureOutput().

import { Command, Option } from 'commander';
import type { LongOption } from './getopt.js';

/** A conntrack option: its long names (first is the canonical one), short character, and getopt has_arg. */
interface OptionSpec {
  long: string[];
  /** the short option character; for our additions (long only), the value getopt returns */
  short: string;
  /** 0 none, 1 required, 2 optional (getopt_long's has_arg) */
  hasArg: 0 | 1 | 2;
  description: string;
}

// conntrack.c original_opts[], in its order (the order decides get_long_opt() names and prefix matching).
// --id is declared with a required argument: 1.4.7 declares it optional and crashes on "--id 123" (fixed in 1.4.9).
const SPECS: OptionSpec[] = [
  { long: ['dump'], short: 'L', hasArg: 2, description: 'List conntrack or expectation table' },
  { long: ['create'], short: 'I', hasArg: 2, description: 'Create a conntrack or expectation' },
  { long: ['add'], short: 'A', hasArg: 2, description: 'Add a conntrack, or update it if it exists' },
  { long: ['delete'], short: 'D', hasArg: 2, description: 'Delete conntrack or expectation' },
  { long: ['update'], short: 'U', hasArg: 2, description: 'Update a conntrack' },
  { long: ['get'], short: 'G', hasArg: 2, description: 'Get conntrack or expectation' },
  { long: ['flush'], short: 'F', hasArg: 2, description: 'Flush table' },
  { long: ['event'], short: 'E', hasArg: 2, description: 'Show events' },
  { long: ['counter'], short: 'C', hasArg: 2, description: 'Show counter' },
  { long: ['stats'], short: 'S', hasArg: 0, description: 'Show statistics' },
  { long: ['version'], short: 'V', hasArg: 0, description: 'Show version' },
  { long: ['help'], short: 'h', hasArg: 0, description: 'Show help' },
  { long: ['orig-src', 'src'], short: 's', hasArg: 1, description: 'Source address from original direction' },
  { long: ['orig-dst', 'dst'], short: 'd', hasArg: 1, description: 'Destination address from original direction' },
  { long: ['reply-src'], short: 'r', hasArg: 1, description: 'Source address from reply direction' },
  { long: ['reply-dst'], short: 'q', hasArg: 1, description: 'Destination address from reply direction' },
  { long: ['protonum'], short: 'p', hasArg: 1, description: "Layer 4 Protocol, eg. 'tcp'" },
  { long: ['timeout'], short: 't', hasArg: 1, description: 'Set timeout' },
  { long: ['status'], short: 'u', hasArg: 1, description: 'Set status, eg. ASSURED' },
  { long: ['zero'], short: 'z', hasArg: 0, description: 'Zero counters while listing' },
  { long: ['event-mask'], short: 'e', hasArg: 1, description: 'Event mask, eg. NEW,DESTROY' },
  { long: ['tuple-src'], short: '[', hasArg: 1, description: 'Source address in expect tuple' },
  { long: ['tuple-dst'], short: ']', hasArg: 1, description: 'Destination address in expect tuple' },
  { long: ['mask-src'], short: '{', hasArg: 1, description: 'Source mask address' },
  { long: ['mask-dst'], short: '}', hasArg: 1, description: 'Destination mask address' },
  { long: ['nat-range'], short: 'a', hasArg: 1, description: 'deprecated, ignored' },
  { long: ['mark'], short: 'm', hasArg: 1, description: 'Set mark' },
  { long: ['secmark'], short: 'c', hasArg: 1, description: 'Set selinux secmark' },
  { long: ['id'], short: 'i', hasArg: 1, description: 'Conntrack id' },
  { long: ['family'], short: 'f', hasArg: 1, description: "Layer 3 Protocol, eg. 'ipv6'" },
  { long: ['src-nat'], short: 'n', hasArg: 2, description: 'source NAT ip' },
  { long: ['dst-nat'], short: 'g', hasArg: 2, description: 'destination NAT ip' },
  { long: ['output'], short: 'o', hasArg: 1, description: 'Output format, eg. xml' },
  { long: ['buffer-size'], short: 'b', hasArg: 1, description: 'Netlink socket buffer size' },
  { long: ['any-nat'], short: 'j', hasArg: 2, description: 'source or destination NAT ip' },
  { long: ['zone'], short: 'w', hasArg: 1, description: 'Set conntrack zone' },
  { long: ['label'], short: 'l', hasArg: 1, description: 'conntrack labels' },
  { long: ['label-add'], short: '<', hasArg: 1, description: 'Add label' },
  { long: ['label-del'], short: '>', hasArg: 2, description: 'Delete label' },
  { long: ['orig-zone'], short: '(', hasArg: 1, description: 'Set zone for original direction' },
  { long: ['reply-zone'], short: ')', hasArg: 1, description: 'Set zone for reply direction' },
];

/**
 * Our additions: long options only, with names that share no abbreviation with conntrack's own (`--count` still
 * means --counter, `--b` still --buffer-size); they only claim words that conntrack rejects as unknown options.
 */
// getopt values above every short character, and at offset 192 of a 256-block, where no protocol option merged
// at an OPTION_OFFSET multiple (handlers have a few dozen options) can land
export const EXTRA_OPTION = { TALLY: 0xf0c0, TOP: 0xf0c1, WATCH: 0xf0c2, NETNS: 0xf0c3 } as const;
const EXTRA_SPECS: OptionSpec[] = [
  { long: ['tally'], short: String.fromCodePoint(EXTRA_OPTION.TALLY), hasArg: 1, description: 'Count entries by KEY[,KEY...]' },
  { long: ['top'], short: String.fromCodePoint(EXTRA_OPTION.TOP), hasArg: 1, description: 'Only the N largest --tally counts' },
  { long: ['watch'], short: String.fromCodePoint(EXTRA_OPTION.WATCH), hasArg: 0, description: 'Live view of the table' },
  // taken off argv before parsing (netns-arg.ts), so it is not in getopt's table: `--n` stays --nat-range there
  { long: ['netns'], short: String.fromCodePoint(EXTRA_OPTION.NETNS), hasArg: 1, description: 'Act in network namespace NAME or PATH' },
];

/** conntrack's getopt string: a leading ':' so missing arguments return ':'. */
export const GETOPT_STRING = ':L::I::U::D::G::E::F::A::hVs:d:r:q:p:t:u:e:a:z[:]:{:}:m:i:f:o:n::g::c:b:C::Sj::w:l:<:>::(:):';

function buildProgram(): Command {
  const program = new Command('conntrack')
    .exitOverride()
    .configureOutput({ writeOut: () => {}, writeErr: () => {}, outputError: () => {} })
    .helpOption(false);
  for (const spec of [...SPECS, ...EXTRA_SPECS]) {
    const arg = spec.hasArg === 1 ? ' <value>' : spec.hasArg === 2 ? ' [value]' : '';
    const val = spec.short.codePointAt(0)!;
    const flags = val < 0x80 ? `-${spec.short}, --${spec.long[0]}${arg}` : `--${spec.long[0]}${arg}`;
    const opt = new Option(flags, spec.description);
    // the getopt facts travel with the option
    Object.assign(opt, { getoptVal: val, getoptHasArg: spec.hasArg, aliases: spec.long.slice(1) });
    program.addOption(opt);
  }
  return program;
}

let program: Command | undefined;
export function conntrackProgram(): Command {
  return (program ??= buildProgram());
}

/** getopt_long's table (struct option original_opts[]), derived from the commander options. */
let longOptionsCache: LongOption[] | undefined;
export function longOptions(): LongOption[] {
  return (longOptionsCache ??= buildLongOptions());
}

function buildLongOptions(): LongOption[] {
  const out: LongOption[] = [];
  for (const opt of conntrackProgram().options) {
    const o = opt as Option & { getoptVal: number; getoptHasArg: 0 | 1 | 2; aliases: string[] };
    if (o.getoptVal === EXTRA_OPTION.NETNS) continue;
    const name = opt.long!.slice(2);
    out.push({ name, hasArg: o.getoptHasArg, val: o.getoptVal });
    for (const alias of o.aliases) out.push({ name: alias, hasArg: o.getoptHasArg, val: o.getoptVal });
  }
  return out;
}
