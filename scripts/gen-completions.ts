// Generates the shell completions (completions/conntrack.bash, completions/_conntrack, completions/conntrack.fish)
// from the option registry, so they follow src/cli/program.ts and src/cli/protocols.ts.
//
//   npx tsx scripts/gen-completions.ts [OUTDIR]      (default: completions/ next to this script's parent)
//
// The enumerated values that parse.ts keeps private (statuses, events, output formats) are listed here;
// test/unit/completions.test.ts checks that the parser accepts each of them.

import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Option } from 'commander';
import { conntrackProgram } from '../src/cli/program.js';
import { DCCP_ROLES, DCCP_STATES, PROTO_LIST, SCTP_STATES, TCP_STATES, type ProtoHandler } from '../src/cli/protocols/index.js';
import { TALLY_KEYS } from '../src/format/tally.js';

export const OUTPUT_FORMATS = ['xml', 'extended', 'timestamp', 'id', 'ktimestamp', 'labels', 'userspace', 'save', 'json'];
export const STATUSES = ['ASSURED', 'SEEN_REPLY', 'UNSET', 'FIXED_TIMEOUT', 'EXPECTED', 'OFFLOAD', 'HW_OFFLOAD'];
export const EVENTS = ['ALL', 'NEW', 'UPDATES', 'DESTROY'];
export const FAMILIES = ['ipv4', 'ipv6'];
export const TABLES_LIST = ['conntrack', 'expect', 'dying', 'unconfirmed'];
export const TABLES = ['conntrack', 'expect'];
export const TALLY = [...TALLY_KEYS];
/** the states --state takes, per protocol (tcp also takes LISTEN, the pre-2.6.31 name of SYN_SENT2) */
export const STATES: Record<string, readonly string[]> = {
  tcp: [...TCP_STATES, 'LISTEN'],
  sctp: SCTP_STATES,
  dccp: DCCP_STATES,
};
/** the default label map; the completions read $CONNTRACK_CONNLABEL_CONF instead when it is set */
export const CONNLABEL_CONF = '/etc/xtables/connlabel.conf';

/** what follows an option on the command line */
type ValueKind =
  | { kind: 'none' } // a flag
  | { kind: 'free'; optional?: boolean } // a value we cannot guess (address, number, ...); optional: may be absent
  | { kind: 'words'; words: readonly string[] }
  | { kind: 'list'; words: readonly string[] } // comma-separated list
  | { kind: 'protocols' }
  | { kind: 'labels' }
  | { kind: 'tables'; words: readonly string[] } // the table word after a command
  | { kind: 'file' };

interface CompOption {
  /** long names, canonical first */
  long: string[];
  /** a letter, when the option has one that is worth offering */
  short?: string;
  description: string;
  value: ValueKind;
}

const COMMAND_TABLES: Record<string, readonly string[]> = {
  dump: TABLES_LIST,
  create: TABLES,
  add: TABLES,
  delete: TABLES,
  update: TABLES,
  get: TABLES,
  flush: TABLES,
  event: TABLES,
  counter: TABLES,
  stats: TABLES,
};

const VALUE_OF: Record<string, ValueKind> = {
  output: { kind: 'list', words: OUTPUT_FORMATS },
  protonum: { kind: 'protocols' },
  status: { kind: 'list', words: STATUSES },
  'event-mask': { kind: 'list', words: EVENTS },
  family: { kind: 'words', words: FAMILIES },
  label: { kind: 'labels' },
  'label-add': { kind: 'labels' },
  'label-del': { kind: 'labels' },
  tally: { kind: 'list', words: TALLY },
};

/** options left out of the completions */
const HIDDEN = new Set(['nat-range']); // deprecated and ignored

