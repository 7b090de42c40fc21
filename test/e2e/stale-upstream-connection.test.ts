// The app closes a keep-alive connection just as the proxy reuses it (forwarding/stale-connection.ts).
// This app answers the first request on each connection and drops the connection when a second
// one arrives on it: every reuse of a pooled connection meets the race, deterministically.
import test from 'ava';
import { createServer, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { metricValue, scrape } from '../support/metrics.js';
import { startProxy, type RunningProxy } from '../support/proxy.js';
import { rawExchange } from '../support/raw-socket.js';

let app: Server;
let proxy: RunningProxy;
const seen: string[] = [];
const forwardedFor = new Map<string, string | undefined>();

function answerFirstOnly(socket: Socket): void {
  let buffered = '';
  let answered = false;
  socket.on('error', () => undefined);
  socket.on('data', (c: Buffer) => {
    buffered += c.toString('latin1');
    const end = buffered.indexOf('\r\n\r\n');
    if (end < 0) return;
    const line = buffered.slice(0, buffered.indexOf('\r\n'));
    if (answered) return void socket.destroy();
    answered = true;
    seen.push(line);
    forwardedFor.set(line.split(' ')[1]!, /^x-forwarded-for:\s*(.*)$/im.exec(buffered.slice(0, end))?.[1]);
    const upgrade = /^upgrade:\s*websocket/im.test(buffered.slice(0, end));
    buffered = '';
    const body = `first on its connection: ${line}`;
    socket.write(upgrade
      ? 'HTTP/1.1 403 Forbidden\r\ncontent-length: 2\r\n\r\nno'
      : `HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ncontent-length: ${body.length}\r\n\r\n${body}`);
  });
}

test.before(async () => {
  app = createServer(answerFirstOnly);
  await new Promise<void>((r) => app.listen(0, '127.0.0.1', r));
  proxy = await startProxy({ upstream: `http://127.0.0.1:${(app.address() as AddressInfo).port}`, args: ['--gradio', 'false'] });
});
test.after.always(async () => {
  await proxy?.stop();
  app?.close();
});

test.serial('a bodyless request that meets a connection the app closed is sent once more on a fresh one; a request with a body is not', async (t) => {
  const before = metricValue(await scrape(proxy.adminUrl), 'tts_proxy_upstream_retries_total');
  for (const path of ['/one', '/two', '/three']) {
    const r = await fetch(`${proxy.url}${path}`, { headers: { 'x-forwarded-for': '203.0.113.9' } });
    t.is(r.status, 200, path);
    t.is(await r.text(), `first on its connection: GET ${path} HTTP/1.1`);
  }
  t.true(metricValue(await scrape(proxy.adminUrl), 'tts_proxy_upstream_retries_total') - before >= 2, 'the reuses were retried');
  t.truthy(forwardedFor.get('/one'));
  t.is(forwardedFor.get('/two'), forwardedFor.get('/one'), 'a retry appends this hop to X-Forwarded-For once');
  // A POST's body went out with the failed try: sending it again could repeat the app's work.
  const posted = await fetch(`${proxy.url}/post`, { method: 'POST', body: 'once' });
  t.true(posted.status === 200 || posted.status === 502, `${posted.status}`);
  if (posted.status === 502) t.false(seen.includes('POST /post HTTP/1.1'), 'a refused POST never reached the app twice');
});

test.serial('a websocket handshake never goes out on a pooled connection', async (t) => {
  await fetch(`${proxy.url}/warm`); // leaves a pooled connection behind
  const r = await rawExchange(proxy.port, 'GET /ws HTTP/1.1\r\nHost: app\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n', 10_000);
  t.deepEqual(r.statuses, [403], 'the app\'s answer, not a closed connection');
  t.true(seen.includes('GET /ws HTTP/1.1'));
});
