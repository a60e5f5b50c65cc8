// argv → ParsedCommand: conntrack.c do_parse(), option by option, with its messages and exit codes.
// Nothing here touches the kernel; warnings that conntrack prints while parsing are collected in `notes`.

import { IPS } from '../ctnetlink/constants.js';
import { LabelMap, loadLabelMap } from '../format/labelmap.js';
import { TALLY_KEYS, type TallyKey } from '../format/tally.js';
import { atol, atolU32, strtoulU32, u16, u8 } from './cnum.js';
import {
  bit2cmd,
  CMD,
  CMD2TYPE,
  CT_EVENT_F,
  COMMANDS_V_OPTIONS,
  NUMBER_OF_OPT,
  OPT,
  OPT_ORIG,
  OPT_REPL,
  OPTFLAGS,
  OUT,
  TABLE,
} from './commands.js';
import { CtError, otherProblem, parameterProblem } from '../commands/errors.js';
import { Getopt, LongOption } from './getopt.js';
import { netmaskBytes, parseAddr } from './inet.js';
import { EXTRA_OPTION, GETOPT_STRING, longOptions } from './program.js';
import { findProto, genericOptCheck, ProtoHandler } from './protocols/index.js';
import { emptyTemplate, Template, TupleTemplate } from './template.js';

export interface ParsedCommand {
  /** the CMD bit, 0 when no command was given */
  command: number;
  /** bit2cmd(command): the matrix row */
  cmd: number;
  /** TABLE.* */
  table: number;
  /** OPT bits */
  options: number;
  /** AF_UNSPEC 0, AF_INET 2, AF_INET6 10 (defaults applied) */
  family: number;
  protonum: number;
  handler?: ProtoHandler;
  tmpl: Template;
  /** OUT bits */
  outputMask: number;
  /** CT_EVENT_F bits (NEW, UPDATES, DESTROY); 0 = all */
  eventMask: number;
  socketBufferSize: bigint;
  labelmap?: LabelMap;
  /** stderr text conntrack prints while parsing (warnings, perror of the label map) */
  notes: string;
  /** argv[0], for usage() */
  progname: string;
  /** our additions to conntrack's options (--tally, --top, --watch); -o json is OUT.JSON in outputMask */
  extras: Extras;
}

export interface Extras {
  tally?: TallyKey[];
  /** --top N: only the N largest counts */
  top?: number;
  watch?: boolean;
}

const PARSE_STATUS: Array<[string, number]> = [
  ['ASSURED', IPS.ASSURED],
  ['SEEN_REPLY', IPS.SEEN_REPLY],
  ['UNSET', 0],
  ['FIXED_TIMEOUT', IPS.FIXED_TIMEOUT],
  ['EXPECTED', IPS.EXPECTED],
  ['OFFLOAD', IPS.OFFLOAD],
  ['HW_OFFLOAD', IPS.HW_OFFLOAD],
];
const PARSE_EVENT: Array<[string, number]> = [
  ['ALL', CT_EVENT_F.ALL],
  ['NEW', CT_EVENT_F.NEW],
  ['UPDATES', CT_EVENT_F.UPD],
  ['DESTROY', CT_EVENT_F.DEL],
];
const PARSE_OUTPUT: Array<[string, number]> = [
  ['xml', OUT.XML],
  ['extended', OUT.EXT],
  ['timestamp', OUT.TMS],
  ['id', OUT.ID],
  ['ktimestamp', OUT.KTMS],
  ['labels', OUT.CL],
  ['userspace', 0],
  ['save', OUT.SAVE],
  ['json', OUT.JSON],
];

/** strncasecmp(a, b, n) === 0 */
function prefixCaseEq(token: string, name: string): boolean {
  const n = token.length;
  return token.toLowerCase() === name.slice(0, n).toLowerCase() && (n <= name.length || false);
}

class Parser {
  constructor(
    private readonly labelmapPath?: string,
    private readonly session?: ParseSession,
  ) {
    if (session) this.labelmap = session.labelmap;
  }
  notes = '';
  labelmap?: LabelMap;

