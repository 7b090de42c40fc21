// The close after a connection's last answer (forwarding/linger.ts), whoever wrote that answer.
// Node's server closed such a socket as soon as the answer was flushed; with request bytes still
// unread, the kernel sends an RST instead of a FIN, and a client that had not read the answer yet
// loses it. nginx closes such a connection the lingering way; so does the proxy. In each test the
// client sends the head, then the rest slowly, and reads only after the last byte went out: the
// unread-data close is certain, not a matter of timing. First, a request the proxy refuses (here
// `OPTIONS *`, asterisk-form) while its body is still on its way: the client must get the 400
// (found by the fuzzer, seed 20261204 case 74).
import test from 'ava';
import { connect } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { startEchoUpstream, type EchoUpstream } from '../support/echo-upstream.js';
import { startProxy, type RunningProxy } from '../support/proxy.js';

let up: EchoUpstream;
let proxy: RunningProxy;
test.before(async () => {
  up = await startEchoUpstream();
  proxy = await startProxy({ upstream: up.url });
});
test.after.always(async () => {
  await proxy?.stop();
  await up?.close();
});

/**
 * Sends `head`, then `body` slowly (as a pipelined request behind it), reading nothing until the
 * last byte went out; then reads to the close. Returns what it read and the first socket error.
 */
async function sendThenRead(head: string, body: Buffer): Promise<{ text: string; error?: string }> {
  const socket = connect(proxy.port, '127.0.0.1');
  await new Promise<void>((r) => socket.once('connect', () => r()));
  const closed = new Promise<void>((r) => socket.once('close', () => r()));
  let error: string | undefined;
  socket.on('error', (e: NodeJS.ErrnoException) => { error ??= e.code; });
  // Nothing is read until the whole body is sent: the answer waits in the client's buffer.
  socket.pause();
  socket.write(head);
  for (let i = 0; i < body.length && !socket.destroyed; i += 16 * 1024) {
    socket.write(body.subarray(i, i + 16 * 1024));
    await sleep(20);
  }
  await sleep(200);
  const got: Buffer[] = [];
  socket.on('data', (c: Buffer) => got.push(c));
  socket.resume();
  if (!socket.destroyed) socket.end();
  await closed;
  return { text: Buffer.concat(got).toString('latin1'), error };
}

test.serial('a refused request whose body is still arriving: the client reads its 400, then the close', async (t) => {
  const body = Buffer.alloc(256 * 1024, 'x');
  const before = up.received.length;
  const { text, error } = await sendThenRead(`OPTIONS * HTTP/1.1\r\nHost: app\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n`, body);
  t.regex(text, /^HTTP\/1\.1 400 /, `got ${JSON.stringify(text.slice(0, 80))}, error ${error}`);
  t.is(up.received.length, before, 'never forwarded');
});

// An Upgrade the proxy does not speak (h2c) is answered as the plain HTTP/1.1 request it also is,
// and that answer is the connection's last (Node's parser is gone). Requests pipelined behind it
// are never read: the close after the answer must linger there too (found by the fuzzer, seed
// 20261208 case 11399, where the client lost a HEAD's 404).
test.serial('an h2c Upgrade answered as plain HTTP with requests still arriving behind it: the client reads its answer, then the close', async (t) => {
  const pipelined = Buffer.alloc(256 * 1024, 'y');
  const before = up.received.length;
  const { text, error } = await sendThenRead(
    'GET /h2c-linger HTTP/1.1\r\nHost: app\r\nConnection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\nHTTP2-Settings: AAMAAABkAARAAAAAAAIAAAAA\r\n\r\n' +
      `POST /behind HTTP/1.1\r\nHost: app\r\nContent-Length: ${pipelined.length}\r\n\r\n`,
    pipelined,
  );
  t.regex(text, /^HTTP\/1\.1 200 /, `got ${JSON.stringify(text.slice(0, 80))}, error ${error}`);
  t.deepEqual(up.received.slice(before).map((r) => r.url), ['/h2c-linger'], 'only the upgrade request was forwarded');
});

