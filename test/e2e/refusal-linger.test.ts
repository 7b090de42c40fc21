// A request the proxy refuses (here `OPTIONS *`, asterisk-form) while its body is still on its
// way: the client must get the 400 (found by the fuzzer, seed 20261204 case 74). Node's server
// closed the socket as soon as the answer was flushed; with request bytes still unread, the
// kernel sends an RST instead of a FIN, and a client that had not read the answer yet loses it.
// nginx closes such a connection the lingering way; so does the proxy now. The client here sends
// the head, then the body slowly, and reads the answer only after the last byte went out: the
// unread-data close is certain, not a matter of timing.
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

test('a refused request whose body is still arriving: the client reads its 400, then the close', async (t) => {
  const body = Buffer.alloc(256 * 1024, 'x');
  const socket = connect(proxy.port, '127.0.0.1');
  await new Promise<void>((r) => socket.once('connect', () => r()));
  const closed = new Promise<void>((r) => socket.once('close', () => r()));
  let error: string | undefined;
  socket.on('error', (e: NodeJS.ErrnoException) => { error ??= e.code; });
  // Nothing is read until the whole body is sent: the answer waits in the client's buffer.
  socket.pause();
  socket.write(`OPTIONS * HTTP/1.1\r\nHost: app\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n`);
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
  const text = Buffer.concat(got).toString('latin1');
  t.regex(text, /^HTTP\/1\.1 400 /, `got ${JSON.stringify(text.slice(0, 80))}, error ${error}`);
  t.is(up.received.length, 0, 'never forwarded');
});
