// Microbenchmark of the raw readers over the captured conntrack messages (fixtures/kernel/*.hex): ns per message
// for the raw prefilter (-p tcp --dport 443), tally's raw field readers, the decoder and the -D delete copy.
// Runs against the compiled library: `npm run build && node bench/micro-raw.mjs [rounds]`.

import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const dist = (p) => import(join(root, 'dist', p));
const { forEachMessage } = await dist('netlink/framing.js');
const { NlWriter } = await dist('netlink/writer.js');
const { FlowDecoder } = await dist('ctnetlink/decode.js');
const { rawFieldReader } = await dist('ctnetlink/raw-fields.js');
const { writeDeleteFromMessage } = await dist('ctnetlink/requests.js');
const { compileRawPrefilter } = await dist('filter/userspace.js');
const { allFlows } = await dist('filter/query.js');

// every conntrack entry message (IPCTNL_MSG_CT_NEW / _DELETE of subsystem 1) of the captures, end to end
const msgs = [];
const dir = join(root, 'fixtures', 'kernel');
for (const f of readdirSync(dir).filter((n) => n.endsWith('.hex'))) {
  for (const line of readFileSync(join(dir, f), 'utf8').split('\n')) {
    if (!line.trim() || line.startsWith('#')) continue;
    const d = Buffer.from(line.trim(), 'hex');
    try {
      forEachMessage(d, (off, len, type) => {
        if (type === 0x100 || type === 0x102) msgs.push(Buffer.from(d.subarray(off, off + len)));
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
const n = offs.length;
const rounds = Number(process.argv[2] ?? 5);

function time(name, fn) {
  const reps = Math.max(1, Math.floor(2_000_000 / n));
  let sink = 0;
  for (let r = 0; r < reps; r++) for (let i = 0; i < n; i++) sink += fn(all, offs[i], lens[i]) ? 1 : 0; // warm-up
  const ns = [];
  for (let k = 0; k < rounds; k++) {
    const t0 = process.hrtime.bigint();
    for (let r = 0; r < reps; r++) for (let i = 0; i < n; i++) sink += fn(all, offs[i], lens[i]) ? 1 : 0;
    ns.push(Number(process.hrtime.bigint() - t0) / (reps * n));
  }
  ns.sort((a, b) => a - b);
  console.log(
    `${name.padEnd(28)} median ${ns[ns.length >> 1].toFixed(1).padStart(6)} ns/message  min ${ns[0].toFixed(1).padStart(6)}  (${sink > 0 ? n : n} messages)`,
  );
}

const q = { ...allFlows(), compare: true, orig: { protonum: 6, dstPort: 443 } };
const pre = compileRawPrefilter(q);
time('prefilter -p tcp --dport 443', pre);
for (const field of ['dport', 'src', 'mark']) {
  const read = rawFieldReader(field);
  time(`tally raw ${field}`, (b, o, l) => read(b, o, l) !== -2);
}
const dec = new FlowDecoder();
time('FlowDecoder.decode', (b, o, l) => dec.decode(b, o, l) !== undefined);
const w = new NlWriter(1 << 20);
let seq = 0;
time('writeDeleteFromMessage', (b, o, l) => {
  writeDeleteFromMessage(w, b, o, l, seq++);
  if (seq % 1000 === 0) w.take();
  return true;
});
