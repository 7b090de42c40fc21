// The app fails a request while its body is still arriving (found by the fuzzer, seed 20261217
// case 17123). The proxy answers 502, but nobody read the rest of the body any more: the request
// stayed paused, so the client connection stopped being read and every request pipelined behind
// it waited for good. As nginx does, the rest of the body is read and discarded, and the
// connection goes on.
import test from 'ava';
import { createServer, type Server } from 'node:http';
import { createServer as createTcpServer, type AddressInfo, type Server as TcpServer } from 'node:net';
import { startProxy, type RunningProxy } from '../support/proxy.js';
import { rawExchange } from '../support/raw-socket.js';
import { connect } from 'node:net';
import { once } from 'node:events';

let app: Server;
/** What the app answered, in order. */
const seen: string[] = [];
let proxy: RunningProxy;
/** A proxy whose app is down: nothing listens on its port. */
let down: RunningProxy;
/** An app that stops reading a request's body, then resets the connection: the body backs up first. */
let stall: TcpServer;
let stalled: RunningProxy;

test.before(async () => {
  app = createServer((req, res) => {
    // The app dies on this request as soon as its head arrives.
    if (req.url === '/fail-early') return void req.socket.destroy();
    seen.push(req.url ?? '');
    req.resume();
    if (req.url === '/slow') return void req.on('end', () => setTimeout(() => res.end(`ok ${req.url}`), 200));
    req.on('end', () => res.end(`ok ${req.url}`));
  });
  await new Promise<void>((r) => app.listen(0, '127.0.0.1', r));
  proxy = await startProxy({ upstream: `http://127.0.0.1:${(app.address() as AddressInfo).port}`, args: ['--gradio', 'false'] });
  const closed = createServer();
  await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
  const port = (closed.address() as AddressInfo).port;
  await new Promise<void>((r) => closed.close(() => r()));
  down = await startProxy({ upstream: `http://127.0.0.1:${port}` });
  stall = createTcpServer((sock) => {
    let head = '';
    const onData = (c: Buffer) => {
      head += c.toString('latin1');
      if (!head.includes('\r\n\r\n')) return;
      sock.off('data', onData);
      if (head.startsWith('POST /stall')) {
        sock.pause();
        setTimeout(() => sock.resetAndDestroy(), 300);
      } else {
        sock.end('HTTP/1.1 200 OK\r\nContent-Length: 9\r\nConnection: close\r\n\r\nok /after');
      }
    };
    sock.on('data', onData);
    sock.on('error', () => undefined);
  });
  await new Promise<void>((r) => stall.listen(0, '127.0.0.1', r));
  stalled = await startProxy({ upstream: `http://127.0.0.1:${(stall.address() as AddressInfo).port}` });
});
test.after.always(async () => {
  await proxy?.stop();
  await down?.stop();
  await stalled?.stop();
  stall?.close();
  app?.closeAllConnections();
  app?.close();
});

for (const [name, framing] of [['a Content-Length body', 'length'], ['a chunked body', 'chunked']] as const) {
  test.serial(`an app failure while ${name} arrives: 502, then the requests pipelined behind it are answered`, async (t) => {
    const body = 'x'.repeat(2 << 20);
    const first = framing === 'length'
      ? `POST /fail-early HTTP/1.1\r\nHost: app\r\nContent-Length: ${body.length}\r\n\r\n${body}`
      : `POST /fail-early HTTP/1.1\r\nHost: app\r\nTransfer-Encoding: chunked\r\n\r\n${body.length.toString(16)}\r\n${body}\r\n0\r\n\r\n`;
    const r = await rawExchange(proxy.port, `${first}GET /after HTTP/1.1\r\nHost: app\r\nConnection: close\r\n\r\n`, 10_000);
    t.deepEqual(r.statuses, [502, 200]);
    t.true(r.text.endsWith('ok /after'));
    t.true(r.closed);
  });
}

