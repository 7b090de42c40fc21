// Reading a websocket's frames (Gradio 3.x's queue, issue 11 item 7) must not cost the client a
// byte. An app that sends its first frame in the same write as its 101 (Gradio 3.50.2 does with
// send_hash) had that frame swallowed: the observer's listener made the app's socket flowing
// before http-proxy had unshifted those bytes and piped them on. A fake app here, so the 101 and
// the frames always share one write; the client reads raw bytes.
import test from 'ava';
import { createServer, type Server, type Socket } from 'node:net';
import { connect } from 'node:net';
import { startProxy, type RunningProxy } from '../support/proxy.js';
import { wsFrame } from '../support/ws-frame.js';

const ACCEPT = 's3pPLMBiTxaQ9kYGzzhZRbK+xOo=';
// Server frames are not masked.
const frame = (text: string) => wsFrame(text, { opcode: 1 });
const FIRST = frame('{"msg":"send_hash"}');
const LATER = frame('{"msg":"estimation","rank":0}');

let app: Server;
let proxy: RunningProxy;
const sockets = new Set<Socket>();

test.before(async () => {
  app = createServer((s) => {
    sockets.add(s);
    s.once('data', () => {
      s.write(Buffer.concat([
        Buffer.from(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${ACCEPT}\r\n\r\n`),
        FIRST,
      ]));
      setTimeout(() => s.write(LATER), 50);
    });
  });
  await new Promise<void>((r) => app.listen(0, '127.0.0.1', r));
  proxy = await startProxy({ upstream: `http://127.0.0.1:${(app.address() as { port: number }).port}` });
});
test.after.always(async () => {
  await proxy?.stop();
  for (const s of sockets) s.destroy();
  app?.close();
});

for (const path of ['/queue/join', '/gradio_api/queue/join', '/other']) {
  test.serial(`${path}: the frame that shares the 101's write reaches the client, then the next one`, async (t) => {
    const client = connect(proxy.port, '127.0.0.1');
    const got: Buffer[] = [];
    client.on('data', (c) => got.push(c));
    client.write(`GET ${path} HTTP/1.1\r\nHost: app\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n`);
    const want = Buffer.concat([FIRST, LATER]);
    for (let i = 0; i < 100; i++) {
      const all = Buffer.concat(got);
      const body = all.subarray(all.indexOf('\r\n\r\n') + 4);
      if (all.includes('\r\n\r\n') && body.length >= want.length) break;
      await new Promise((r) => setTimeout(r, 30));
    }
    client.destroy();
    const all = Buffer.concat(got);
    t.regex(all.toString('latin1'), /^HTTP\/1\.1 101 /);
    t.deepEqual(all.subarray(all.indexOf('\r\n\r\n') + 4), want);
  });
}
