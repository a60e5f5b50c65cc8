// Traffic generator for test/lab/lab.sh and scripts/demo.sh. Plain Node >= 20, no dependencies.
//
//   node traffic.mjs server  STATEDIR          (in NAME-s) TCP/UDP/FTP/TFTP/SIP listeners
//   node traffic.mjs router  STATEDIR          (in NAME)   router-local listener, loopback UDP, router->server TCP
//   node traffic.mjs client  STATEDIR          (in NAME-c) every client scenario, then holds its sockets
//   node traffic.mjs simopen STATEDIR          (in NAME-s) second half of a TCP simultaneous open (SYN_SENT2)
//   node traffic.mjs demo-server STATEDIR      (scripts/demo.sh)
//   node traffic.mjs demo-client STATEDIR HOST (scripts/demo.sh)
//
// Each mode writes STATEDIR/<mode>.ready when it has done its work and then keeps its sockets open
// until killed. Every process exits by itself after MAX_LIFE_MS whatever happens, and every wait is
// bounded.
import net from 'node:net';
import dgram from 'node:dgram';
import fs from 'node:fs';
import path from 'node:path';

const MAX_LIFE_MS = 150_000;
const SRV4 = '10.200.2.2';
const SRV6 = 'fd00:200:2::2';
const RTR4 = '10.200.1.1';
const RTR6 = 'fd00:200:1::1';
const [mode, stateDir, ...rest] = process.argv.slice(2);
if (!mode || !stateDir) {
  console.error('usage: node traffic.mjs MODE STATEDIR');
  process.exit(2);
}
setTimeout(() => process.exit(0), MAX_LIFE_MS).unref();
// Holding sockets keeps the event loop alive; this keeps it alive even when nothing is open.
setInterval(() => {}, 60_000);

const log = (...a) => fs.appendFileSync(path.join(stateDir, `${mode}.log`), a.join(' ') + '\n');
const ready = (name = mode) => fs.writeFileSync(path.join(stateDir, `${name}.ready`), `${process.pid}\n`);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const held = []; // sockets kept open on purpose
const hold = (s) => {
  held.push(s);
  return s;
};
const ignoreErrors = (s) => s.on('error', (e) => log('socket error', e.code ?? e.message));
const withTimeout = (p, ms, what) =>
  Promise.race([
    p,
    sleep(ms).then(() => {
      throw new Error(`timeout: ${what}`);
    }),
  ]);
const v4 = (a) => (a && a.startsWith('::ffff:') ? a.slice(7) : a);

// ---------------------------------------------------------------- TCP helpers (client side)

/** Connect and resolve with the socket once connected (or after `softMs` if it never connects). */
function tcpConnect(opts, { softMs = 0 } = {}) {
  return new Promise((resolve, reject) => {
    const s = ignoreErrors(net.connect({ allowHalfOpen: opts.allowHalfOpen ?? false, ...opts }));
    hold(s);
    let done = false;
    s.once('connect', () => {
      if (!done) {
        done = true;
        resolve(s);
      }
    });
    s.once('error', (e) => {
      if (!done) {
        done = true;
        reject(e);
      }
    });
    if (softMs)
      setTimeout(() => {
        if (!done) {
          done = true;
          resolve(s);
        }
      }, softMs);
  });
}

/** Line reader on a socket: `next()` resolves with the next \n-terminated line. */
function lines(sock) {
  let buf = '';
  const queue = [];
  const waiters = [];
  sock.setEncoding('latin1');
  sock.on('data', (d) => {
    buf += d;
    let i;
    while ((i = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, i + 1);
      buf = buf.slice(i + 1);
      if (waiters.length) waiters.shift()(line);
      else queue.push(line);
    }
  });
  return {
    next: (ms = 3000) => withTimeout(new Promise((r) => (queue.length ? r(queue.shift()) : waiters.push(r))), ms, 'line'),
  };
}

async function tcpExchange(opts, payload = 'hello\r\n') {
  const s = await tcpConnect(opts);
  const l = lines(s);
  s.write(payload);
  await l.next();
  return s;
}

// ---------------------------------------------------------------- UDP helpers (client side)

function udpSocket(family, bindOpts) {
  const s = dgram.createSocket(family === 6 ? 'udp6' : 'udp4');
  s.on('error', (e) => log('udp error', e.code ?? e.message));
  hold(s);
  return new Promise((resolve) => (bindOpts ? s.bind(bindOpts, () => resolve(s)) : s.bind(0, () => resolve(s))));
}

