#!/usr/bin/env node
// Generate conntrack -R (--load-file) input: one `-I ...` line per entry.
//
// usage: node bench/gen.mjs COUNT [--range base|extra] [--deletes N | --updates N] > FILE
//
// --deletes N: instead, N `-D` lines, each naming the whole original tuple of one entry of the COUNT-entry table,
// spread evenly over it (a -R of many -D lines, as a controller removing stale entries sends).
// --updates N: the same N entries as `-U` lines that set mark 7 (one mark for all: conntrack takes -m of every -U
// line from the file's last line).
//
// Every line i (0-based) gets a unique original tuple; the kernel derives the
// reply tuple by inverting it. Source and destination addresses live in
// disjoint 10.x ranges, so no original tuple can clash with any reply tuple:
//   base  range: src 10.1-16.x.x    dst 10.128-255.x.x
//   extra range: src 10.64-79.x.x   dst 10.128-255.x.x  (disjoint from base,
//                for "-R of N more lines" cases on top of a loaded table)
// These entries exist only in the benchmark's private network namespace;
// nothing is ever sent to those addresses.
//
// Mix, by i % 10 (holds for every prefix of the file, so a table loaded from
// the first N lines has the same proportions):
//   0      tcp dport 443 ESTABLISHED        (10%: `-L -p tcp --dport 443`)
//   1..5   udp dport 53                     (50%: `-D -p udp` deletes half)
//   6..9   tcp dport 80/22/8080/3306 ESTABLISHED
// and every third entry (i % 3 == 0) carries a mark 1..5.

const count = Number.parseInt(process.argv[2] ?? '', 10);
if (!Number.isInteger(count) || count < 1 || count > 4_000_000) {
  process.stderr.write('usage: gen.mjs COUNT(1..4000000) [--range base|extra]\n');
  process.exit(2);
}
const rangeIdx = process.argv.indexOf('--range');
const range = rangeIdx > 0 ? process.argv[rangeIdx + 1] : 'base';
if (range !== 'base' && range !== 'extra') {
  process.stderr.write(`gen.mjs: unknown range ${range}\n`);
  process.exit(2);
}
const srcBase = range === 'base' ? 1 : 64;
const tcpPorts = [80, 22, 8080, 3306];

const out = process.stdout;
const chunk = [];
let pending = 0;

function flush(cb) {
  const s = chunk.join('');
  chunk.length = 0;
  pending = 0;
  if (!out.write(s)) out.once('drain', cb);
  else setImmediate(cb);
}

const updIdx = process.argv.indexOf('--updates');
const pickIdx = updIdx > 0 ? updIdx : process.argv.indexOf('--deletes');
const picked = pickIdx > 0 ? Number.parseInt(process.argv[pickIdx + 1] ?? '', 10) : 0;
if (pickIdx > 0 && !(picked >= 1 && picked <= count)) {
  process.stderr.write('gen.mjs: --deletes N / --updates N needs 1 <= N <= COUNT\n');
  process.exit(2);
}
const [command, change] = updIdx > 0 ? ['-U', ' -m 7'] : ['-D', ''];

let i = 0;
function step() {
  while (i < count) {
    // source: unique per i (16 x 65536 = 1,048,576 per range)
    const hi = i >>> 16;
    const s = `10.${srcBase + (hi % 16)}.${(i >>> 8) & 255}.${i & 255}`;
    // second 1M block (if ever asked for) varies the source port instead
    const sport = 1024 + (((i >>> 20) * 7919 + (i % 50000)) % 64000);
    // destination: scrambled, in 10.128.0.0/9
    const h = Math.imul(i ^ 0x9e3779b9, 0x85ebca6b) >>> 0;
    const d = `10.${128 + ((h >>> 24) & 127)}.${(h >>> 16) & 255}.${(h >>> 8) & 255}`;
    const k = i % 10;
    if (picked) {
      // the j-th of the picked lines names entry floor(j * count / picked): step to the next one
      const j = Math.floor((i * picked) / count);
      if (Math.floor((j * count) / picked) !== i) {
        i++;
        continue;
      }
      const proto = k >= 1 && k <= 5 ? 'udp' : 'tcp';
      const dport = k === 0 ? 443 : k <= 5 ? 53 : tcpPorts[k - 6];
      chunk.push(`${command} -s ${s} -d ${d} -p ${proto} --sport ${sport} --dport ${dport}${change}`, '\n');
      i++;
      if (++pending >= 20000) {
        flush(step);
        return;
      }
      continue;
    }
    let line;
    if (k === 0) {
      line = `-I -s ${s} -d ${d} -p tcp --sport ${sport} --dport 443 --state ESTABLISHED -t 3600`;
    } else if (k <= 5) {
      line = `-I -s ${s} -d ${d} -p udp --sport ${sport} --dport 53 -t 3600`;
    } else {
      line = `-I -s ${s} -d ${d} -p tcp --sport ${sport} --dport ${tcpPorts[k - 6]} --state ESTABLISHED -t 3600`;
    }
    if (i % 3 === 0) line += ` -m ${(i % 5) + 1}`;
    chunk.push(line, '\n');
    i++;
    if (++pending >= 20000) {
      flush(step);
      return;
    }
  }
  if (pending > 0) flush(() => {});
}
step();
