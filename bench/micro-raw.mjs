// Microbenchmark of the raw readers over the captured conntrack messages (fixtures/kernel/*.hex): ns per message
// for the raw prefilter (-p tcp --dport 443), tally's raw field readers, the decoder, the -D delete copy and the
// expectation decoder (over the captured expectation messages).
// Runs against the compiled library: `npm run build && node bench/micro-raw.mjs [processes] [rounds]`.
// Each case runs alone in a process of its own, several times: in one shared loop the call site would see every
// case's function (megamorphic) and the cases would slow each other down. Reported: the median over processes of
// each process's median round, and the spread of those medians.

import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const dist = (p) => import(join(root, 'dist', p));
// messages per round: the slow cases get fewer, so that a run stays short
const BUDGET = { decode: 300_000, delete: 600_000, expect: 300_000 };
const CASES = ['prefilter', 'tally-dport', 'tally-src', 'tally-proto', 'tally-mark', 'tally-zone', 'decode', 'delete', 'expect'];
const LABEL = {
  prefilter: 'prefilter -p tcp --dport 443',
  'tally-dport': 'tally raw dport',
  'tally-src': 'tally raw src',
  'tally-proto': 'tally raw proto',
  'tally-mark': 'tally raw mark',
  'tally-zone': 'tally raw zone',
  decode: 'FlowDecoder.decode',
  delete: 'writeDeleteFromMessage',
  expect: 'decodeExpect',
};

/** The conntrack entry messages (IPCTNL_MSG_CT_NEW / _DELETE), or with `expect` the expectation messages. */
async function messages(expect) {
  const { forEachMessage } = await dist('netlink/framing.js');
  // every conntrack entry message (IPCTNL_MSG_CT_NEW / _DELETE of subsystem 1) of the captures, end to end, or
  // every expectation message (IPCTNL_MSG_EXP_NEW / _DELETE of subsystem 2)
  const msgs = [];
  const dir = join(root, 'fixtures', 'kernel');
  for (const f of readdirSync(dir).filter((n) => n.endsWith('.hex'))) {
    for (const line of readFileSync(join(dir, f), 'utf8').split('\n')) {
      if (!line.trim() || line.startsWith('#')) continue;
      const d = Buffer.from(line.trim(), 'hex');
      try {
        forEachMessage(d, (off, len, type) => {
          const want = expect ? type === 0x200 || type === 0x202 : type === 0x100 || type === 0x102;
          if (want) msgs.push(Buffer.from(d.subarray(off, off + len)));
        });
      } catch {}
    }
  }
  const all = Buffer.concat(msgs);
  const offs = [];
  const lens = [];
  for (let o = 0, i = 0; i < msgs.length; o += msgs[i].length, i++) {
    offs.push(o);
    lens.push(msgs[i].length);
  }
  return { all, offs, lens };
}

async function caseFn(name) {
  switch (name) {
    case 'prefilter': {
      const { compileRawPrefilter } = await dist('filter/userspace.js');
      const { allFlows } = await dist('filter/query.js');
      return compileRawPrefilter({ ...allFlows(), compare: true, orig: { protonum: 6, dstPort: 443 } });
    }
    case 'tally-dport':
    case 'tally-src':
    case 'tally-proto':
    case 'tally-mark':
    case 'tally-zone': {
      const { rawFieldReader } = await dist('ctnetlink/raw-fields.js');
      const read = rawFieldReader(name.slice(6));
      return (b, o, l) => read(b, o, l) !== -2;
    }
    case 'decode': {
      const { FlowDecoder } = await dist('ctnetlink/decode.js');
      const dec = new FlowDecoder();
      return (b, o, l) => dec.decode(b, o, l) !== undefined;
    }
    case 'delete': {
      const { NlWriter } = await dist('netlink/writer.js');
      const { writeDeleteFromMessage } = await dist('ctnetlink/requests.js');
      const w = new NlWriter(1 << 20);
      let seq = 0;
      return (b, o, l) => {
        writeDeleteFromMessage(w, b, o, l, seq++);
        if (seq % 1000 === 0) w.take();
        return true;
      };
    }
    case 'expect': {
      const { decodeExpect } = await dist('ctnetlink/expect.js');
      return (b, o, l) => decodeExpect(b, o, l) !== undefined;
    }
  }
  throw new Error(`no case ${name} (cases: ${CASES.join(' ')})`);
}

/** One case in this process: prints the median ns/message of `rounds` rounds. */
async function runCase(name, rounds) {
  const { all, offs, lens } = await messages(name === 'expect');
  const fn = await caseFn(name);
  const n = offs.length;
  const reps = Math.max(1, Math.floor((BUDGET[name] ?? 2_000_000) / n));
  let sink = 0;
  for (let r = 0; r < reps; r++) for (let i = 0; i < n; i++) sink += fn(all, offs[i], lens[i]) ? 1 : 0; // warm-up
  const ns = [];
  for (let k = 0; k < rounds; k++) {
    const t0 = process.hrtime.bigint();
    for (let r = 0; r < reps; r++) for (let i = 0; i < n; i++) sink += fn(all, offs[i], lens[i]) ? 1 : 0;
    ns.push(Number(process.hrtime.bigint() - t0) / (reps * n));
  }
  ns.sort((a, b) => a - b);
  console.log(JSON.stringify({ median: ns[ns.length >> 1], n, sink: sink > 0 }));
}

const med = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];

if (process.argv[2] === '--case') {
  await runCase(process.argv[3], Number(process.argv[4] ?? 5));
} else {
  const procs = Number(process.argv[2] ?? 5);
  const rounds = Number(process.argv[3] ?? 5);
  const only = process.env.MICRO_ONLY ? process.env.MICRO_ONLY.split(',') : CASES;
  const self = fileURLToPath(import.meta.url);
  const results = Object.fromEntries(only.map((c) => [c, []]));
  const counts = {};
  // interleaved (case after case, process after process) so that a change in the machine's load hits every case
  for (let p = 0; p < procs; p++) {
    for (const c of only) {
      const out = JSON.parse(execFileSync(process.execPath, [self, '--case', c, String(rounds)], { encoding: 'utf8' }));
      results[c].push(out.median);
      counts[c] = out.n;
    }
  }
  for (const c of only) {
    const xs = results[c];
    console.log(
      `${LABEL[c].padEnd(30)} median ${med(xs).toFixed(1).padStart(6)} ns/message  min ${Math.min(...xs)
        .toFixed(1)
        .padStart(6)}  max ${Math.max(...xs)
        .toFixed(1)
        .padStart(6)}  (${procs} processes, ${counts[c]} messages)`,
    );
  }
}