export function mainOptions(): CompOption[] {
  const out: CompOption[] = [];
  for (const opt of conntrackProgram().options) {
    const o = opt as Option & { getoptVal: number; getoptHasArg: 0 | 1 | 2; aliases: string[] };
    const name = opt.long!.slice(2);
    if (HIDDEN.has(name)) continue;
    const ch = String.fromCodePoint(o.getoptVal);
    const short = /^[A-Za-z]$/.test(ch) ? ch : undefined;
    let value: ValueKind;
    if (COMMAND_TABLES[name]) value = { kind: 'tables', words: COMMAND_TABLES[name] };
    else if (VALUE_OF[name]) value = VALUE_OF[name];
    else value = o.getoptHasArg === 0 ? { kind: 'none' } : { kind: 'free', optional: o.getoptHasArg === 2 };
    out.push({ long: [name, ...o.aliases], short, description: opt.description, value });
  }
  return out;
}

/** -R/--load-file: handled by main.ts, only as the first argument */
export const LOAD_FILE: CompOption = {
  long: ['load-file'],
  short: 'R',
  description: 'Load a file of conntrack commands (first argument only)',
  value: { kind: 'file' },
};

const PROTO_DESCRIPTIONS: Record<string, string> = {
  'orig-port-src': 'original source port',
  sport: 'original source port',
  'orig-port-dst': 'original destination port',
  dport: 'original destination port',
  'reply-port-src': 'reply source port',
  'reply-port-dst': 'reply destination port',
  'mask-port-src': 'mask source port',
  'mask-port-dst': 'mask destination port',
  'tuple-port-src': 'expectation tuple source port',
  'tuple-port-dst': 'expectation tuple destination port',
  state: 'protocol state',
  'orig-vtag': 'original direction verification tag',
  'reply-vtag': 'reply direction verification tag',
  role: 'DCCP role',
  'icmp-type': 'icmp type',
  'icmp-code': 'icmp code',
  'icmp-id': 'icmp id',
  'icmpv6-type': 'icmpv6 type',
  'icmpv6-code': 'icmpv6 code',
  'icmpv6-id': 'icmpv6 id',
  'orig-key-src': 'original source key',
  srckey: 'original source key',
  'orig-key-dst': 'original destination key',
  dstkey: 'original destination key',
  'reply-key-src': 'reply source key',
  'reply-key-dst': 'reply destination key',
  'mask-key-src': 'mask source key',
  'mask-key-dst': 'mask destination key',
  'tuple-key-src': 'expectation tuple source key',
  'tuple-key-dst': 'expectation tuple destination key',
};

export interface ProtoComp {
  name: string;
  protonum: number;
  options: CompOption[];
}

/** the protocol extensions, in registration order (tcp first) */
export function protoOptions(): ProtoComp[] {
  const handlers: ProtoHandler[] = [...PROTO_LIST].reverse();
  return handlers.map((h) => ({
    name: h.name,
    protonum: h.protonum,
    options: h.opts.map((o) => {
      let value: ValueKind = { kind: 'free' };
      if (o.name === 'state' && STATES[h.name]) value = { kind: 'words', words: STATES[h.name] };
      if (o.name === 'role' && h.name === 'dccp') value = { kind: 'words', words: DCCP_ROLES };
      return { long: [o.name], description: PROTO_DESCRIPTIONS[o.name] ?? o.name, value };
    }),
  }));
}

export const PROTOCOLS = () => protoOptions().map((p) => p.name);

const HEADER = (comment: string) =>
  `${comment} Generated by scripts/gen-completions.ts from src/cli/program.ts and src/cli/protocols.ts:\n` +
  `${comment} do not edit, run \`npm run completions\`.\n`;

const flagsOf = (o: CompOption): string[] => [...(o.short ? [`-${o.short}`] : []), ...o.long.map((l) => `--${l}`)];

// ---------------------------------------------------------------------------------------------------------------
// bash

function bashCase(o: CompOption, body: string): string {
  return `        ${flagsOf(o).join('|')})\n            ${body}\n            return 0 ;;\n`;
}