// The same close for an answer that is last because the client said so: a client that pipelines
// behind its own `Connection: close` breaks RFC 9112 §9.6, and nginx still lingers for it.
test.serial('a Connection: close request with bytes still arriving behind it: the client reads its answer, then the close', async (t) => {
  const pipelined = Buffer.alloc(256 * 1024, 'z');
  const before = up.received.length;
  const { text, error } = await sendThenRead(
    'GET /close-linger HTTP/1.1\r\nHost: app\r\nConnection: close\r\n\r\n' +
      `POST /behind-close HTTP/1.1\r\nHost: app\r\nContent-Length: ${pipelined.length}\r\n\r\n`,
    pipelined,
  );
  t.regex(text, /^HTTP\/1\.1 200 /, `got ${JSON.stringify(text.slice(0, 80))}, error ${error}`);
  t.deepEqual(up.received.slice(before).map((r) => r.url), ['/close-linger'], 'only the closing request was forwarded');
});

// Node's server answers some requests itself, without the proxy's handler (a missing Host: 400,
// `Connection: close`): its close after that answer must linger as well (found by the fuzzer, seed
// 20261208 case 21449, where the answer queued before Node's 400 was lost).
test.serial('a request without Host pipelined behind an answer still on its way: the client reads both answers, then the close', async (t) => {
  // Sent over about a second: Node's 400 goes out (after the first answer, 300 ms in) while it
  // still arrives.
  const body = Buffer.alloc(768 * 1024, 'w');
  const before = up.received.length;
  const { text, error } = await sendThenRead(
    'GET /slow HTTP/1.1\r\nHost: app\r\n\r\n' + `POST /no-host HTTP/1.1\r\nContent-Length: ${body.length}\r\n\r\n`,
    body,
  );
  t.regex(text, /^HTTP\/1\.1 200 [^]*HTTP\/1\.1 400 /, `got ${JSON.stringify(text.slice(0, 80))}, error ${error}`);
  t.deepEqual(up.received.slice(before).map((r) => r.url), ['/slow'], 'only the first request was forwarded');
});

// While a connection lingers, Node's parser still reads what arrives, and hands an upgrade or a
// CONNECT to the proxy as for any connection: a websocket handshake pipelined behind a refused
// `OPTIONS *` reached the app (found by the fuzzer, seed 20261209 case 71206). Only plain requests
// were checked against the connection's last answer.
const LATE: [string, string][] = [
  ['a websocket handshake', 'GET /late-ws HTTP/1.1\r\nHost: app\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n'],
  ['an h2c Upgrade', 'GET /late-h2c HTTP/1.1\r\nHost: app\r\nConnection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\nHTTP2-Settings: AAMAAABkAARAAAAAAAIAAAAA\r\n\r\n'],
  ['a CONNECT', 'CONNECT app:443 HTTP/1.1\r\nHost: app:443\r\n\r\n'],
  ['a plain request', 'GET /late-plain HTTP/1.1\r\nHost: app\r\n\r\n'],
];
for (const [what, late] of LATE) {
  test.serial(`${what} that arrives while the connection lingers after its last answer is neither forwarded nor answered`, async (t) => {
    const body = Buffer.alloc(96 * 1024, 'v');
    for (const [first, status, forwarded] of [
      [`OPTIONS * HTTP/1.1\r\nHost: app\r\nContent-Length: ${body.length}\r\n\r\n`, 400, []],
      [`POST /last HTTP/1.1\r\nHost: app\r\nConnection: close\r\nContent-Length: ${body.length}\r\n\r\n`, 200, ['/last']],
    ] as const) {
      const before = up.received.length;
      // The body arrives over about 100 ms, the late request in its last piece.
      const { text, error } = await sendThenRead(first, Buffer.concat([body, Buffer.from(late)]));
      t.is([...text.matchAll(/HTTP\/1\.1 \d{3} /g)].length, 1, `one answer: ${JSON.stringify(text.slice(0, 80))}, error ${error}`);
      t.regex(text, new RegExp(`^HTTP/1\\.1 ${status} `));
      await sleep(100);
      t.deepEqual(up.received.slice(before).map((r) => r.url), [...forwarded], `${first.split(' ')[0]} first: nothing after it reached the app`);
    }
  });
}
