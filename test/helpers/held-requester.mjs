// A requester whose sockets outlive their requests by a known time: creates COUNT UDP entries 10.9.0.N:1000 ->
// 10.0.0.1:53, one at a time, each through a socket of its own (a new netlink port) that it keeps HOLD_MS after
// the kernel's answer and then closes. Its name is `ct-requester`. A listener that reads each event within HOLD_MS
// of its request can name every one; one that reads them later, after the socket is gone, cannot.
//
//   node held-requester.mjs DIST COUNT HOLD_MS

import { pathToFileURL } from 'node:url';

const [dist, count, holdMs] = [process.argv[2], Number(process.argv[3]), Number(process.argv[4])];
process.title = 'ct-requester';
const { ConntrackClient, constants } = await import(pathToFileURL(`${dist}/index.js`).href);
const { IPPROTO } = constants;
for (let n = 1; n <= count; n++) {
  const client = ConntrackClient.open();
  const orig = { src: `10.9.0.${n}`, dst: '10.0.0.1', protonum: IPPROTO.UDP, srcPort: 1000, dstPort: 53 };
  const reply = { src: orig.dst, dst: orig.src, protonum: IPPROTO.UDP, srcPort: 53, dstPort: 1000 };
  await client.create({ orig, reply, timeout: 30 });
  await new Promise((resolve) => setTimeout(resolve, holdMs));
  client.close();
}
