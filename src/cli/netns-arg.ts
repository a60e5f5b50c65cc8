// --netns NAME|PATH, our addition: the command runs as `ip netns exec NAME conntrack ARGS` would, where ARGS is the
// command line without --netns and its value. So it is taken off argv before anything else looks at it (conntrack
// opens its socket before parsing, and -R is recognised only as the first argument): what is left is parsed,
// reported on (argv positions in messages included) and run exactly as conntrack would, inside the namespace.
//
// Finding it takes a walk of argv as getopt_long makes it (program.ts's table): a word that is the value of an
// option before it (`-m --netns`) is that option's, and `--` ends the options. A protocol's own options (merged
// after -p) are not in the table; their values are words like any other, which is right for every value that
// does not itself start with --ne. Abbreviations from `--ne` on are --netns: `--n` stays conntrack's --nat-range.

import { parameterProblem } from '../commands/errors.js';
import { GETOPT_STRING, longOptions } from './program.js';

export const NETNS_OPTION = 'netns';
/** The shortest abbreviation taken: `--n` is conntrack's (--nat-range). */
const NETNS_MIN_PREFIX = 2;

export interface NetnsArg {
  /** argv without --netns and its value */
  argv: string[];
  /** the namespace named, if any */
  netns?: string;
}

const isNetns = (name: string): boolean => name.length >= NETNS_MIN_PREFIX && NETNS_OPTION.startsWith(name);

/** Whether getopt_long gives this long option (an exact name or a unique prefix) a separate required value. */
function takesValue(name: string): boolean {
  const opts = longOptions();
  const exact = opts.find((o) => o.name === name);
  if (exact) return exact.hasArg === 1;
  // several names of one option (--src, --orig-src) are one match; several options, an ambiguity (no value taken)
  const prefixed = opts.filter((o) => o.name.startsWith(name));
  return prefixed.length > 0 && prefixed.every((o) => o.val === prefixed[0].val && o.hasArg === 1);
}

/** The number of words after this cluster of short options that its last option takes (0 or 1). */
function shortValueWords(word: string): number {
  for (let i = 1; i < word.length; i++) {
    const at = GETOPT_STRING.indexOf(word[i]);
    if (at <= 0 || word[i] === ':') continue;
    if (GETOPT_STRING[at + 1] !== ':') continue;
    // an optional value only attaches; a required one is the rest of the word, or the next word
    if (GETOPT_STRING[at + 2] === ':' || i + 1 < word.length) return 0;
    return 1;
  }
  return 0;
}

/** Takes --netns off the command line. A missing value is a parameter problem, as for conntrack's options. */
export function takeNetns(argv: readonly string[]): NetnsArg {
  // the common case costs one look at each word
  if (!argv.some((w, i) => i > 0 && w.startsWith('--ne'))) return { argv: [...argv] };
  const out: string[] = [argv[0]];
  let netns: string | undefined;
  for (let i = 1; i < argv.length; i++) {
    const w = argv[i];
    if (w === '--') {
      out.push(...argv.slice(i));
      break;
    }
    if (w.startsWith('--')) {
      const eq = w.indexOf('=');
      const name = w.slice(2, eq >= 0 ? eq : undefined);
      if (isNetns(name)) {
        if (netns !== undefined) throw parameterProblem(`option \`--${NETNS_OPTION}' can be given once`);
        if (eq >= 0) netns = w.slice(eq + 1);
        else if (i + 1 < argv.length) netns = argv[++i];
        else throw parameterProblem(`option \`${w}' requires an argument`);
        continue;
      }
      out.push(w);
      if (eq < 0 && takesValue(name) && i + 1 < argv.length) out.push(argv[++i]);
      continue;
    }
    out.push(w);
    if (w.length > 1 && w[0] === '-' && shortValueWords(w) && i + 1 < argv.length) out.push(argv[++i]);
  }
  return { argv: out, netns };
}