/** Resolves once the datagram has been handed to the kernel (it has then passed conntrack on the way out). */
function udpSend(s, host, port, msg) {
  return new Promise((resolve, reject) => s.send(Buffer.from(msg), port, host, (e) => (e ? reject(e) : resolve())));
}

function udpAsk(s, host, port, msg, ms = 1500) {
  return withTimeout(
    new Promise((resolve) => {
      s.once('message', (m) => resolve(m));
      s.send(Buffer.from(msg), port, host);
    }),
    ms,
    `udp ${host}:${port}`,
  );
}

// ---------------------------------------------------------------- server

function serveTcp(port, behaviour = 'hold', onConn) {
  const srv = net.createServer({ allowHalfOpen: true }, (s) => {
    ignoreErrors(s);
    hold(s);
    if (onConn) return onConn(s);
    if (behaviour === 'close-first') {
      s.end();
      return;
    }
    if (behaviour === 'end-on-end') s.on('end', () => s.end());
    s.on('data', (d) => s.write(d)); // echo
  });
  srv.on('error', (e) => log('listen error', port, e.code ?? e.message));
  return new Promise((r) => srv.listen({ port, host: '::', ipv6Only: false }, r));
}

let pasvPort = 30000; // deterministic data ports: 30001, 30002, ... (FTP sessions run one after another)

function ftpSession(s) {
  const l = lines(s);
  const dataListen = (host) =>
    new Promise((resolve) => {
      const port = ++pasvPort;
      const srv = net.createServer({ allowHalfOpen: true }, (d) => {
        ignoreErrors(d);
        hold(d);
        d.write('drwxr-xr-x 2 lab lab 4096 Jan  1 00:00 pub\r\n');
      });
      srv.on('error', (e) => log('pasv listen error', e.code ?? e.message));
      srv.listen({ port, host }, () => resolve(port));
    });
  let activeCount = 0;
  const loop = async () => {
    for (let i = 0; i < 20; i++) {
      let line;
      try {
        line = await l.next(20_000);
      } catch {
        return;
      }
      const cmd = line.trim();
      const verb = cmd.split(' ')[0].toUpperCase();
      const local = s.localAddress;
      if (verb === 'USER') s.write('331 Password required\r\n');
      else if (verb === 'PASS') s.write('230 Logged in\r\n');
      else if (verb === 'PASV') {
        const host = v4(local);
        const port = await dataListen(host);
        s.write(`227 Entering Passive Mode (${host.split('.').join(',')},${port >> 8},${port & 255})\r\n`);
      } else if (verb === 'EPSV') {
        const port = await dataListen(local);
        s.write(`229 Entering Extended Passive Mode (|||${port}|)\r\n`);
      } else if (verb === 'PORT' || verb === 'EPRT') {
        let host, port;
        if (verb === 'PORT') {
          const n = cmd.slice(5).split(',').map(Number);
          host = n.slice(0, 4).join('.');
          port = n[4] * 256 + n[5];
        } else {
          const f = cmd.slice(5).split('|'); // |2|addr|port|
          host = f[2];
          port = Number(f[3]);
        }
        s.write(`200 ${verb} command successful\r\n`);
        // Connect back for the first PORT/EPRT of a session only: the next one leaves an expectation.
        if (++activeCount === 1) {
          const d = ignoreErrors(net.connect({ host, port, allowHalfOpen: true }));
          hold(d);
          d.on('connect', () => d.write('226 data\r\n'));
        }
      } else if (verb === 'QUIT') {
        s.write('221 Bye\r\n');
      } else s.write('200 OK\r\n');
    }
  };
  s.write('220 ctlab FTP ready\r\n');
  loop().catch((e) => log('ftp server error', e.message));
}

// UDP: one IPv4 socket on 0.0.0.0 and, if v6addr is given, one IPv6 socket bound to that address
// (an unbound IPv6 socket would answer from whichever address source selection picks).
function serveUdp(port, handler, v6addr) {
  const bind = (type, address) => {
    const s = dgram.createSocket({ type, ipv6Only: type === 'udp6' });
    s.on('error', (e) => log('udp listen error', port, address, e.code ?? e.message));
    s.on('message', (m, r) => handler(s, m, r));
    hold(s);
    return new Promise((res) => s.bind({ port, address }, res));
  };
  return Promise.all([bind('udp4', '0.0.0.0'), ...(v6addr ? [bind('udp6', v6addr)] : [])]);
}

