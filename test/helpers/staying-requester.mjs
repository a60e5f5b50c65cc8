// A requester that stays: creates COUNT UDP entries 10.5.X.Y:1 -> 10.6.0.1:2 one after the other, then deletes them,
// all through one socket (one netlink port), which it keeps open until the file UNTIL exists (20 s at most) and then
// closes. Its name is `conntrack`. A listener can name every one of its events whenever it reads them.
//
//   node staying-requester.mjs DIST COUNT UNTIL

import { existsSync } from 'node:fs';
import { pathToFileURL } from 'node:url';

const [dist, count, until] = [process.argv[2], Number(process.argv[3]), process.argv[4]];
process.title = 'conntrack';
const { ConntrackClient, constants } = await import(pathToFileURL(`${dist}/index.js`).href);
const { IPPROTO } = constants;
const client = ConntrackClient.open();
const flows = [];
for (let i = 0; i < count; i++) {
  const orig = { src: `10.5.${i >> 8}.${i & 255}`, dst: '10.6.0.1', protonum: IPPROTO.UDP, srcPort: 1, dstPort: 2 };
  const reply = { src: orig.dst, dst: orig.src, protonum: IPPROTO.UDP, srcPort: 2, dstPort: 1 };
  flows.push({ orig, reply });
  await client.create({ orig, reply, timeout: 100 });
}
for (const f of flows) await client.delete(f);
for (let i = 0; i < 400 && !existsSync(until); i++) await new Promise((resolve) => setTimeout(resolve, 50));
client.close();
