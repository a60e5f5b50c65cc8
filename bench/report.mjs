#!/usr/bin/env node
// Turn the raw TSV files written by bench/run.sh into a table on stdout and a
// JSON document.
//
// usage: node bench/report.mjs TMPDIR OUT.json
//   TMPDIR/meta.tsv     key \t value
//   TMPDIR/sizes.tsv    size \t populate_s \t loaded (entries added by that populate)
//   TMPDIR/cases.tsv    size \t name \t args \t mode \t opts
//   TMPDIR/samples.tsv  size \t case \t tool \t run \t wall_us \t rss_kb \t rc \t check
//   TMPDIR/phases.tsv   size \t case \t phase \t first_ms \t last_ms \t count (one run of ours, CONNTRACK_PHASES)
import { readFileSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';

const [dir, outPath] = process.argv.slice(2);
if (!dir || !outPath) {
  process.stderr.write('usage: report.mjs TMPDIR OUT.json\n');
  process.exit(2);
}

const rows = (f) =>
  existsSync(join(dir, f))
    ? readFileSync(join(dir, f), 'utf8')
        .split('\n')
        .filter((l) => l.length > 0)
        .map((l) => l.split('\t'))
    : [];

const meta = Object.fromEntries(rows('meta.tsv').map(([k, ...v]) => [k, v.join('\t')]));
const num = (v) => (v === undefined || v === 'NA' || v === '' ? null : Number(v));

function median(xs) {
  const a = xs.filter((x) => x !== null && Number.isFinite(x)).sort((p, q) => p - q);
  if (a.length === 0) return null;
  const m = a.length >> 1;
  return a.length % 2 ? a[m] : (a[m - 1] + a[m]) / 2;
}
const round = (x, d = 3) => (x === null ? null : Math.round(x * 10 ** d) / 10 ** d);

const samples = rows('samples.tsv').map(([size, name, tool, run, wall, rss, rc, check]) => ({
  size: Number(size),
  name,
  tool,
  run: Number(run),
  wallUs: Number(wall),
  rssKb: num(rss),
  rc: Number(rc),
  check,
}));

function toolStats(list) {
  if (list.length === 0) return null;
  const walls = list.map((s) => s.wallUs / 1000);
  return {
    median_ms: round(median(walls)),
    min_ms: round(Math.min(...walls)),
    max_ms: round(Math.max(...walls)),
    rss_mb_median: round(median(list.map((s) => (s.rssKb === null ? null : s.rssKb / 1024))), 1),
    samples_ms: walls.map((w) => round(w)),
    rss_kb: list.map((s) => s.rssKb),
    exit_codes: [...new Set(list.map((s) => s.rc))],
    outputs: [...new Set(list.map((s) => s.check))].filter((c) => c !== '-'),
  };
}

const sizes = rows('sizes.tsv').map(([size, pop, loaded]) => ({
  size: Number(size),
  populate_s: Number(pop),
  populate_entries: Number(loaded ?? size),
  cases: [],
}));
const phases = rows('phases.tsv').map(([size, name, phase, first, last, count]) => ({
  size: Number(size),
  name,
  phase,
  first_ms: num(first),
  last_ms: num(last),
  count: num(count),
}));

for (const [size, name, args, mode, opts] of rows('cases.tsv')) {
  const entry = sizes.find((s) => s.size === Number(size));
  if (!entry) continue;
  const mine = samples.filter((s) => s.size === Number(size) && s.name === name);
  if (opts === 'baseline') {
    // `node -e 0` alone at this size (run.sh measure_node0)
    entry.node_e0 = toolStats(mine.filter((s) => s.tool === 'node0'));
    continue;
  }
  const ref = toolStats(mine.filter((s) => s.tool === 'ref'));
  const ours = toolStats(mine.filter((s) => s.tool === 'ours'));
  const node0 = toolStats(mine.filter((s) => s.tool === 'node0'));
  const problems = [];
  for (const [label, st] of [
    ['ref', ref],
    ['ours', ours],
  ]) {
    if (!st) problems.push(`${label}: no samples`);
    else if (st.exit_codes.some((c) => c !== 0)) problems.push(`${label} exit ${st.exit_codes.join(',')}`);
  }
  if (mode !== 'null' && ref && ours) {
    if (ref.outputs.join('\n') !== ours.outputs.join('\n')) {
      problems.push(`output differs: ref [${ref.outputs.join(' ')}] ours [${ours.outputs.join(' ')}]`);
    }
  }
  const c = {
    name,
    args,
    mode,
    opts: opts ? opts.split(',').filter(Boolean) : [],
    ref,
    ours,
    ratio_ours_ref: ref && ours && ref.median_ms > 0 ? round(ours.median_ms / ref.median_ms, 2) : null,
    check: problems.length ? 'FAIL' : 'ok',
    problems,
  };
  if (node0) {
    c.node_e0 = node0;
    c.ratio_ours_node_e0 = ours && node0.median_ms > 0 ? round(ours.median_ms / node0.median_ms, 2) : null;
  }
  const mark = phases.filter((p) => p.size === Number(size) && p.name === name);
  if (mark.length) c.ours_phases = mark.map(({ phase, first_ms, last_ms, count }) => ({ phase, first_ms, last_ms, count }));
  entry.cases.push(c);
}

const doc = {
  tool: 'conntrack-ts bench',
  started: meta.started,
  total_s: num(meta.total_s),
  // the load average (1, 5, 15 min) before and after the run: how much else the machine was doing
  loadavg: { start: meta.loadavg_start ?? null, end: meta.loadavg_end ?? null },
  machine: {
    nproc: num(meta.nproc),
    kernel: meta.kernel,
    cpu: meta.cpu,
    mem_total_mb: meta.mem_total_kb ? Math.round(Number(meta.mem_total_kb) / 1024) : null,
    os: meta.os,
    node: meta.node,
    nf_conntrack_max_during_run: num(meta.nf_conntrack_max_during),
    nf_conntrack_buckets: num(meta.nf_conntrack_buckets),
  },
  ref: { cmd: meta.ref_cmd, version: meta.ref_version, base: meta.base === 'true' },
  ours: { cmd: meta.ours_cmd, git_rev: meta.git_rev, git_dirty: meta.git_dirty === 'true' },
  same_command_both_sides: meta.ref_cmd === meta.ours_cmd,
  runs: num(meta.runs),
  warmup: num(meta.warmup),
  populate_jobs: num(meta.jobs),
  harness_overhead_ms: meta.harness_overhead_us ? round(Number(meta.harness_overhead_us) / 1000) : null,
  notes: [
    'wall = median over runs of the elapsed time of the whole shell command (including the pipe to wc for mode wc), measured with bash EPOCHREALTIME around /usr/bin/time',
    'rss = peak RSS of the tool process (GNU time %M), median over runs',
    'runs are interleaved ref, ours[, node -e 0] per round; warmup rounds are discarded',
    'sizes run ascending; each table is a prefix of the next, so populate_entries is what that step added',
  ],
  fails: num(meta.fails),
  sizes,
};
writeFileSync(outPath, JSON.stringify(doc, null, 2) + '\n');

// ---- table --------------------------------------------------------------
const fmtMs = (x) => (x === null || x === undefined ? '-' : x >= 1000 ? `${(x / 1000).toFixed(2)}s` : `${x.toFixed(1)}ms`);
const fmtMb = (x) => (x === null || x === undefined ? '-' : x.toFixed(1));
const fmtN = (n) => (n >= 1e6 && n % 1e6 === 0 ? `${n / 1e6}M` : n >= 1e3 && n % 1e3 === 0 ? `${n / 1e3}k` : String(n));

const header = ['size', 'case', 'args', 'ref', 'ours', 'ours/ref', 'ref MB', 'ours MB', 'check'];
const table = [header];
for (const s of sizes) {
  if (s.node_e0) {
    table.push([
      fmtN(s.size),
      'node -e 0',
      'baseline at this size',
      '',
      fmtMs(s.node_e0.median_ms),
      '',
      '',
      fmtMb(s.node_e0.rss_mb_median),
      '',
    ]);
  }
  for (const c of s.cases) {
    table.push([
      fmtN(s.size),
      c.name,
      c.args + (c.mode === 'wc' ? ' | wc -l' : c.mode === 'null' ? ' >/dev/null' : ''),
      fmtMs(c.ref?.median_ms),
      fmtMs(c.ours?.median_ms),
      c.ratio_ours_ref === null ? '-' : `${c.ratio_ours_ref.toFixed(2)}x`,
      fmtMb(c.ref?.rss_mb_median),
      fmtMb(c.ours?.rss_mb_median),
      c.check === 'ok' ? (c.mode === 'wc' ? `ok (${c.ref.outputs.join(',')} lines)` : 'ok') : 'FAIL',
    ]);
    if (c.node_e0) {
      table.push([
        '',
        '  node -e 0',
        'baseline',
        '',
        fmtMs(c.node_e0.median_ms),
        c.ratio_ours_node_e0 === null ? '-' : `ours/node: ${c.ratio_ours_node_e0.toFixed(2)}x`,
        '',
        fmtMb(c.node_e0.rss_mb_median),
        '',
      ]);
    }
  }
}
const widths = header.map((_, i) => Math.max(...table.map((r) => r[i].length)));
const line = (r) =>
  r
    .map((cell, i) => (i <= 2 ? cell.padEnd(widths[i]) : cell.padStart(widths[i])))
    .join('  ')
    .trimEnd();

const out = [];
out.push('');
out.push(`conntrack benchmark  ${doc.started}  (${doc.total_s}s total)`);
out.push(
  `machine: ${doc.machine.nproc} cpu (${doc.machine.cpu}), ${doc.machine.mem_total_mb} MB, kernel ${doc.machine.kernel}, node ${doc.machine.node}`,
);
out.push(`ref:  ${doc.ref.cmd} (${doc.ref.version})${doc.ref.base ? '   [BASE: an A/B run, ours against this build]' : ''}`);
out.push(`ours: ${doc.ours.cmd}${doc.same_command_both_sides ? '   [SAME COMMAND AS REF: harness test]' : ''}`);
out.push(`runs: ${doc.runs} (+${doc.warmup} warmup), median wall time; harness overhead ~${fmtMs(doc.harness_overhead_ms)}`);
out.push(
  `populate: ${sizes
    .map((s) => `${fmtN(s.size)}: +${fmtN(s.populate_entries)} in ${s.populate_s.toFixed(2)}s`)
    .join(', ')} (${doc.populate_jobs} parallel conntrack -R, smaller tables are prefixes of larger ones)`,
);
out.push('');
out.push(line(table[0]));
out.push(line(widths.map((w) => '-'.repeat(w))));
for (const r of table.slice(1)) out.push(line(r));
for (const s of sizes) for (const c of s.cases) for (const p of c.problems) out.push(`FAIL ${fmtN(s.size)} ${c.name}: ${p}`);
const withPhases = sizes.flatMap((s) => s.cases.filter((c) => c.ours_phases).map((c) => [s, c]));
if (withPhases.length) {
  out.push('');
  out.push('phases of one more run of ours (ms since its process started; launch: from the harness clock to the start,');
  out.push('node: Node bootstrapped, cli: our code loaded, reply/done/stdout: first..last (times) when more than once):');
  const nameWidth = Math.max(...withPhases.map(([, c]) => c.name.length));
  for (const [s, c] of withPhases) {
    const cells = c.ours_phases.map((p) => {
      const at = (x) => (x === null ? '-' : x.toFixed(1));
      const span = p.count > 1 && p.last_ms !== p.first_ms ? `${at(p.first_ms)}..${at(p.last_ms)} (${p.count})` : at(p.first_ms);
      return `${p.phase} ${span}`;
    });
    out.push(`  ${fmtN(s.size).padEnd(5)} ${c.name.padEnd(nameWidth)}  ${cells.join(' | ')}`);
  }
}
out.push('');
out.push(`results: ${outPath}`);
process.stdout.write(out.join('\n') + '\n');