const echoUdp = (s, m, r) => s.send(m, r.port, r.address);

async function tftpHandler(s, m, r) {
  // RRQ: opcode 1, "file\0mode\0". Files named "nodata*" get no answer (the expectation stays).
  const file = m.subarray(2).toString('latin1').split('\0')[0];
  if (file.startsWith('nodata')) return;
  const d = dgram.createSocket(s.type);
  d.on('error', () => {});
  hold(d);
  d.bind({ port: 0, address: s.address().address }, () => {
    const pkt = Buffer.concat([Buffer.from([0, 3, 0, 1]), Buffer.from('tftp data\n')]); // DATA block 1
    d.send(pkt, r.port, r.address);
  });
}

function sipHandler(s, m, r) {
  const text = m.toString('latin1');
  if (!text.startsWith('INVITE')) return;
  const hdr = (n) => (text.match(new RegExp(`^${n}:.*$`, 'mi')) ?? [''])[0];
  const resp =
    'SIP/2.0 180 Ringing\r\n' +
    `${hdr('Via')}\r\n${hdr('From')}\r\n${hdr('To')};tag=srv1\r\n${hdr('Call-ID')}\r\n${hdr('CSeq')}\r\n` +
    'Content-Length: 0\r\n\r\n';
  s.send(Buffer.from(resp), r.port, r.address);
}

async function server() {
  const tcp = {
    80: 'hold',
    7001: 'hold',
    7002: 'hold',
    7003: 'hold',
    7004: 'hold',
    7005: 'hold',
    7006: 'close-first',
    7007: 'end-on-end',
    7008: 'hold',
    8000: 'hold',
  };
  await Promise.all(Object.entries(tcp).map(([p, b]) => serveTcp(Number(p), b)));
  await serveTcp(21, null, ftpSession);
  await serveTcp(2121, null, ftpSession);
  for (const p of [53, 5000, 5002, 5005, 5007, 5008, 8000]) await serveUdp(p, echoUdp, SRV6);
  await serveUdp(69, tftpHandler, SRV6);
  await serveUdp(5060, sipHandler, SRV6);
  ready();
}

// ---------------------------------------------------------------- router-local traffic

async function router() {
  // A local service on the router (client -> 10.200.1.1:9000 is an INPUT flow).
  await serveTcp(9000, 'hold');
  // Loopback UDP inside the router: 127.0.0.1 -> 127.0.0.1:9999, answered.
  await serveUdp(9999, echoUdp);
  const u = await udpSocket(4);
  await udpAsk(u, '127.0.0.1', 9999, 'loopback ping');
  // A locally generated (OUTPUT) connection from the router to the server.
  await tcpExchange({ host: '10.200.2.2', port: 7001 }, 'from the router\r\n');
  ready();
}

// ---------------------------------------------------------------- client

let activePort = 31000; // PORT data ports: 31001, 31002

async function ftpClient({ host, port, steps }) {
  let activeSeen = false;
  const s = await tcpConnect({ host, port });
  const l = lines(s);
  await l.next(); // 220
  const send = async (c) => {
    s.write(c + '\r\n');
    return l.next();
  };
  await send('USER anonymous');
  await send('PASS lab@');
  for (const [i, step] of steps.entries()) {
    if (step === 'PASV' || step === 'EPSV') {
      const reply = await send(step);
      if (step === 'PASV' && steps[i + 1] === 'connect-data') {
        const n = reply
          .match(/\((\d+),(\d+),(\d+),(\d+),(\d+),(\d+)\)/)
          .slice(1)
          .map(Number);
        const d = await tcpConnect({ host: n.slice(0, 4).join('.'), port: n[4] * 256 + n[5] });
        await lines(d).next();
      }
    } else if (step === 'PORT') {
      // Announce a fixed data port with PORT. The server connects back for the first PORT of the
      // session only (we wait for that data connection); a second PORT leaves an expectation.
      const dport = ++activePort;
      const a = s.localAddress.split('.').join(',');
      if (!activeSeen) {
        activeSeen = true;
        let got;
        await new Promise((listening, failed) => {
          got = new Promise((resolve) => {
            const srv = net.createServer({ allowHalfOpen: true }, (d) => {
              ignoreErrors(d);
              hold(d);
              d.once('data', resolve);
            });
            srv.once('error', failed);
            srv.listen({ port: dport, host: '0.0.0.0' }, listening);
          });
        });
        await send(`PORT ${a},${dport >> 8},${dport & 255}`);
        await withTimeout(got, 3000, 'ftp active data connection');
      } else {
        await send(`PORT ${a},${dport >> 8},${dport & 255}`);
      }
    }
  }
  return s;
}

