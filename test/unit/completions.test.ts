// Shell completions (completions/*): generated from the option registry and up to date, every enumerated value
// they offer is one the parser accepts, and the candidates each shell computes for sample command lines.

import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseArgs } from '../../src/cli/parse.js';
import {
  EVENTS,
  FAMILIES,
  OUTPUT_FORMATS,
  PROTOCOLS,
  renderAll,
  STATES,
  STATUSES,
  TABLES_LIST,
  TALLY,
} from '../../scripts/gen-completions.js';

const ROOT = resolve(__dirname, '../..');
const BASH = join(ROOT, 'completions/conntrack.bash');
const ZSH = join(ROOT, 'completions/_conntrack');
const FISH = join(ROOT, 'completions/conntrack.fish');

const has = (cmd: string): boolean => spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;
const HAS_ZSH = has('zsh');
const HAS_FISH = has('fish');

let tmp: string;
let labels: string;
beforeAll(() => {
  tmp = mkdtempSync(join(tmpdir(), 'ct-completions-'));
  labels = join(tmp, 'connlabel.conf');
  writeFileSync(labels, '# bit name\n0 eth0-in\n1 eth1-in\n0x2 web\n3\nbogus line\n4 my label\n');
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const env = () => ({ ...process.env, CONNTRACK_CONNLABEL_CONF: labels });

describe('generated files', () => {
  it('are up to date with scripts/gen-completions.ts (run `npm run completions`)', () => {
    const files = renderAll();
    expect(Object.keys(files).sort()).toEqual(['_conntrack', 'conntrack.bash', 'conntrack.fish']);
    for (const [name, text] of Object.entries(files)) {
      expect(readFileSync(join(ROOT, 'completions', name), 'utf8'), name).toBe(text);
    }
  });

  it('offer only values the parser accepts', () => {
    const ok = (...args: string[]) => expect(() => parseArgs(['conntrack', ...args]), args.join(' ')).not.toThrow();
    for (const f of OUTPUT_FORMATS) ok('-L', '-o', f);
    for (const s of STATUSES) ok('-L', '-u', s);
    for (const e of EVENTS) ok('-E', '-e', e);
    for (const f of FAMILIES) ok('-L', '-f', f);
    for (const k of TALLY) ok('-L', '--tally', k);
    for (const t of TABLES_LIST) ok('-L', t);
    for (const p of PROTOCOLS()) ok('-L', '-p', p);
    for (const [p, states] of Object.entries(STATES)) for (const s of states) ok('-L', '-p', p, '--state', s);
    // and the parser does reject what is not offered
    expect(() => parseArgs(['conntrack', '-L', '-o', 'bogus'])).toThrow();
  });
});

/** the words bash hands a completion function: split at blanks and at '=' (COMP_WORDBREAKS), '=' a word itself */
function bashWords(line: string): string[] {
  const words = line.split(' ').filter((w, i, a) => w !== '' || i === a.length - 1);
  return words.flatMap((w) => w.split(/(=)/).filter((x, _i, a) => x !== '' || a.length === 1));
}

const BASH_HARNESS = `
source "$1"; shift
COMP_WORDS=("$@")
COMP_CWORD=$(( $# - 1 ))
COMP_LINE="$*"; COMP_POINT=\${#COMP_LINE}
_conntrack conntrack "\${COMP_WORDS[COMP_CWORD]}" "\${COMP_WORDS[COMP_CWORD-1]}"
printf '%s\\n' "\${COMPREPLY[@]}"
`;

function bashComplete(line: string): string[] {
  const out = execFileSync('bash', ['--norc', '--noprofile', '-c', BASH_HARNESS, 'bash', BASH, ...bashWords(line)], {
    env: env(),
    encoding: 'utf8',
  });
  return out.split('\n').filter((l) => l !== '');
}

describe('bash', () => {
  it('is valid bash', () => {
    expect(spawnSync('bash', ['-n', BASH]).status).toBe(0);
  });

  it('completes options, with the protocol options once -p PROTO is given', () => {
    expect(bashComplete('conntrack -L -p tcp --st').sort()).toEqual(['--state', '--stats', '--status']);
    expect(bashComplete('conntrack --st').sort()).toEqual(['--stats', '--status']);
    expect(bashComplete('conntrack -L --sp')).toEqual([]);
    expect(bashComplete('conntrack -L -p udp --sp')).toEqual(['--sport']);
    expect(bashComplete('conntrack -L -p 6 --dp')).toEqual(['--dport']);
    expect(bashComplete('conntrack -L -p icmp --icmp-t')).toEqual(['--icmp-type']);
    expect(bashComplete('conntrack -L --ta')).toEqual(['--tally']);
    expect(bashComplete('conntrack -L --w')).toEqual(['--watch']);
    expect(bashComplete('conntrack -L --to')).toEqual(['--top']);
    // -R/--load-file only as the first argument
    expect(bashComplete('conntrack --lo')).toEqual(['--load-file']);
    expect(bashComplete('conntrack -L --lo')).toEqual([]);
    // an optional argument (-n) can be left out: options follow
    expect(bashComplete('conntrack -L -n --sr')).toEqual(['--src', '--src-nat']);
  });

  it('completes -o formats, comma-list aware', () => {
    expect(bashComplete('conntrack -o ex')).toEqual(['extended']);
    expect(bashComplete('conntrack -L -o ')).toEqual(OUTPUT_FORMATS);
    expect(bashComplete('conntrack -L -o xml,')).toEqual(OUTPUT_FORMATS.filter((f) => f !== 'xml').map((f) => `xml,${f}`));
    expect(bashComplete('conntrack -L -o extended,j')).toEqual(['extended,json']);
    expect(bashComplete('conntrack -L --output=j')).toEqual(['json']);
  });

  it('completes states for the protocol on the line', () => {
    expect(bashComplete('conntrack -p tcp --state E')).toEqual(['ESTABLISHED']);
    expect(bashComplete('conntrack -L -p tcp --state ')).toEqual(STATES.tcp);
    expect(bashComplete('conntrack -L -p sctp --state CO').sort()).toEqual(['COOKIE_ECHOED', 'COOKIE_WAIT']);
    expect(bashComplete('conntrack -L -p dccp --state PART')).toEqual(['PARTOPEN']);
    expect(bashComplete('conntrack -I -p dccp --role ')).toEqual(['client', 'server']);
  });

  it('completes tables after a command', () => {
    expect(bashComplete('conntrack -L ')).toEqual(['conntrack', 'expect', 'dying', 'unconfirmed']);
    expect(bashComplete('conntrack --dump d')).toEqual(['dying']);
    expect(bashComplete('conntrack -D ')).toEqual(['conntrack', 'expect']);
    expect(bashComplete('conntrack -S e')).toEqual(['expect']);
    expect(bashComplete('conntrack -E --ev')).toEqual(['--event', '--event-mask']);
  });

  it('completes statuses, events, families, protocols, --tally keys and labels', () => {
    expect(bashComplete('conntrack -u AS')).toEqual(['ASSURED']);
    expect(bashComplete('conntrack -L -u ASSURED,S')).toEqual(['ASSURED,SEEN_REPLY']);
    expect(bashComplete('conntrack -E -e ')).toEqual(EVENTS);
    expect(bashComplete('conntrack -E -e NEW,D')).toEqual(['NEW,DESTROY']);
    expect(bashComplete('conntrack -L -f ')).toEqual(FAMILIES);
    expect(bashComplete('conntrack -L -p u').slice(0, 2)).toEqual(['udp', 'udplite']);
    expect(bashComplete('conntrack -L -p ic')).toContain('icmp');
    expect(bashComplete('conntrack --tally d')).toEqual(['dst', 'dport']);
    expect(bashComplete('conntrack -L --tally src,s')).toEqual(['src,sport', 'src,state', 'src,status']);
    // blanks in a name are quoted for the command line
    expect(bashComplete('conntrack -L -l ')).toEqual(['eth0-in', 'eth1-in', 'web', 'my\\ label']);
    expect(bashComplete('conntrack -L --label-add eth')).toEqual(['eth0-in', 'eth1-in']);
    expect(bashComplete('conntrack -L -l web,e')).toEqual(['web,eth0-in', 'web,eth1-in']);
  });

  it('offers nothing for free-form values', () => {
    expect(bashComplete('conntrack -L -s ')).toEqual([]);
    expect(bashComplete('conntrack -L -p tcp --sport ')).toEqual([]);
    expect(bashComplete('conntrack -L --tally src --top ')).toEqual([]);
  });
});

const ZSH_HARNESS = `
source "$1"; shift
words=("$@")
CURRENT=$#
local -a reply; local _conntrack_kind
_conntrack_candidates
print -r -- $_conntrack_kind
print -rl -- "\${reply[@]}"
`;

function zshComplete(line: string): { kind: string; reply: string[] } {
  const words = line.split(' ').filter((w, i, a) => w !== '' || i === a.length - 1);
  const out = execFileSync('zsh', ['-f', '-c', ZSH_HARNESS, 'zsh', ZSH, ...words], { env: env(), encoding: 'utf8' });
  const [kind, ...reply] = out.split('\n').filter((l) => l !== '');
  return { kind, reply };
}

describe.skipIf(!HAS_ZSH)('zsh (skipped when zsh is not installed)', () => {
  it('is valid zsh', () => {
    expect(spawnSync('zsh', ['-n', ZSH]).status).toBe(0);
    expect(readFileSync(ZSH, 'utf8').startsWith('#compdef conntrack\n')).toBe(true);
  });

  it('computes the candidates for sample lines', () => {
    expect(zshComplete('conntrack -L -p tcp --st').reply.sort()).toEqual(['--state', '--stats', '--status']);
    expect(zshComplete('conntrack --sp').reply).toEqual([]);
    expect(zshComplete('conntrack -o ex')).toEqual({ kind: 'list', reply: ['extended'] });
    expect(zshComplete('conntrack -o xml,j')).toEqual({ kind: 'list', reply: ['xml,json'] });
    expect(zshComplete('conntrack --output=j').reply).toEqual(['json']);
    expect(zshComplete('conntrack -p tcp --state E')).toEqual({ kind: 'values', reply: ['ESTABLISHED'] });
    expect(zshComplete('conntrack -L ').reply).toEqual(TABLES_LIST);
    expect(zshComplete('conntrack --tally d').reply).toEqual(['dst', 'dport']);
    expect(zshComplete('conntrack -u AS').reply).toEqual(['ASSURED']);
    expect(zshComplete('conntrack -L -l ').reply).toEqual(['eth0-in', 'eth1-in', 'web', 'my label']);
    expect(zshComplete('conntrack -L -s ').kind).toBe('free');
    expect(zshComplete('conntrack -R ').kind).toBe('file');
  });
});

function fishComplete(line: string): string[] {
  const out = execFileSync('fish', ['--no-config', '-c', 'source $argv[1]; complete -C $argv[2]', FISH, line], {
    env: env(),
    encoding: 'utf8',
  });
  return out
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => l.split('\t')[0]);
}

describe.skipIf(!HAS_FISH)('fish (skipped when fish is not installed)', () => {
  it('is valid fish', () => {
    expect(spawnSync('fish', ['--no-config', '-n', FISH]).status).toBe(0);
  });

  it('completes options, values, states and tables', () => {
    expect(fishComplete('conntrack -o ').sort()).toEqual([...OUTPUT_FORMATS].sort());
    expect(fishComplete('conntrack -o xml,e')).toEqual(['xml,extended']);
    expect(fishComplete('conntrack -L -p tcp --st').sort()).toEqual(['--state', '--stats', '--status']);
    expect(fishComplete('conntrack --sp')).toEqual([]);
    expect(fishComplete('conntrack -p tcp --state E')).toEqual(['ESTABLISHED']);
    expect(fishComplete('conntrack -L ').sort()).toEqual([...TABLES_LIST].sort());
    expect(fishComplete('conntrack -D ').sort()).toEqual(['conntrack', 'expect']);
    expect(fishComplete('conntrack --tally d').sort()).toEqual(['dport', 'dst']);
    expect(fishComplete('conntrack -u AS')).toEqual(['ASSURED']);
    expect(fishComplete('conntrack -L -l ').sort()).toEqual(['eth0-in', 'eth1-in', 'my label', 'web']);
  });
});

describe('man page and package', () => {
  const MAN = join(ROOT, 'man/conntrack-ts.8');

  it('documents our additions', () => {
    const text = readFileSync(MAN, 'utf8');
    for (const s of ['.SH NAME', '.SH SYNOPSIS', '.SH DESCRIPTION', '.SH OPTIONS', '.SH EXAMPLES', '.SH SEE ALSO']) {
      expect(text).toContain(s);
    }
    for (const s of ['\\-o json', '\\-\\-tally', '\\-\\-top', '\\-\\-watch', 'NO_COLOR', 'schema/flow.schema.json']) {
      expect(text).toContain(s);
    }
    for (const k of TALLY) expect(text.replace(/\\-/g, '-')).toMatch(new RegExp(`\\b${k}\\b`));
  });

  it.skipIf(!has('groff'))('renders without warnings (skipped when groff is not installed)', () => {
    const r = spawnSync('groff', ['-man', '-ww', '-z', MAN], { encoding: 'utf8' });
    expect(r.status).toBe(0);
    expect(r.stderr).toBe('');
  });

  it('ships the completions and the man page', () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
    expect(pkg.files).toEqual(expect.arrayContaining(['completions', 'man']));
    expect(pkg.man).toEqual(['./man/conntrack-ts.8']);
  });
});
