// A websocket handshake pipelined behind a request with a large body (found by the fuzzer, seed
// 20261212 case 3418). While the body streamed to the app, Node's server paused the client socket
// (backpressure) and its parser consumed the reads; when the handshake arrived, Node handed the
// socket over with the stream believing a read was still pending, so nothing read it again: the
// client's websocket frames (or its FIN after a refusal) were never seen, and the request stayed
// in flight for good.
import test from 'ava';
import { createServer, type Server } from 'node:http';
import { connect, type AddressInfo, type Socket } from 'node:net';
import { once } from 'node:events';
import { startProxy, type RunningProxy } from '../support/proxy.js';
import { metricValue, scrape } from '../support/metrics.js';

let app: Server;
let proxy: RunningProxy;

test.before(async () => {
  // The app reads the body late, so it backs up to the client's socket.
  app = createServer((req, res) => {
    req.pause();
    setTimeout(() => req.resume(), 300);
    req.on('end', () => res.end('ok'));
  });
  app.on('upgrade', (req, socket) => {
    if (req.url === '/refuse') return void socket.end('HTTP/1.1 429 Too Many Requests\r\nContent-Length: 4\r\nConnection: close\r\n\r\nbusy');
    socket.write('HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n');
    socket.pipe(socket);
  });
  await new Promise<void>((r) => app.listen(0, '127.0.0.1', r));
  proxy = await startProxy({ upstream: `http://127.0.0.1:${(app.address() as AddressInfo).port}`, args: ['--gradio', 'false'] });
});
test.after.always(async () => {
  await proxy?.stop();
  app?.closeAllConnections();
  app?.close();
});

const BODY = 'b'.repeat(100_000);
const handshake = (path: string) =>
  `POST /upload HTTP/1.1\r\nHost: app\r\nContent-Length: ${BODY.length}\r\n\r\n${BODY}` +
  `GET ${path} HTTP/1.1\r\nHost: app\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n`;

/** Resolves with everything read once `until` matches it; rejects after `ms`. */
function readUntil(sock: Socket, until: RegExp, ms: number): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    const timer = setTimeout(() => { sock.off('data', onData); reject(new Error(`timed out; read so far: ${JSON.stringify(text.slice(-200))}`)); }, ms);
    const onData = (c: Buffer) => {
      text += c.toString('latin1');
      if (until.test(text)) { clearTimeout(timer); sock.off('data', onData); resolve(text); }
    };
    sock.on('data', onData);
  });
}

test.serial('a websocket accepted behind a large request body carries frames both ways', async (t) => {
  const sock = connect(proxy.port, '127.0.0.1');
  await once(sock, 'connect');
  try {
    sock.write(handshake('/ws'));
    const head = await readUntil(sock, /101 Switching Protocols[^]*\r\n\r\n/, 10_000);
    t.regex(head, /^HTTP\/1\.1 200 [^]*okHTTP\/1\.1 101 /, 'the upload is answered, then the handshake');
    sock.write('ping-after-body');
    t.regex(await readUntil(sock, /ping-after-body/, 5000), /ping-after-body/, 'the app echoes what the client sent after the handshake');
  } finally {
    sock.destroy();
  }
});

test.serial('a websocket refused behind a large request body: once the client leaves, nothing stays in flight', async (t) => {
  const sock = connect(proxy.port, '127.0.0.1');
  await once(sock, 'connect');
  sock.write(handshake('/refuse'));
  t.regex(await readUntil(sock, /429 Too Many Requests[^]*busy/, 10_000), /busy$/);
  sock.end();
  // The lingering close would end it after 5 s anyway: within 2 s it must have read the FIN.
  let active = Infinity;
  for (const until = Date.now() + 2000; Date.now() < until;) {
    active = metricValue(await scrape(proxy.adminUrl), 'http_server_active_requests', { http_request_method: 'GET' });
    if (active === 0) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  t.is(active, 0);
});
