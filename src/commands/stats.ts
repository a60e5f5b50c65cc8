// -C (count) and -S (per-CPU statistics), with conntrack's /proc fallbacks when netlink fails.

import { readFileSync } from 'node:fs';
import type { CpuStats } from '../ctnetlink/model.js';
import { otherProblem } from './errors.js';
import type { CommandContext, CommandResult } from './context.js';

const NF_CONNTRACK_COUNT_PROC = '/proc/sys/net/netfilter/nf_conntrack_count';
const CT_STATS_PROC = '/proc/net/stat/nf_conntrack';

/** nfct_stats_cb's attr2name[]: CTA_STATS_* names, then four "unknownN" for counters newer than 1.4.7. */
const CT_STATS_NAMES = [
  '',
  'searched',
  'found',
  'new',
  'invalid',
  'ignore',
  'delete',
  'delete_list',
  'insert',
  'insert_failed',
  'drop',
  'early_drop',
  'error',
  'search_restart',
  'clash_resolve',
  'chaintoolong',
  'unknown1',
  'unknown2',
  'unknown3',
  'unknown4',
];
const EXP_STATS_NAMES = ['', 'expect_new', 'expect_create', 'expect_delete'];

/** "cpu=%-4u\t" then "%s=%u " per known attribute in attribute-number order, then "\n". */
export function formatCpuStats(s: CpuStats, names: readonly string[]): string {
  const byType: Array<number | undefined> = [];
  for (const [t, v] of s.values) if (t < names.length && t > 0) byType[t] = v;
  let line = 'cpu=' + String(s.cpu).padEnd(4, ' ') + '\t';
  for (let t = 1; t < names.length; t++) if (byType[t] !== undefined) line += `${names[t]}=${byType[t]} `;
  return line + '\n';
}

export async function count(ctx: CommandContext): Promise<CommandResult> {
  try {
    const n = await ctx.client.count();
    // nfct_global_stats_cb prints only when CTA_STATS_GLOBAL_ENTRIES came back, as a signed int
    if (n !== undefined) ctx.out.write(`${n | 0}\n`);
    return { counter: 0 };
  } catch (e) {
    // fall back to /proc, print what it says, and still fail with the netlink error (as 1.4.7 does)
    let text: string;
    try {
      text = readFileSync(NF_CONNTRACK_COUNT_PROC, 'utf8');
    } catch {
      throw otherProblem(`Can't open ${NF_CONNTRACK_COUNT_PROC}`);
    }
    const m = /^\s*([+-]?\d+)/.exec(text);
    if (!m) throw otherProblem(`Can't read ${NF_CONNTRACK_COUNT_PROC}`);
    ctx.out.write(`${Number(m[1]) | 0}\n`);
    return { counter: 0, error: e };
  }
}

export async function stats(ctx: CommandContext, expect: boolean): Promise<CommandResult> {
  try {
    const all = expect ? await ctx.client.expectCpuStats() : await ctx.client.stats();
    for (const s of all) ctx.out.write(formatCpuStats(s, expect ? EXP_STATS_NAMES : CT_STATS_NAMES));
    return { counter: 0 };
  } catch (e) {
    if (!displayProcStats(ctx)) throw otherProblem("Can't open /proc interface");
    return { counter: 0, error: e };
  }
}

/** display_proc_conntrack_stats(): header tokens as names, hex values, one line per CPU. */
function displayProcStats(ctx: CommandContext): boolean {
  let text: string;
  try {
    text = readFileSync(CT_STATS_PROC, 'utf8');
  } catch {
    return false;
  }
  const lines = text.split('\n');
  if (lines.length === 0 || (lines.length === 1 && lines[0] === '')) return false;
  const names = lines[0]
    .split(' ')
    .filter((t) => t !== '')
    .slice(0, 64);
  const body = lines.slice(1);
  if (body[body.length - 1] === '') body.pop(); // fgets() sees no line after the final newline
  let cpu = 0;
  for (const line of body) {
    const values = line
      .split(' ')
      .filter((t) => t !== '')
      .map((t) => parseInt(t, 16) >>> 0);
    let out = 'cpu=' + String(cpu).padEnd(4, ' ') + '\t';
    for (let i = 0; i < names.length; i++) out += `${names[i]}=${values[i] ?? 0} `;
    ctx.out.write(out + '\n');
    cpu++;
  }
  return cpu > 0;
}