  /** do_parse_parameter(): true when the token was recognised (warnings count as recognised). */
  private parameterToken(token: string, table: Array<[string, number]>, acc: { v: number }): boolean {
    if (prefixCaseEq(token, 'SRC_NAT')) {
      this.notes += 'WARNING: ignoring SRC_NAT, use --src-nat instead\n';
      return true;
    }
    if (prefixCaseEq(token, 'DST_NAT')) {
      this.notes += 'WARNING: ignoring DST_NAT, use --dst-nat instead\n';
      return true;
    }
    for (const [name, value] of table) {
      if (prefixCaseEq(token, name)) {
        acc.v |= value;
        return true;
      }
    }
    return false;
  }

  /** parse_parameter(): comma list; an empty token or no match is "Bad parameter `REST'". */
  parameter(arg: string, table: Array<[string, number]>, acc: { v: number }): void {
    let rest = arg;
    for (;;) {
      const comma = rest.indexOf(',');
      const token = comma >= 0 ? rest.slice(0, comma) : rest;
      if (token.length === 0 || !this.parameterToken(token, table, acc)) throw parameterProblem(`Bad parameter \`${rest}'`);
      if (comma < 0) return;
      rest = rest.slice(comma + 1);
    }
  }

  /** parse_parameter_mask(): status list with "!NAME" negations (mask only) and UNREPLIED (SEEN_REPLY in the mask). */
  parameterMask(arg: string, status: { v: number }, mask: { v: number }): void {
    let rest = arg;
    for (;;) {
      let comma = rest.indexOf(',');
      if (comma === 0) throw parameterProblem(`Bad parameter \`${rest}'`);
      const negated = rest[0] === '!';
      if (negated) {
        rest = rest.slice(1);
        if (comma > 0) comma--;
        if (comma === 0) throw parameterProblem(`Bad parameter \`${rest}'`);
      }
      const token = comma >= 0 ? rest.slice(0, comma) : rest;
      // strncmp(arg, "UNREPLIED", strlen("UNREPLIED")): what follows must start with it, case-sensitively
      if (!negated && rest.startsWith('UNREPLIED')) mask.v |= IPS.SEEN_REPLY;
      else if (token.length === 0 || !this.parameterToken(token, PARSE_STATUS, negated ? mask : status)) {
        throw parameterProblem(`Bad parameter \`${rest}'`);
      }
      if (comma < 0) return;
      rest = rest.slice(comma + 1);
    }
  }

  /**
   * labelmap_init(): loads until it has a map; each failed attempt is perror()'d again (conntrack keeps only a
   * loaded map, so `-o labels -o xml` without the file prints the error twice) and listing goes on without names.
   */
  labelmapInit(): void {
    if (this.labelmap) return;
    const r = loadLabelMap(this.labelmapPath);
    if ('map' in r) this.labelmap = r.map;
    else this.notes += `nfct_labelmap_new: ${r.error}\n`;
    if (this.session) this.session.labelmap = this.labelmap;
  }

  /** parse_label(): names → bits; an unknown name (or no map) is a parameter problem. */
  labels(arg: string): Set<number> {
    const bits = new Set<number>();
    for (const name of arg.split(',')) {
      const bit = this.labelmap?.bitOf(name);
      if (bit === undefined) throw parameterProblem(`unknown label '${name}'`);
      bits.add(bit);
    }
    return bits;
  }
}

/** The option characters, for readability. */
const ch = (c: string): number => c.charCodeAt(0);

// opt2type[] for the address options
const ADDR_OPT_TYPE: Record<string, number> = {
  s: OPT.ORIG_SRC,
  d: OPT.ORIG_DST,
  r: OPT.REPL_SRC,
  q: OPT.REPL_DST,
  '{': OPT.MASK_SRC,
  '}': OPT.MASK_DST,
  '[': OPT.EXP_SRC,
  ']': OPT.EXP_DST,
  n: OPT.SRC_NAT,
  g: OPT.DST_NAT,
  j: OPT.ANY_NAT,
};
// opt2maskopt[]: which options take a CIDR suffix, and the mask option it sets
const MASK_OPT: Record<string, string> = { s: '{', d: '}', '[': '{', ']': '}' };

