// A tiny FTP exchange over loopback, to make the kernel's ftp helper create an expectation: a server on
// 127.0.0.1:21 that answers PASV with a 227 line, and a client that asks once and leaves. Bounded: an exchange
// not finished within 20 s (a machine under load) exits with status 1 and says so, so that the test fails there.
import net from 'node:net';

const port = Number(process.argv[2] ?? 21);
const dataPort = Number(process.argv[3] ?? 40100);
setTimeout(() => {
  process.stderr.write('ftp-pasv: the exchange did not finish within 20 s\n');
  process.exit(1);
}, 20_000).unref();

const server = net.createServer((s) => {
  s.write('220 lab\r\n');
  s.on('data', (d) => {
    const line = d.toString();
    if (line.startsWith('PASV')) s.write(`227 Entering Passive Mode (127,0,0,1,${dataPort >> 8},${dataPort & 255})\r\n`);
    else s.write('200 ok\r\n');
  });
  s.on('error', () => {});
});
server.listen(port, '127.0.0.1', () => {
  const c = net.connect(port, '127.0.0.1');
  c.on('error', () => {});
  let sent = false;
  c.on('data', () => {
    if (sent) {
      // the 227 reply has passed the ftp helper, which made the expectation on its way: leave
      c.end();
      server.close();
      return;
    }
    sent = true;
    c.write('PASV\r\n');
  });
});
