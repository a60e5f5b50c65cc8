// Real traffic over loopback with fixed ports on both ends, so that each run makes the same conntrack entries
// (same tuples, same states): run it inside a network namespace whose loopback is up. Every wait is bounded;
// exits 0 once all flows are done, 1 (with a message) if one did not finish in time.
//
//   UDP 127.0.0.1:40001 -> :5301   no answer          (UNREPLIED)
//   UDP 127.0.0.1:40002 -> :5302   answered           (SEEN_REPLY)
//   UDP [::1]:40003     -> :5303   answered           (SEEN_REPLY, IPv6)
//   TCP 127.0.0.1:40101 -> :7101   opened and closed  (TIME_WAIT, ASSURED)
import dgram from 'node:dgram';
import net from 'node:net';

const LIMIT_MS = 5000;
const within = (what, p) =>
  Promise.race([
    p,
    new Promise((_, reject) => setTimeout(() => reject(new Error(`${what}: no answer within ${LIMIT_MS} ms`)), LIMIT_MS).unref()),
  ]);

async function udp(type, host, sport, dport, answered) {
  let server;
  if (answered) {
    server = dgram.createSocket(type);
    server.on('message', (_m, from) => server.send('pong', from.port, from.address));
    await new Promise((resolve) => server.bind(dport, host, resolve));
  }
  const client = dgram.createSocket(type);
  await new Promise((resolve) => client.bind(sport, host, resolve));
  const reply = answered ? new Promise((resolve) => client.once('message', resolve)) : Promise.resolve();
  await new Promise((resolve, reject) => client.send('ping', dport, host, (e) => (e ? reject(e) : resolve())));
  await within(`udp ${sport}->${dport}`, reply);
  client.close();
  server?.close();
}

async function tcp(sport, dport) {
  const closed = [];
  const server = net.createServer((s) => {
    s.on('data', () => s.write('pong'));
    s.on('end', () => s.end());
    closed.push(new Promise((resolve) => s.on('close', resolve)));
  });
  await new Promise((resolve) => server.listen(dport, '127.0.0.1', resolve));
  const c = net.connect({ host: '127.0.0.1', port: dport, localAddress: '127.0.0.1', localPort: sport });
  await within('tcp connect', new Promise((resolve, reject) => c.once('connect', resolve).once('error', reject)));
  c.write('ping');
  await within('tcp answer', new Promise((resolve) => c.once('data', resolve)));
  c.end(); // the client closes first: its side of the entry goes to TIME_WAIT
  await within('tcp close', new Promise((resolve) => c.on('close', resolve)));
  await within('tcp server close', Promise.all(closed));
  server.close();
}

try {
  await udp('udp4', '127.0.0.1', 40001, 5301, false);
  await udp('udp4', '127.0.0.1', 40002, 5302, true);
  await udp('udp6', '::1', 40003, 5303, true);
  await tcp(40101, 7101);
} catch (e) {
  process.stderr.write(`fixed-flows: ${e.message}\n`);
  process.exit(1);
}