// The request's body had backed up (the app's connection was not even open) when the failure came:
// nothing was reading it any more.
test.serial('the app is down while a large body arrives: 502, then the request pipelined behind it gets its 502 too', async (t) => {
  const body = 'x'.repeat(1 << 20);
  const r = await rawExchange(down.port, `POST /gradio_api/queue/join HTTP/1.1\r\nHost: app\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body}` +
    'GET /after HTTP/1.1\r\nHost: app\r\nConnection: close\r\n\r\n', 10_000);
  t.deepEqual(r.statuses, [502, 502]);
  t.true(r.closed);
});

test.serial('the app stops reading a large body, then resets: 502, then the request pipelined behind it is answered', async (t) => {
  const body = 'x'.repeat(16 << 20);
  const r = await rawExchange(stalled.port, `POST /stall HTTP/1.1\r\nHost: app\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body}` +
    'GET /after HTTP/1.1\r\nHost: app\r\nConnection: close\r\n\r\n', 10_000);
  t.deepEqual(r.statuses, [502, 200]);
  t.true(r.text.endsWith('ok /after'));
  t.true(r.closed);
});

// The failure comes while the body is still on its way: Node pauses a request whose last pipe
// goes, and nothing resumed it; once more of the body than a stream buffers (16 KiB) came, the
// connection stopped being read.
test.serial('the app fails before the body has all arrived: 502, the rest is read, and the next request is answered', async (t) => {
  for (const framing of ['length', 'chunked'] as const) {
    const sock = connect(proxy.port, '127.0.0.1');
    await once(sock, 'connect');
    let text = '';
    sock.on('data', (c: Buffer) => { text += c.toString('latin1'); });
    const closed = once(sock, 'close');
    sock.on('error', () => undefined);
    const rest = 'y'.repeat(100_000);
    if (framing === 'length') sock.write(`POST /fail-early HTTP/1.1\r\nHost: app\r\nContent-Length: ${10 + rest.length}\r\n\r\n${'x'.repeat(10)}`);
    else sock.write(`POST /fail-early HTTP/1.1\r\nHost: app\r\nTransfer-Encoding: chunked\r\n\r\na\r\n${'x'.repeat(10)}\r\n`);
    for (const until = Date.now() + 5000; !text.includes('502') && Date.now() < until;) await new Promise((r) => setTimeout(r, 20));
    t.regex(text, /^HTTP\/1\.1 502 /, `${framing}: the failure is answered at once`);
    sock.write(framing === 'length' ? rest : `${rest.length.toString(16)}\r\n${rest}\r\n0\r\n\r\n`);
    sock.write('GET /after HTTP/1.1\r\nHost: app\r\nConnection: close\r\n\r\n');
    const timer = setTimeout(() => sock.destroy(), 5000);
    await closed;
    clearTimeout(timer);
    t.regex(text, /HTTP\/1\.1 200 [^]*ok \/after$/, `${framing}: the request behind it is answered`);
  }
});

// Node turns a connection's keep-alive off when it writes the final answer to an `Expect:
// 100-continue` request that got no `100 Continue`, in case the client holds the body back. An
// answer queued behind a slow one gets no interim answer (forwarding/continue.ts). Forwarded
// answers state the connection's keep-alive themselves; the proxy's own 502 did not, so it closed
// the connection after the requests pipelined behind it had already gone to the app: the app
// answered them for nobody (found by the fuzzer, seed 20261207 case 2607).
test.serial('an Expect: 100-continue request the proxy answers itself, queued behind a slow answer: the requests pipelined behind it are still answered', async (t) => {
  seen.length = 0;
  const r = await rawExchange(proxy.port, 'GET /slow HTTP/1.1\r\nHost: app\r\n\r\n' +
    'POST /fail-early HTTP/1.1\r\nHost: app\r\nExpect: 100-continue\r\nContent-Length: 3\r\n\r\nabc' +
    'GET /after HTTP/1.1\r\nHost: app\r\nConnection: close\r\n\r\n', 10_000);
  t.deepEqual(seen, ['/slow', '/after'], 'the app answered the request behind the failed one');
  t.deepEqual(r.statuses.filter((st) => st !== 100), [200, 502, 200]);
  t.true(r.text.endsWith('ok /after'));
  t.true(r.closed);
});