export interface ParseOptions {
  /** path of /etc/protocols, for tests */
  protocolsFile?: string;
  /** path of the label map (default /etc/xtables/connlabel.conf), for tests */
  labelmapPath?: string;
  /** argv[0] as the user typed it, resolved only when a message needs it */
  argv0?: () => string;
  /** state that outlives one line of a -R file, as conntrack's globals do */
  session?: ParseSession;
}

/**
 * What conntrack keeps in globals from one parsed line of a -R file to the next: the output mask (it only ever
 * grows), the label map, and the last -p handler (whose final check still runs for later lines).
 */
export class ParseSession {
  outputMask = 0;
  handler?: ProtoHandler;
  labelmap?: LabelMap;
}

function setFamily(current: { v: number }, fam: number): void {
  if (current.v === 0) current.v = fam;
  else if (current.v !== fam) throw parameterProblem('mismatched address family');
}

/**
 * get_optional_arg(): the next argv word unless it starts with '-' or '!'. An attached argument ("-nfoo",
 * "--src-nat=foo") is discarded, as conntrack discards it: getopt's optarg being set makes it return NULL.
 */
function optionalArg(g: Getopt): string | null {
  if (g.optarg !== null) return null;
  return nextWordArg(g);
}

function nextWordArg(g: Getopt): string | null {
  const next = g.argv[g.optind];
  if (g.optind < g.argv.length && next[0] !== '-' && next[0] !== '!') {
    g.optind++;
    return next;
  }
  return null;
}

/**
 * check_type(): the table after a command. conntrack 1.4.7 discards an attached argument ("-Lexpect",
 * "--dump=expect") and silently uses the conntrack table; we honour it, so `-Lexpect` lists expectations.
 */
function tableOf(g: Getopt): number {
  const table = g.optarg ?? nextWordArg(g);
  if (table === null) return TABLE.CONNTRACK;
  const is = (name: string): boolean => name.startsWith(table);
  if (is('expect')) return TABLE.EXPECT;
  if (is('conntrack')) return TABLE.CONNTRACK;
  if (is('dying')) return TABLE.DYING;
  if (is('unconfirmed')) return TABLE.UNCONFIRMED;
  throw parameterProblem(`unknown type \`${table}'`);
}

const OPTION_OFFSET = 256;

/** merge_options(), memoised: a -R file of a million lines merges the same few tables over and over. */
const mergedCache = new Map<LongOption[], Map<ProtoHandler, Map<number, LongOption[]>>>();
function mergedOptions(base: LongOption[], handler: ProtoHandler, offset: number): LongOption[] {
  let byHandler = mergedCache.get(base);
  if (!byHandler) mergedCache.set(base, (byHandler = new Map()));
  let byOffset = byHandler.get(handler);
  if (!byOffset) byHandler.set(handler, (byOffset = new Map()));
  let merged = byOffset.get(offset);
  if (!merged) {
    merged = [...base, ...handler.opts.map((o) => ({ ...o, val: o.val + offset }))];
    byOffset.set(offset, merged);
  }
  return merged;
}

export function parseArgs(argv: string[], popts: ParseOptions = {}): ParsedCommand {
  const p = new Parser(popts.labelmapPath, popts.session);
  try {
    return parseInner(argv, p, popts);
  } catch (e) {
    if (e instanceof CtError) e.notes = p.notes + e.notes;
    throw e;
  }
}

function setTupleAddr(t: TupleTemplate, which: 'src' | 'dst', bytes: Uint8Array, family: number): void {
  t[which] = bytes;
  t.l3 = family;
}