function bashValueBody(v: ValueKind): string | undefined {
  switch (v.kind) {
    case 'words':
      return `COMPREPLY=($(compgen -W "${v.words.join(' ')}" -- "$cur"))`;
    case 'list':
      return `_conntrack_list "$cur" ${v.words.join(' ')}`;
    case 'protocols':
      return `_conntrack_protocols "$cur"`;
    case 'labels':
      // a label name may hold blanks: quote them for the command line
      return `local IFS=$'\\n'; _conntrack_list "$cur" $(_conntrack_labels); COMPREPLY=("\${COMPREPLY[@]// /\\\\ }")`;
    case 'free':
      return `:`;
    default:
      return undefined;
  }
}

export function renderBash(): string {
  const main = mainOptions();
  const protos = protoOptions();
  const known = protos.map((p) => p.name);
  let cases = '';
  for (const o of main) {
    if (o.value.kind === 'tables' || o.value.kind === 'free') continue;
    const body = bashValueBody(o.value);
    if (body) cases += bashCase(o, body);
  }
  const free = (optional: boolean) =>
    main
      .filter((o) => o.value.kind === 'free' && !!o.value.optional === optional)
      .flatMap(flagsOf)
      .join('|');
  // an optional argument (-n, -g, -j) may be left out: an option can follow
  cases += `        ${free(false)})\n            return 0 ;;\n`;
  cases += `        ${free(true)})\n            [[ $cur == -* ]] || return 0 ;;\n`;
  // protocol options that take a value: the value depends on the protocol on the line
  const protoValueNames = [...new Set(protos.flatMap((p) => p.options.map((o) => o.long[0])))];
  let protoCases = '';
  for (const name of protoValueNames) {
    let inner = '';
    for (const p of protos) {
      const o = p.options.find((x) => x.long[0] === name);
      if (!o || o.value.kind !== 'words') continue;
      inner += `                ${p.name}|${p.protonum}) ${bashValueBody(o.value)} ;;\n`;
    }
    protoCases += inner ? `        --${name})\n            case $proto in\n${inner}            esac\n            return 0 ;;\n` : '';
  }
  const freeProto = protoValueNames.filter((n) => !protoCases.includes(`--${n})`));
  protoCases += `        ${freeProto.map((n) => `--${n}`).join('|')})\n            return 0 ;;\n`;

  let tableCases = '';
  const byTables = new Map<string, string[]>();
  for (const o of main) {
    if (o.value.kind !== 'tables') continue;
    const key = o.value.words.join(' ');
    byTables.set(key, [...(byTables.get(key) ?? []), ...flagsOf(o)]);
  }
  for (const [words, flags] of byTables) {
    tableCases +=
      `        ${flags.join('|')})\n` +
      `            if [[ $cur != -* ]]; then\n` +
      `                COMPREPLY=($(compgen -W "${words}" -- "$cur"))\n` +
      `                return 0\n` +
      `            fi ;;\n`;
  }

  const allMain = main.flatMap(flagsOf).join(' ');
  let protoOpts = '';
  for (const p of protos) {
    protoOpts += `        ${p.name}|${p.protonum}) opts+=" ${p.options.flatMap(flagsOf).join(' ')}" ;;\n`;
  }

  return `# bash completion for conntrack (conntrack-ts)                 -*- shell-script -*-
${HEADER('#')}
# _conntrack_list CUR WORD...: candidates for the last element of the comma-separated list CUR
_conntrack_list() {
    local cur=$1 prefix="" last w
    shift
    last=$cur
    if [[ $cur == *,* ]]; then
        prefix=\${cur%,*},
        last=\${cur##*,}
    fi
    COMPREPLY=()
    for w in "$@"; do
        [[ ,$prefix == *",$w,"* ]] && continue
        [[ $w == "$last"* ]] && COMPREPLY+=("$prefix$w")
    done
    # a list goes on: no space after an element
    [[ \${#COMPREPLY[@]} -gt 0 ]] && compopt -o nospace 2>/dev/null
    return 0
}

# the label names of the connlabel map ($CONNTRACK_CONNLABEL_CONF, default ${CONNLABEL_CONF}), one a line
_conntrack_labels() {
    local f=\${CONNTRACK_CONNLABEL_CONF:-${CONNLABEL_CONF}} n name
    [[ -r $f ]] || return 0
    while IFS=$' \\t' read -r n name; do
        [[ $n =~ ^(0[xX][0-9a-fA-F]+|[0-9]+)$ && -n $name ]] || continue
        printf '%s\\n' "$name"
    done <"$f"
}

# -p: the protocols conntrack knows, then the other names of /etc/protocols
_conntrack_protocols() {
    local known="${known.join(' ')}" extra=""
    [[ -r /etc/protocols ]] &&
        extra=$(awk -v k=" $known " '!/^#/ && NF && index(k, " " $1 " ") == 0 { print $1 }' /etc/protocols)
    COMPREPLY=($(compgen -W "$known $extra" -- "$1"))
}

_conntrack() {
    local cword=$COMP_CWORD cur prev="" proto="" opts i w
    cur=\${COMP_WORDS[cword]}
    (( cword > 0 )) && prev=\${COMP_WORDS[cword-1]}
    # --option=value: bash splits at the '='
    if [[ $cur == = ]]; then
        cur=""
    elif [[ $prev == = ]] && (( cword > 1 )); then
        prev=\${COMP_WORDS[cword-2]}
    fi
    COMPREPLY=()

    # -R/--load-file FILE is recognised only as the first argument
    if (( cword == 2 )) && [[ $prev == -R || $prev == --load-file ]]; then
        COMPREPLY=($(compgen -f -- "$cur"))
        return 0
    fi

    # the protocol given with -p, which brings its own options
    for (( i = 1; i < cword; i++ )); do
        w=\${COMP_WORDS[i]}
        case $w in
            -p|--protonum)
                (( i + 1 < cword )) || continue
                if [[ \${COMP_WORDS[i+1]} == = ]]; then
                    (( i + 2 < cword )) && proto=\${COMP_WORDS[i+2]}
                else
                    proto=\${COMP_WORDS[i+1]}
                fi ;;
            -p?*) proto=\${w#-p} ;;
        esac
    done

    case $prev in
${cases}${protoCases}${tableCases}    esac

    opts="${allMain}"
    case $proto in
${protoOpts}    esac
    (( cword == 1 )) && opts+=" ${flagsOf(LOAD_FILE).join(' ')}"
    COMPREPLY=($(compgen -W "$opts" -- "$cur"))
    return 0
}
complete -F _conntrack conntrack
`;
}

