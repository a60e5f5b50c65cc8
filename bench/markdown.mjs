#!/usr/bin/env node
// The README's performance table from one bench run: a Markdown table of every case of a results JSON
// (bench/results/latest.json by default), with the run's date, machine, load average and node -e 0.
//
// usage: node bench/markdown.mjs [RESULTS.json]
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const file = process.argv[2] ?? join(dirname(fileURLToPath(import.meta.url)), 'results/latest.json');
const doc = JSON.parse(readFileSync(file, 'utf8'));

const ms = (x) => (x === null || x === undefined ? '' : x >= 1000 ? `${(x / 1000).toFixed(2)} s` : `${x.toFixed(1)} ms`);
const mb = (x) => (x === null || x === undefined ? '' : `${x.toFixed(1)} MB`);
const size = (n) => (n >= 1e6 && n % 1e6 === 0 ? `${n / 1e6}M` : n >= 1e3 && n % 1e3 === 0 ? `${n / 1e3}k` : String(n));
const shown = (c) => `\`${c.args.replace(/\|/g, '\\|')}${c.mode === 'wc' ? ' \\| wc -l' : c.mode === 'null' ? ' > /dev/null' : ''}\``;

const m = doc.machine;
const out = [];
out.push(
  `Bench run of ${doc.started} (\`npm run bench\`, git ${doc.ours.git_rev}${doc.ours.git_dirty ? ' with changes' : ''}; ` +
    `${m.nproc} cores, ${m.cpu}, kernel ${m.kernel}, Node ${m.node}; median of ${doc.runs} interleaved runs; ` +
    `load average ${doc.loadavg?.start ?? '?'} at the start, ${doc.loadavg?.end ?? '?'} at the end; reference: ${doc.ref.version}):`,
);
out.push('');
out.push('| entries | case | reference | ours | ours / reference | `node -e 0` | peak RSS ours |');
out.push('| --- | --- | --- | --- | --- | --- | --- |');
for (const s of doc.sizes) {
  for (const c of s.cases) {
    const node0 = c.node_e0?.median_ms ?? s.node_e0?.median_ms;
    const ratio = c.ratio_ours_ref === null ? '' : `**${c.ratio_ours_ref.toFixed(2)}x**`;
    const check = c.check === 'ok' ? '' : ' (FAIL)';
    out.push(
      `| ${size(s.size)} | ${shown(c)}${check} | ${ms(c.ref?.median_ms)} | ${ms(c.ours?.median_ms)} | ${ratio} | ${ms(node0)} | ${mb(c.ours?.rss_mb_median)} |`,
    );
  }
}
process.stdout.write(`${out.join('\n')}\n`);