function parseInner(argv: string[], p: Parser, popts: ParseOptions): ParsedCommand {
  const tmpl = emptyTemplate();
  let command = 0;
  let options = 0;
  let table: number = TABLE.CONNTRACK;
  const family = { v: 0 };
  let protonum = 0;
  let handler: ProtoHandler | undefined = popts.session?.handler;
  let handlerOffset = handler ? -OPTION_OFFSET : 0; // a handler from an earlier line has no options merged here
  let globalOffset = 0;
  const l4 = { flags: 0 };
  const status = { v: 0 };
  const statusMask = { v: 0 };
  const eventMask = { v: 0 };
  const output = { v: popts.session?.outputMask ?? 0 };
  let socketBufferSize = 0n;
  const extras: Extras = {};

  const args = [...argv];
  const word = (i: number): string => (i === 0 && popts.argv0 ? popts.argv0() : args[i]);
  let longopts: LongOption[] = longOptions();
  const g = new Getopt(args, GETOPT_STRING, longopts);

  const addCommand = (c: number): void => {
    if (command) throw parameterProblem('Invalid commands combination');
    command |= c;
  };
  const longName = (val: number): string => longopts.find((o) => o.val === val)?.name ?? 'unknown';

  /** nfct_parse_addr_from_opt() */
  const addrOption = (
    opt: string,
    arg: string,
    target: TupleTemplate | undefined,
    maskTarget: TupleTemplate | undefined,
    which: 'src' | 'dst',
  ): Uint8Array => {
    const maskopt = MASK_OPT[opt];
    const a = parseAddr(arg, true);
    if (!a) throw parameterProblem(`Invalid IP address \`${arg}'`);
    setFamily(family, a.family);
    if (a.mask !== -1 && !maskopt) throw parameterProblem(`CIDR notation unavailable for \`--${longName(ch(opt))}'`);
    else if (a.mask === -2) throw parameterProblem('Invalid netmask');
    options |= ADDR_OPT_TYPE[opt];
    if (target) setTupleAddr(target, which, a.bytes, a.family);
    if (a.mask === -1 || !maskopt || !maskTarget) return a.bytes;
    if ((a.family === 2 && a.mask === 32) || (a.family === 10 && a.mask === 128)) return a.bytes;
    options |= ADDR_OPT_TYPE[maskopt];
    setTupleAddr(maskTarget, which, netmaskBytes(a.mask, a.family === 2 ? 4 : 16), a.family);
    return a.bytes;
  };

  for (;;) {
    const c = g.next();
    if (c === -1) break;
    if (c === EXTRA_OPTION.TALLY) {
      extras.tally = parseTallyKeys(g.optarg!);
      continue;
    }
    if (c === EXTRA_OPTION.TOP) {
      if (!/^[1-9][0-9]{0,8}$/.test(g.optarg!)) throw parameterProblem(`--top needs a positive number, not \`${g.optarg}'`);
      extras.top = Number(g.optarg);
      continue;
    }
    if (c === EXTRA_OPTION.WATCH) {
      if (command || extras.watch) throw parameterProblem('Invalid commands combination');
      extras.watch = true;
      continue;
    }
    if (extras.watch && CMD_CHARS.includes(c)) throw parameterProblem('Invalid commands combination');
    const co = String.fromCharCode(c);
    switch (co) {
      case 'L': {
        table = tableOf(g);
        if (table === TABLE.DYING || table === TABLE.UNCONFIRMED) addCommand(CMD2TYPE.L[0]);
        else addCommand(CMD2TYPE.L[table]);
        break;
      }
      case 'I':
      case 'D':
      case 'G':
      case 'F':
      case 'E':
      case 'V':
      case 'h':
      case 'C':
      case 'S':
      case 'U':
      case 'A': {
        // -S and -V/-h take no argument; their table is still read from the next word (iptables trick)
        table = tableOf(g);
        if (table === TABLE.DYING || table === TABLE.UNCONFIRMED) {
          throw parameterProblem("Can't do that command with tables `dying' and `unconfirmed'");
        }
        const cmdBit = CMD2TYPE[co][table];
        if (!cmdBit) throw parameterProblem(`Can't do --${longName(c)} on ${table === TABLE.CONNTRACK ? 'conntrack' : 'expectations'}`);
        addCommand(cmdBit);
        break;
      }
      case 's':
      case 'd':
      case 'r':
      case 'q': {
        const t = co === 's' || co === 'd' ? tmpl.orig : tmpl.reply;
        addrOption(co, g.optarg!, t, tmpl.mask, co === 's' || co === 'r' ? 'src' : 'dst');
        break;
      }
      case '[':
      case ']':
        addrOption(co, g.optarg!, tmpl.exptuple, tmpl.mask, co === '[' ? 'src' : 'dst');
        break;
      case '{':
      case '}':
        addrOption(co, g.optarg!, tmpl.mask, undefined, co === '{' ? 'src' : 'dst');
        break;
      case 'p': {
        options |= OPT.PROTO;
        const found = findProto(g.optarg!, popts.protocolsFile);
        if (!found) throw parameterProblem(`\`${g.optarg}' unsupported protocol`);
        handler = found.handler;
        protonum = found.protonum;
        // merge_options(): the extension's options join the table with val + offset
        globalOffset += OPTION_OFFSET;
        handlerOffset = globalOffset;
        longopts = mergedOptions(longopts, handler, handlerOffset);
        g.longopts = longopts;
        tmpl.orig.protonum = u8(protonum);
        break;
      }
      case 't':
        options |= OPT.TIMEOUT;
        tmpl.timeout = atolU32(g.optarg!);
        break;
      case 'u': {
        options |= OPT.STATUS;
        p.parameterMask(g.optarg!, status, statusMask);
        tmpl.status = status.v;
        // 1.4.7 also overwrote the mark template with the status here (tmpl->mark.value = status),
        // so `-I ... -m 0x11 -u SEEN_REPLY` created mark 2; 1.4.8 fixed it and so do we.
        tmpl.filterStatusKernel = { value: status.v, mask: statusMask.v === 0 ? status.v : statusMask.v };
        break;
      }
      case 'e':
        options |= OPT.EVENT_MASK;
        p.parameter(g.optarg!, PARSE_EVENT, eventMask);
        break;
      case 'o':
        options |= OPT.OUTPUT;
        p.parameter(g.optarg!, PARSE_OUTPUT, output);
        if (output.v & OUT.CL) p.labelmapInit();
        if (output.v & OUT.SAVE && output.v & (OUT.EXT | OUT.TMS | OUT.ID | OUT.KTMS | OUT.CL | OUT.XML)) {
          throw otherProblem('cannot combine save output with any other output type, use -o save only');
        }
        if (output.v & OUT.JSON && output.v & (OUT.SAVE | OUT.XML)) {
          throw otherProblem('cannot combine json output with save or xml output');
        }
        break;
      case 'z':
        options |= OPT.ZERO;
        break;
      case 'n':
      case 'g':
      case 'j': {
        options |= ADDR_OPT_TYPE[co];
        const arg = optionalArg(g);
        if (arg !== null) {
          const { address, port } = splitAddressAndPort(arg);
          const bytes = addrOption(co, address, undefined, undefined, 'src');
          // nfct_set_addr_opt() also records the family as the template's ATTR_ORIG_L3PROTO
          if (co !== 'j') tmpl.orig.l3 = family.v;
          const nat = (): { addr: Uint8Array; port?: number } => ({ addr: bytes });
          if (co === 'j') {
            tmpl.dnat = nat();
            tmpl.snat = nat();
            if (port !== undefined) {
              tmpl.dnat.port = u16(Number.parseInt(port, 10));
              tmpl.snat.port = u16(Number.parseInt(port, 10));
            }
          } else {
            const n = nat();
            if (port !== undefined) n.port = u16(Number.parseInt(port, 10));
            if (co === 'n') tmpl.snat = n;
            else tmpl.dnat = n;
          }
        }
        break;
      }
      case 'w':
      case '(':
      case ')': {
        const v = u16(strtoulU32(g.optarg!));
        if (co === 'w') {
          options |= OPT.ZONE;
          tmpl.zone = v;
        } else if (co === '(') {
          options |= OPT.ORIG_ZONE;
          tmpl.orig.zone = v;
        } else {
          options |= OPT.REPL_ZONE;
          tmpl.reply.zone = v;
        }
        break;
      }
      case 'i':
        options |= OPT.ID;
        tmpl.id = strtoulU32(g.optarg!);
        break;
      case 'c':
        options |= OPT.SECMARK;
        tmpl.secmark = strtoulU32(g.optarg!);
        break;
      case 'm': {
        options |= OPT.MARK;
        tmpl.mark = parseU32Mask(g.optarg!);
        tmpl.filterMarkKernel = { ...tmpl.mark };
        break;
      }
      case 'l':
      case '<':
      case '>': {
        options |= co === 'l' ? OPT.LABEL : co === '<' ? OPT.ADD_LABEL : OPT.DEL_LABEL;
        p.labelmapInit();
        if ((options & (OPT.DEL_LABEL | OPT.ADD_LABEL)) === (OPT.DEL_LABEL | OPT.ADD_LABEL)) {
          throw otherProblem('cannot use --label-add and --label-del at the same time');
        }
        let arg = g.optarg;
        if (co === '>') {
          arg = optionalArg(g);
          if (arg === null) break; // delete all labels
        }
        const bits = p.labels(arg!);
        const into = co === 'l' ? (tmpl.label ??= new Set()) : (tmpl.labelModify ??= new Set());
        for (const b of bits) into.add(b);
        break;
      }
      case 'a':
        p.notes += 'WARNING: ignoring -a, deprecated option.\n';
        break;
      case 'f':
        options |= OPT.FAMILY;
        if (g.optarg!.startsWith('ipv4')) setFamily(family, 2);
        else if (g.optarg!.startsWith('ipv6')) setFamily(family, 10);
        else throw parameterProblem(`\`${g.optarg}' unsupported protocol`);
        break;
      case 'b':
        socketBufferSize = atol(g.optarg!);
        options |= OPT.BUFFERSIZE;
        break;
      case ':':
        throw parameterProblem(`option \`${word(g.optind - 1)}' requires an argument`);
      case '?':
        // argv[optind-1]: after an unknown character inside a cluster ("-xL") that is the previous word
        throw parameterProblem(`unknown option \`${word(g.optind - 1)}'`);
      default:
        if (handler && c >= handlerOffset && c < handlerOffset + OPTION_OFFSET) {
          handler.parse(c - handlerOffset, g.optarg ?? '', tmpl, l4);
        }
        // an option of a handler replaced by a later -p: conntrack passes it to the current handler with the
        // wrong offset, which matches none of its cases and is ignored
        break;
    }
  }

  // default family only for the commands that do not work on both families
  if (family.v === 0) {
    switch (command) {
      case CMD.CT_LIST:
      case CMD.CT_UPDATE:
      case CMD.CT_DELETE:
      case CMD.CT_GET:
      case CMD.CT_FLUSH:
      case CMD.CT_EVENT:
        break;
      default:
        family.v = 2;
    }
  }

  if (options & OPT.ANY_NAT && (options & OPT.SRC_NAT || options & OPT.DST_NAT)) {
    throw parameterProblem("cannot specify `--src-nat' or `--dst-nat' with `--any-nat'");
  }
  checkExtras(extras, command, options, output.v);
  const cmd = bit2cmd(command);
  const check = genericOptCheck(options, NUMBER_OF_OPT, COMMANDS_V_OPTIONS[cmd], OPTFLAGS, [OPT_ORIG, OPT_REPL]);
  if (!check.ok) {
    if (check.partial === 1) throw parameterProblem("you have to specify `--reply-src' and `--reply-dst'");
    throw parameterProblem("you have to specify `--src' and `--dst'");
  }
  if (!(command & CMD.CT_HELP) && handler) handler.finalCheck(l4.flags, cmd, tmpl);
  if (popts.session) {
    popts.session.outputMask = output.v;
    popts.session.handler = handler;
  }

  return {
    command,
    cmd,
    table,
    options,
    family: family.v,
    protonum,
    handler,
    tmpl,
    outputMask: output.v,
    eventMask: eventMask.v,
    socketBufferSize,
    labelmap: p.labelmap,
    notes: p.notes,
    progname: argv[0],
    extras,
  };
}

