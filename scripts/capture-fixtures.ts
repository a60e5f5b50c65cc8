// Captures fixtures from the real kernel: for each case, the reference conntrack runs, then our CLI runs the
// same arguments with a tap on its socket that records every datagram the kernel sent, then the reference runs
// again. The case is kept only when both reference runs printed the same bytes (nothing ticked in between), so
// the recorded datagrams are exactly what the reference formatted. Run inside a lab netns, as root:
//   ip netns exec LAB env TZ=UTC npx tsx scripts/capture-fixtures.ts CASEFILE OUTDIR
// CASEFILE lines: "name<TAB>args" (args split on spaces). See scripts/capture-fixtures.sh.

import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConntrackClient } from '../src/ctnetlink/client.js';
import { main } from '../src/cli/main.js';
import { MemorySink } from '../src/format/sink.js';
import { fixedClock } from '../src/format/clock.js';

const [caseFile, outDir, labelmapPath] = process.argv.slice(2);
if (!caseFile || !outDir) {
  console.error('usage: capture-fixtures.ts CASEFILE OUTDIR [LABELMAP]');
  process.exit(2);
}
const REF = process.env.REF ?? '/usr/sbin/conntrack';

function ref(args: string[]): { stdout: string; stderr: string; status: number } {
  const r = spawnSync(REF, args, { encoding: 'latin1', argv0: 'conntrack' });
  return { stdout: r.stdout, stderr: r.stderr, status: r.status ?? -1 };
}

async function ours(args: string[]): Promise<{ datagrams: Buffer[]; now: number; stdout: string; stderr: string; status: number }> {
  const datagrams: Buffer[] = [];
  const out = new MemorySink();
  let stderr = '';
  const now = Math.floor(Date.now() / 1000);
  const status = await main({
    argv: ['conntrack', ...args],
    out,
    err: (s) => (stderr += s),
    clock: fixedClock(now),
    labelmapPath,
    openClient: () => {
      const c = ConntrackClient.open();
      c.socket.tap = (d) => datagrams.push(Buffer.from(d));
      return c;
    },
  });
  return { datagrams, now, stdout: out.text, stderr, status };
}

mkdirSync(join(outDir, 'kernel'), { recursive: true });
mkdirSync(join(outDir, 'golden'), { recursive: true });
const cases = readFileSync(caseFile, 'utf8')
  .split('\n')
  .filter((l) => l.trim() && !l.startsWith('#'))
  .map((l) => {
    const [name, args] = l.split('\t');
    return { name, args: args.trim() === '' ? [] : args.trim().split(/ +/) };
  });

let failed = 0;
for (const c of cases) {
  let done = false;
  for (let attempt = 0; attempt < 20 && !done; attempt++) {
    const before = ref(c.args);
    const mine = await ours(c.args);
    const after = ref(c.args);
    if (before.stdout !== after.stdout || before.stderr !== after.stderr || before.status !== after.status) continue;
    const meta = {
      args: c.args,
      now: mine.now,
      tz: process.env.TZ ?? '',
      exit: before.status,
      labelmap: labelmapPath ? 'connlabel.conf' : undefined,
    };
    writeFileSync(
      join(outDir, 'kernel', `${c.name}.hex`),
      `# ${REF} ${c.args.join(' ')}\n` + mine.datagrams.map((d) => d.toString('hex')).join('\n') + '\n',
    );
    writeFileSync(join(outDir, 'kernel', `${c.name}.json`), JSON.stringify(meta, null, 2) + '\n');
    writeFileSync(join(outDir, 'golden', `${c.name}.stdout`), Buffer.from(before.stdout, 'latin1'));
    writeFileSync(join(outDir, 'golden', `${c.name}.stderr`), Buffer.from(before.stderr, 'latin1'));
    const same = mine.stdout === before.stdout && mine.stderr === before.stderr && mine.status === before.status;
    console.log(
      `${c.name}: captured ${mine.datagrams.length} datagrams, ${before.stdout.split('\n').length - 1} lines${same ? '' : '  (ours differs)'}`,
    );
    done = true;
  }
  if (!done) {
    console.log(`${c.name}: reference output kept changing, not captured`);
    failed++;
  }
}
process.exit(failed ? 1 : 0);