async function client() {
  const jobs = [];
  const job = (name, fn) =>
    jobs.push(
      fn().then(
        () => log('ok', name),
        (e) => {
          log('FAILED', name, e.message);
          throw new Error(`${name}: ${e.message}`);
        },
      ),
    );

  // --- TCP over IPv4 through the router, one server port per final conntrack state
  job('tcp/80 established (ct mark 42)', () => tcpExchange({ host: SRV4, port: 80 }, 'GET / HTTP/1.0\r\n\r\n'));
  job('tcp/7001 established', () => tcpExchange({ host: SRV4, port: 7001 }, 'data\r\n'.repeat(20)));
  job('tcp/7002 SYN_SENT', () => tcpConnect({ host: SRV4, port: 7002 }, { softMs: 400 }));
  job('tcp/7003 SYN_RECV', () => tcpConnect({ host: SRV4, port: 7003 }, { softMs: 400 }));
  job('tcp/7004 FIN_WAIT', async () => {
    const s = await tcpConnect({ host: SRV4, port: 7004 });
    s.end();
  });
  job('tcp/7005 CLOSE_WAIT', async () => {
    const s = await tcpConnect({ host: SRV4, port: 7005 });
    s.end();
  });
  job('tcp/7006 LAST_ACK', () => tcpConnect({ host: SRV4, port: 7006 })); // server closes first, we close back
  job('tcp/7007 TIME_WAIT', async () => {
    const s = await tcpExchange({ host: SRV4, port: 7007 });
    s.end();
  });
  job('tcp/7008 CLOSE', async () => {
    const s = await tcpExchange({ host: SRV4, port: 7008 });
    s.resetAndDestroy();
  });
  // Simultaneous open, first half: fixed ports; the server namespace drops this SYN at its input, the
  // server then connects back from 7009 (mode "simopen") and the client namespace drops that SYN.
  job('tcp/7009 simopen first half', () =>
    tcpConnect({ host: SRV4, port: 7009, localAddress: '10.200.1.2', localPort: 40000 }, { softMs: 300 }),
  );

  // --- NAT
  job('tcp DNAT 10.200.1.1:8080 -> 10.200.2.2:80', () => tcpExchange({ host: RTR4, port: 8080 }));
  job('tcp SNAT :8000 -> 10.200.2.1:20000-20099', () => tcpExchange({ host: SRV4, port: 8000 }));
  job('tcp router-local 10.200.1.1:9000', () => tcpExchange({ host: RTR4, port: 9000 }));
  job('tcp6 DNAT [fd00:200:1::1]:8080 -> [fd00:200:2::2]:80', () => tcpExchange({ host: RTR6, port: 8080 }));
  job('tcp6 masquerade :8000', () => tcpExchange({ host: SRV6, port: 8000 }));

  // --- TCP over IPv6
  job('tcp6/80 established', () => tcpExchange({ host: SRV6, port: 80 }));
  job('tcp6/7002 SYN_SENT', () => tcpConnect({ host: SRV6, port: 7002 }, { softMs: 400 }));
  job('tcp6/7007 TIME_WAIT', async () => {
    const s = await tcpExchange({ host: SRV6, port: 7007 });
    s.end();
  });

  // --- UDP
  job('udp/53 replied (ct mark 7)', async () => udpAsk(await udpSocket(4), SRV4, 53, 'query'));
  job('udp/5000 replied + ASSURED', async () => {
    // The kernel sets ASSURED on UDP only for traffic still flowing 2 s after the first reply: a wait on the
    // kernel's clock (its stream timer), not on another process.
    const s = await udpSocket(4);
    await udpAsk(s, SRV4, 5000, 'one');
    await sleep(2200);
    await udpAsk(s, SRV4, 5000, 'two');
  });
  job('udp/5002 unreplied', async () => {
    (await udpSocket(4)).send('lost', 5002, SRV4);
  });
  job('udp DNAT 10.200.1.1:5353 -> 10.200.2.2:53', async () => udpAsk(await udpSocket(4), RTR4, 5353, 'dnat'));
  job('udp masquerade :8000', async () => udpAsk(await udpSocket(4), SRV4, 8000, 'snat'));
  job('udp/5005 zone 5', async () => udpAsk(await udpSocket(4), SRV4, 5005, 'zone'));
  job('udp/5007 zone-orig 7', async () => udpSend(await udpSocket(4), SRV4, 5007, 'zo'));
  job('udp/5008 zone-reply 8', async () => udpSend(await udpSocket(4), SRV4, 5008, 'zr'));
  job('udp6/53 replied', async () => udpAsk(await udpSocket(6), SRV6, 53, 'query6'));
  job('udp6/5002 unreplied', async () => {
    (await udpSocket(6)).send('lost6', 5002, SRV6);
  });

  // --- helpers: TFTP read requests, a SIP INVITE with SDP
  job('tftp RRQ answered (related data flow)', async () => {
    const s = await udpSocket(4);
    await udpAsk(s, SRV4, 69, Buffer.from('\0\x01boot.img\0octet\0'));
  });
  job('tftp RRQ unanswered (expectation stays)', async () => {
    (await udpSocket(4)).send(Buffer.from('\0\x01nodata.img\0octet\0'), 69, SRV4);
  });
  job('sip INVITE with SDP', async () => {
    const s = await udpSocket(4, { port: 5062, address: '10.200.1.2' });
    const sdp =
      'v=0\r\no=lab 1 1 IN IP4 10.200.1.2\r\ns=call\r\nc=IN IP4 10.200.1.2\r\nt=0 0\r\n' +
      'm=audio 16384 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n';
    const msg =
      'INVITE sip:bob@10.200.2.2 SIP/2.0\r\n' +
      'Via: SIP/2.0/UDP 10.200.1.2:5062;branch=z9hG4bK776asdhds\r\n' +
      'Max-Forwards: 70\r\nTo: <sip:bob@10.200.2.2>\r\nFrom: <sip:alice@10.200.1.2>;tag=1928301774\r\n' +
      'Call-ID: a84b4c76e66710@10.200.1.2\r\nCSeq: 1 INVITE\r\nContact: <sip:alice@10.200.1.2:5062>\r\n' +
      `Content-Type: application/sdp\r\nContent-Length: ${sdp.length}\r\n\r\n${sdp}`;
    await udpAsk(s, SRV4, 5060, msg);
  });

  // --- FTP through the ftp helper, one control connection at a time (data ports are deterministic)
  job('ftp sessions', async () => {
    // passive: data connection made (RELATED entry), then a second PASV leaves an expectation
    await ftpClient({ host: SRV4, port: 21, steps: ['PASV', 'connect-data', 'PASV'] });
    // active through masquerade (nf_nat_ftp rewrites PORT): server connects back, then a second PORT
    await ftpClient({ host: SRV4, port: 2121, steps: ['PORT', 'PORT'] });
    // IPv6 extended passive: expectation only
    await ftpClient({ host: SRV6, port: 21, steps: ['EPSV'] });
  });

  const results = await Promise.allSettled(jobs);
  const failed = results.filter((r) => r.status === 'rejected');
  // lab.sh waits for the FIN/ACK/RST exchanges to settle (the router's table stops changing) before it freezes it
  if (failed.length) {
    fs.writeFileSync(path.join(stateDir, 'client.failed'), failed.map((f) => f.reason.message).join('\n') + '\n');
  }
  ready();
}

async function simopen() {
  // Second half of the simultaneous open: a SYN from the server's 7009 to the client's 40000.
  await tcpConnect({ host: '10.200.1.2', port: 40000, localAddress: SRV4, localPort: 7009 }, { softMs: 300 });
  ready();
}

// ---------------------------------------------------------------- demo (scripts/demo.sh)

async function demoServer() {
  await serveTcp(80, 'hold');
  await serveUdp(53, echoUdp);
  ready();
}

async function demoClient() {
  const [srv, rtr] = rest;
  await tcpExchange({ host: srv, port: 80 }, 'GET / HTTP/1.0\r\n\r\n');
  await tcpExchange({ host: rtr, port: 8080 }); // DNAT on the router
  await udpAsk(await udpSocket(4), srv, 53, 'query');
  ready();
}

const modes = { server, router, client, simopen, 'demo-server': demoServer, 'demo-client': demoClient };
if (!modes[mode]) {
  console.error(`unknown mode ${mode}`);
  process.exit(2);
}
modes[mode]().catch((e) => {
  log('fatal', e.stack ?? e.message);
  fs.writeFileSync(path.join(stateDir, `${mode}.failed`), `${e.message}\n`);
  process.exit(1);
});
