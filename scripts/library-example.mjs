// The library in use (README "Library"): a dump with kernel-side filters, the count, then the event stream for
// a few seconds. Run as root: node scripts/library-example.mjs [SECONDS]
import { ConntrackClient, formatFlowDefault, subscribeEvents, systemClock } from 'conntrack-ts';

const client = ConntrackClient.open();
let marked = 0;
// kernel-side filters: family, mark/mask, status/mask
for await (const flow of client.dump({ family: 2, mark: { value: 1, mask: 0xffffffff } })) {
  marked++;
  console.log(formatFlowDefault(flow, 'unknown', {}, systemClock));
}
console.log(`${marked} IPv4 entries with mark 1, ${await client.count()} in the table`);
client.close();

const seconds = Number(process.argv[2] ?? 5);
const events = subscribeEvents(
  (flow, kind) => console.log(`${kind} ${flow.orig?.src} -> ${flow.orig?.dst} ${flow.tcp?.state ?? ''}`.trimEnd()),
  { types: ['new', 'destroy'], onLoss: () => console.error('events were lost') },
);
setTimeout(() => events.stop(), seconds * 1000);