// ---------------------------------------------------------------------------------------------------------------
// zsh

const zq = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

function zshValueBody(v: ValueKind): string | undefined {
  switch (v.kind) {
    case 'words':
      return `_conntrack_kind=values; reply=(\${(M)\${=:-${v.words.join(' ')}}:#$cur*})`;
    case 'list':
      return `_conntrack_kind=list; _conntrack_list "$cur" ${v.words.join(' ')}`;
    case 'protocols':
      return `_conntrack_kind=values; _conntrack_protocols "$cur"`;
    case 'labels':
      return `_conntrack_kind=list; _conntrack_list "$cur" "\${(@f)$(_conntrack_labels)}"`;
    case 'free':
      return `_conntrack_kind=free`;
    default:
      return undefined;
  }
}

export function renderZsh(): string {
  const main = mainOptions();
  const protos = protoOptions();
  const known = protos.map((p) => p.name);
  let cases = '';
  for (const o of main) {
    if (o.value.kind === 'tables' || o.value.kind === 'free') continue;
    const body = zshValueBody(o.value);
    if (body) cases += `    (${flagsOf(o).join('|')})\n      ${body}\n      return 0 ;;\n`;
  }
  const free = (optional: boolean) =>
    main
      .filter((o) => o.value.kind === 'free' && !!o.value.optional === optional)
      .flatMap(flagsOf)
      .join('|');
  cases += `    (${free(false)})\n      _conntrack_kind=free\n      return 0 ;;\n`;
  cases += `    (${free(true)})\n      if [[ $cur != -* ]]; then\n        _conntrack_kind=free\n        return 0\n      fi ;;\n`;
  const protoValueNames = [...new Set(protos.flatMap((p) => p.options.map((o) => o.long[0])))];
  const withWords = new Set<string>();
  for (const name of protoValueNames) {
    let inner = '';
    for (const p of protos) {
      const o = p.options.find((x) => x.long[0] === name);
      if (!o || o.value.kind !== 'words') continue;
      inner += `        (${p.name}|${p.protonum}) ${zshValueBody(o.value)} ;;\n`;
    }
    if (inner) {
      withWords.add(name);
      cases += `    (--${name})\n      _conntrack_kind=free\n      case $proto in\n${inner}      esac\n      return 0 ;;\n`;
    }
  }
  cases += `    (${protoValueNames
    .filter((n) => !withWords.has(n))
    .map((n) => `--${n}`)
    .join('|')})\n      _conntrack_kind=free\n      return 0 ;;\n`;
  const byTables = new Map<string, string[]>();
  for (const o of main) {
    if (o.value.kind !== 'tables') continue;
    const key = o.value.words.join(' ');
    byTables.set(key, [...(byTables.get(key) ?? []), ...flagsOf(o)]);
  }
  for (const [words, flags] of byTables) {
    cases +=
      `    (${flags.join('|')})\n` +
      `      if [[ $cur != -* ]]; then\n` +
      `        _conntrack_kind=values; reply=(\${(M)\${=:-${words}}:#$cur*})\n` +
      `        return 0\n` +
      `      fi ;;\n`;
  }

  let descs = '';
  const addDesc = (o: CompOption) => {
    for (const f of flagsOf(o)) descs += `  ${zq(f)} ${zq(o.description)}\n`;
  };
  main.forEach(addDesc);
  addDesc(LOAD_FILE);
  const seen = new Set<string>();
  for (const p of protos) {
    for (const o of p.options) {
      if (seen.has(o.long[0])) continue;
      seen.add(o.long[0]);
      addDesc(o);
    }
  }
  let protoOpts = '';
  for (const p of protos) {
    protoOpts += `    (${p.name}|${p.protonum}) opts+=(${p.options.flatMap(flagsOf).join(' ')}) ;;\n`;
  }

  return `#compdef conntrack
# zsh completion for conntrack (conntrack-ts)
${HEADER('#')}
typeset -gA _conntrack_descs
_conntrack_descs=(
${descs})

# _conntrack_list CUR WORD...: reply = candidates for the last element of the comma-separated list CUR
_conntrack_list() {
  local cur=$1 prefix="" last w
  shift
  last=$cur
  if [[ $cur == *,* ]]; then
    prefix=\${cur%,*},
    last=\${cur##*,}
  fi
  reply=()
  for w in "$@"; do
    [[ ,$prefix == *",$w,"* ]] && continue
    [[ $w == "$last"* ]] && reply+=("$prefix$w")
  done
  return 0
}

# the label names of the connlabel map ($CONNTRACK_CONNLABEL_CONF, default ${CONNLABEL_CONF}), one a line
_conntrack_labels() {
  local f=\${CONNTRACK_CONNLABEL_CONF:-${CONNLABEL_CONF}} n name
  [[ -r $f ]] || return 0
  while read -r n name; do
    [[ $n =~ '^(0[xX][0-9a-fA-F]+|[0-9]+)$' && -n $name ]] || continue
    print -r -- "$name"
  done <"$f"
}

_conntrack_protocols() {
  local -a known extra
  known=(${known.join(' ')})
  if [[ -r /etc/protocols ]]; then
    extra=(\${(f)"$(awk '!/^#/ && NF { print $1 }' /etc/protocols)"})
    extra=(\${extra:|known})
  fi
  reply=(\${(M)known:#$1*} \${(M)extra:#$1*})
}

# _conntrack_candidates: from words and CURRENT, sets reply (the candidates) and _conntrack_kind
# (options, values, list (a comma-separated list: no space after), free or file); usable outside the completion system, which the tests rely on.
_conntrack_candidates() {
  local cur=\${words[CURRENT]} prev="" proto="" w
  local -i i
  local -a opts
  reply=()
  _conntrack_kind=options
  (( CURRENT > 1 )) && prev=\${words[CURRENT-1]}
  if [[ $cur == --*=* ]]; then
    prev=\${cur%%=*}
    cur=\${cur#*=}
  fi

  if (( CURRENT == 3 )) && [[ $prev == (-R|--load-file) ]]; then
    _conntrack_kind=file
    return 0
  fi

  for (( i = 2; i < CURRENT; i++ )); do
    w=\${words[i]}
    case $w in
      (-p|--protonum) (( i + 1 < CURRENT )) && proto=\${words[i+1]} ;;
      (--protonum=*) proto=\${w#*=} ;;
      (-p?*) proto=\${w#-p} ;;
    esac
  done

  case $prev in
${cases}  esac

  opts=(${main.flatMap(flagsOf).join(' ')})
  case $proto in
${protoOpts}  esac
  (( CURRENT == 2 )) && opts+=(${flagsOf(LOAD_FILE).join(' ')})
  reply=(\${(M)opts:#$cur*})
}

_conntrack() {
  local -a reply described
  local _conntrack_kind o
  _conntrack_candidates
  case $_conntrack_kind in
    (file) _files ;;
    (free) _message 'value' ;;
    (values) compadd -- "\${reply[@]}" ;;
    (list) compadd -S '' -- "\${reply[@]}" ;;
    (options)
      for o in "\${reply[@]}"; do
        described+=("\${o//:/\\\\:}:\${_conntrack_descs[$o]}")
      done
      _describe -t options 'conntrack option' described ;;
  esac
}

if [[ \${zsh_eval_context[-1]} == loadautofunc ]]; then
  _conntrack "$@"
else
  (( \${+functions[compdef]} )) && compdef _conntrack conntrack
fi
`;
}