const CMD_CHARS = [...'LIUDGEFAhVCS'].map((x) => x.charCodeAt(0));

function parseTallyKeys(arg: string): TallyKey[] {
  const keys: TallyKey[] = [];
  for (const k of arg.split(',')) {
    if (!(TALLY_KEYS as readonly string[]).includes(k)) {
      throw parameterProblem(`unknown --tally key \`${k}', use one or more of ${TALLY_KEYS.join(',')}`);
    }
    if (!keys.includes(k as TallyKey)) keys.push(k as TallyKey);
  }
  return keys;
}

/** Where our additions may be used: --tally with -L, --top with --tally, -o json not on expectations. */
function checkExtras(extras: Extras, command: number, options: number, outputMask: number): void {
  if (extras.watch && options) throw parameterProblem('--watch takes no other options');
  if (extras.tally && command !== CMD.CT_LIST) throw parameterProblem('--tally only works with -L');
  if (extras.tally && options & OPT.OUTPUT) throw parameterProblem('--tally prints counts, it cannot be combined with -o');
  if (extras.top !== undefined && !extras.tally) throw parameterProblem('--top needs --tally');
  if (outputMask & OUT.JSON && command & (CMD.EXP_LIST | CMD.EXP_GET | CMD.EXP_EVENT | CMD.EXP_DELETE)) {
    throw parameterProblem('json output is not available for expectations');
  }
}

