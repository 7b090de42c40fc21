// A websocket handshake whose exchange with the app fails before the app answered a byte gets the
// proxy's own 502, as an HTTP request does and as nginx answers it, then the connection closes
// (the handshake was its last request). It used to get a closed connection and nothing else: the
// browser's websocket then reports a network error, with no status and no trace id to look up
// (found by the fuzzer: seed 20270107 case 2183).
import test from 'ava';
import { createServer, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { freePort } from '../support/ports.js';
import { accessLog, alive, startProxy, type RunningProxy } from '../support/proxy.js';
import { headerOf, rawExchange } from '../support/raw-socket.js';

const HANDSHAKE = 'GET /queue/join HTTP/1.1\r\nHost: app\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n';

let resetting: Server;
let resets: RunningProxy;
let down: RunningProxy;

test.before(async () => {
  // Reads the whole handshake, then resets the connection without a byte of answer.
  resetting = createServer((socket: Socket) => {
    let head = '';
    socket.on('error', () => undefined);
    socket.on('data', (c: Buffer) => {
      head += c.toString('latin1');
      if (head.includes('\r\n\r\n')) socket.resetAndDestroy();
    });
  });
  await new Promise<void>((r) => resetting.listen(0, '127.0.0.1', r));
  resets = await startProxy({ upstream: `http://127.0.0.1:${(resetting.address() as AddressInfo).port}`, args: ['--gradio', 'false'] });
  // Nothing listens there: the connection is refused.
  down = await startProxy({ upstream: `http://127.0.0.1:${await freePort()}`, args: ['--gradio', 'false'] });
});
test.after.always(async () => {
  await resets?.stop();
  await down?.stop();
  resetting?.close();
});

for (const [name, proxy, errorType] of [
  ['resets the handshake', () => resets, 'upstream_reset'],
  ['is down', () => down, 'upstream_unavailable'],
] as const) {
  test.serial(`a websocket handshake to an app that ${name} gets the proxy's 502, then the connection closes`, async (t) => {
    const p = proxy();
    const r = await rawExchange(p.port, HANDSHAKE, 10_000);
    t.deepEqual(r.statuses, [502], r.text);
    t.true(r.closed, 'the handshake was the connection\'s last request');
    t.is(headerOf(r.text, 'connection'), 'close');
    t.is(headerOf(r.text, 'content-type'), 'application/json');
    const body = r.text.slice(r.text.indexOf('\r\n\r\n') + 4);
    t.is(Number(headerOf(r.text, 'content-length')), Buffer.byteLength(body), 'the body is framed by its Content-Length');
    const answer = JSON.parse(body) as { error_type: string; trace_id: string };
    t.is(answer.error_type, errorType);
    t.regex(headerOf(r.text, 'x-trace-id') ?? '', /^[0-9a-f]{32}$/);
    t.is(answer.trace_id, headerOf(r.text, 'x-trace-id') ?? 'none');
    // The request is logged with the status the client got.
    let line: Record<string, unknown> | undefined;
    for (let i = 0; i < 50 && !line; i++) {
      line = accessLog(p).find((l) => l.trace_id === answer.trace_id);
      if (!line) await new Promise((res) => setTimeout(res, 100));
    }
    t.is(line?.status, 502);
    t.true(await alive(p));
  });
}