// ---------------------------------------------------------------------------------------------------------------
// fish

const fq = (s: string) => `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;

function fishOptionSpec(o: CompOption): string {
  return [...(o.short ? [`-s ${o.short}`] : []), ...o.long.map((l) => `-l ${l}`)].join(' ');
}

function fishValue(v: ValueKind): string {
  switch (v.kind) {
    case 'words':
      return ` -x -a ${fq(v.words.join(' '))}`;
    case 'list':
      return ` -x -a ${fq(`(__conntrack_list ${v.words.join(' ')})`)}`;
    case 'protocols':
      return ` -x -a '(__conntrack_protocols)'`;
    case 'labels':
      return ` -x -a '(__conntrack_list (__conntrack_labels))'`;
    case 'free':
      return ' -x';
    case 'file':
      return ' -r -F';
    default:
      return '';
  }
}

export function renderFish(): string {
  const main = mainOptions();
  const protos = protoOptions();
  const known = protos.map((p) => p.name);
  let lines = '';
  for (const o of main) {
    lines += `complete -c conntrack ${fishOptionSpec(o)}${fishValue(o.value)} -d ${fq(o.description)}\n`;
  }
  lines += `complete -c conntrack -n '__fish_is_first_arg' ${fishOptionSpec(LOAD_FILE)}${fishValue(LOAD_FILE.value)} -d ${fq(LOAD_FILE.description)}\n`;
  lines += `complete -c conntrack -n '__conntrack_after_command' -a '(__conntrack_tables)'\n`;
  for (const p of protos) {
    lines += `\n# -p ${p.name}\n`;
    for (const o of p.options) {
      lines += `complete -c conntrack -n '__conntrack_proto_is ${p.name} ${p.protonum}' ${fishOptionSpec(o)}${fishValue(o.value)} -d ${fq(o.description)}\n`;
    }
  }
  const tableCases = main
    .filter((o) => o.value.kind === 'tables')
    .map(
      (o) =>
        `        case ${flagsOf(o).join(' ')}\n            printf '%s\\n' ${(o.value as { words: readonly string[] }).words.join(' ')}\n`,
    )
    .join('');
  const commandFlags = main.filter((o) => o.value.kind === 'tables').flatMap(flagsOf);

  return `# fish completion for conntrack (conntrack-ts)
${HEADER('#')}
# the protocol given with -p on the command line
function __conntrack_proto
    set -l toks (commandline -opc)
    set -l proto
    set -l n (count $toks)
    for i in (seq 2 $n)
        switch $toks[$i]
            case -p --protonum
                if test $i -lt $n
                    set proto $toks[(math $i + 1)]
                end
            case '--protonum=*'
                set proto (string replace -- '--protonum=' '' $toks[$i])
            case '-p?*'
                set proto (string sub -s 3 -- $toks[$i])
        end
    end
    test -n "$proto"; and echo $proto
end

function __conntrack_proto_is
    set -l proto (__conntrack_proto)
    test -n "$proto"; and contains -- $proto $argv
end

# the last element of a comma-separated list: keep what comes before it
function __conntrack_list
    set -l tok (commandline -ct)
    set -l prefix (string match -r -- '^.*,' $tok)
    for w in $argv
        printf '%s%s\\n' "$prefix" $w
    end
end

# the label names of the connlabel map ($CONNTRACK_CONNLABEL_CONF, default ${CONNLABEL_CONF})
function __conntrack_labels
    set -l f ${CONNLABEL_CONF}
    set -q CONNTRACK_CONNLABEL_CONF; and set f $CONNTRACK_CONNLABEL_CONF
    test -r $f; or return 0
    string replace -rf -- '^\\s*(?:0[xX][0-9a-fA-F]+|[0-9]+)\\s+(.*?)\\s*$' '$1' <$f
end

function __conntrack_protocols
    set -l known ${known.join(' ')}
    printf '%s\\n' $known
    if test -r /etc/protocols
        for p in (string match -rv -- '^\\s*(#|$)' </etc/protocols | string replace -r -- '^\\s*(\\S+).*' '$1')
            contains -- $p $known; or echo $p
        end
    end
end

# a command (-L, -D, ...) just before the word being completed: its table comes next
function __conntrack_after_command
    set -l toks (commandline -opc)
    test (count $toks) -gt 1; or return 1
    contains -- $toks[-1] ${commandFlags.join(' ')}
end

function __conntrack_tables
    set -l toks (commandline -opc)
    switch $toks[-1]
${tableCases}    end
end

complete -c conntrack -f
${lines}`;
}

// ---------------------------------------------------------------------------------------------------------------

export function renderAll(): Record<string, string> {
  return { 'conntrack.bash': renderBash(), _conntrack: renderZsh(), 'conntrack.fish': renderFish() };
}

export function writeAll(dir: string): string[] {
  mkdirSync(dir, { recursive: true });
  const written: string[] = [];
  for (const [name, text] of Object.entries(renderAll())) {
    writeFileSync(join(dir, name), text);
    written.push(join(dir, name));
  }
  return written;
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
  const dir = process.argv[2] ? resolve(process.argv[2]) : join(root, 'completions');
  for (const f of writeAll(dir)) console.log(f);
}
