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
import { NfnlSocket, type SocketOptions } from '../src/netlink/socket/nfnl-socket.js';
import { main } from '../src/cli/main.js';
import { MemorySink } from '../src/format/sink.js';
import { fixedClock } from '../src/format/clock.js';

const [caseFile, outDir, labelmapPath] = process.argv.slice(2);
if (!caseFile || !outDir) {
  console.error('usage: capture-fixtures.ts CASEFILE OUTDIR [LABELMAP]');
  process.exit(2);
}
const REF = process.env.REF ?? '/usr/sbin/conntrack';
const SOCKETS = process.env.SOCKETS === '1';

/**
 * RELOAD=FILE[:FILE...] (for cases that change the table, run in a private netns): before each run the table is
 * flushed and the files are loaded with the reference's -R, so every run starts from the same table.
 */
const RELOAD = process.env.RELOAD ? process.env.RELOAD.split(':') : [];
function reload(): void {
  if (!RELOAD.length) return;
  spawnSync(REF, ['-F'], { stdio: 'ignore' });
  for (const f of RELOAD) {
    const r = spawnSync(REF, ['-R', f], { encoding: 'latin1' });
    if (r.status !== 0) throw new Error(`${REF} -R ${f}: ${r.stderr}`);
  }
}

function ref(args: string[]): { stdout: string; stderr: string; status: number } {
  reload();
  const r = spawnSync(REF, args, { encoding: 'latin1', argv0: 'conntrack' });
  return { stdout: r.stdout, stderr: r.stderr, status: r.status ?? -1 };
}

/** What one socket of our client received, and the first sequence number it used (for a scripted replay). */
interface Tapped {
  seq: number;
  datagrams: Buffer[];
}

/** A socket whose received datagrams are recorded; the first sequence number it will use is known. */
function tapped(opts: SocketOptions, into: Tapped[]): NfnlSocket {
  const sock = new NfnlSocket(opts);
  const t: Tapped = { seq: sock.allocSeq() + 1, datagrams: [] };
  sock.tap = (d) => t.datagrams.push(Buffer.from(d));
  into.push(t);
  return sock;
}

async function ours(
  args: string[],
): Promise<{ datagrams: Buffer[]; sockets: Tapped[]; now: number; stdout: string; stderr: string; status: number }> {
  const sockets: Tapped[] = [];
  reload();
  const out = new MemorySink();
  let stderr = '';
  const now = Math.floor(Date.now() / 1000);
  const status = await main({
    argv: ['conntrack', ...args],
    out,
    err: (s) => (stderr += s),
    clock: fixedClock(now),
    labelmapPath,
    // the same sockets ConntrackClient.open() makes, with taps
    openClient: () => ConntrackClient.over(tapped({}, sockets), () => tapped({ recvBufferSize: 4 << 20, msgBufferSize: 8192 }, sockets)),
  });
  return { datagrams: sockets[0]?.datagrams ?? [], sockets, now, stdout: out.text, stderr, status };
}

mkdirSync(join(outDir, 'kernel', SOCKETS ? 'sockets' : ''), { recursive: true });
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
    // with SOCKETS=1, every socket's datagrams with its first sequence number, for test/helpers/scripted-transport.ts:
    // the main socket's, then the modifier's (-D, -U, -R)
    if (SOCKETS)
      writeFileSync(
        join(outDir, 'kernel', 'sockets', `${c.name}.hex`),
        `# ${REF} ${c.args.join(' ')}\n` +
          mine.sockets.map((t) => `# socket seq ${t.seq}\n` + t.datagrams.map((d) => d.toString('hex') + '\n').join('')).join(''),
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
