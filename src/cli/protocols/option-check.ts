// generic_opt_check (src/conntrack.c): the option combination check of the main program and of each extension.

import { parameterProblem } from '../../commands/errors.js';

// ---------------------------------------------------------------------------------------------------------------
// generic_opt_check (src/conntrack.c)

/**
 * conntrack.c generic_opt_check(): for each option bit i (in order) a missing mandatory option (optset[i] == 1) or
 * a present illegal one (optset[i] == 0) throws a parameter problem. Then, if some optset[i] == 3 and coupled
 * flags are given, looks for an exact match of one coupled pair ({ok:true}) or reports the first partial match
 * (partial = -1 when none).
 */
export function genericOptCheck(
  options: number,
  numOpts: number,
  optset: readonly number[],
  optflags: readonly string[],
  coupled?: readonly number[],
): { ok: true } | { ok: false; partial: number } {
  let specialCase = false;
  for (let i = 0; i < numOpts; i++) {
    const set = optset[i] ?? 0;
    // glibc printf("%s", NULL) prints "(null)"; never reached with the C tables
    const name = optflags[i] ?? '(null)';
    if (!(options & (1 << i))) {
      if (set === 1) throw parameterProblem(`You need to supply the \`--${name}' option for this command`);
    } else if (set === 0) {
      throw parameterProblem(`Illegal option \`--${name}' with this command`);
    }
    if (set === 3) specialCase = true;
  }
  // no weird flag combinations, leave
  if (!specialCase || coupled === undefined) return { ok: true };

  let partial = -1;
  for (let i = 0; i < coupled.length; i++) {
    // an exact match of a pair ends the search ...
    if ((options & coupled[i]) === coupled[i]) return { ok: true };
    // ... otherwise remember the first partial match
    if (options & coupled[i] && partial < 0) partial = i;
  }
  return { ok: false, partial };
}