/** parse_u32_mask(): strtoul base 0, an optional "/MASK", default mask all ones. No validation, as in 1.4.7. */
function parseU32Mask(arg: string): { value: number; mask: number } {
  const value = strtoulU32(arg);
  const end = endOfNumber(arg);
  if (arg[end] === '/') return { value, mask: strtoulU32(arg.slice(end + 1)) };
  return { value, mask: 0xffffffff };
}

function endOfNumber(arg: string): number {
  // mirrors strtoul(arg, &end, 0)'s end pointer
  let i = 0;
  while (' \t\n\v\f\r'.includes(arg[i] ?? 'x')) i++;
  if (arg[i] === '+' || arg[i] === '-') i++;
  let base = 10;
  if (arg[i] === '0' && (arg[i + 1] === 'x' || arg[i + 1] === 'X') && /[0-9a-fA-F]/.test(arg[i + 2] ?? '')) {
    i += 2;
    base = 16;
  } else if (arg[i] === '0') base = 8;
  const start = i;
  while (i < arg.length && parseInt(arg[i], 16) < base) i++;
  return i === start ? 0 : i;
}

/** split_address_and_port(): "[v6]:port", "v4:port" or a plain address; port digits only, <= 65535. */
export function splitAddressAndPort(arg: string): { address: string; port?: string } {
  let cursor = arg.indexOf('[');
  let address: string | undefined;
  if (cursor >= 0) {
    const start = cursor + 1;
    const close = arg.indexOf(']', start);
    if (close === start) throw parameterProblem('No IPv6 address specified');
    if (close < 0) throw parameterProblem("No closing ']' around IPv6 address");
    cursor = arg.indexOf(':', close);
    if (cursor >= 0) address = arg.slice(start, close);
  } else {
    cursor = arg.indexOf(':');
    if (cursor >= 0 && arg.indexOf(':', cursor + 1) < 0) address = arg.slice(0, cursor);
    else cursor = -1;
  }
  if (cursor >= 0) {
    const port = arg.slice(cursor + 1);
    if (port.length === 0) throw parameterProblem("No port specified after `:'");
    if (!/^[0-9]+$/.test(port) || Number(port) > 65535) throw parameterProblem(`Invalid port \`${port}'`);
    return { address: address!, port };
  }
  return { address: arg };
}
