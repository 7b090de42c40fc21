// Forwarding bodies must not make V8 collect the whole heap over and over. Body bytes live in
// buffers outside V8's heap, and V8 counts those allocated since its last full collection
// against the old generation's limit. With the shipped growing factor of 2 on the proxy's small
// live heap (~14 MB) that left ~12 MB for them, so answers of 64 KB and more (audio files, the
// product's main download) set off a full collection every 60-100 ms: half the proxy's CPU went
// to them, and it answered 256 KB files at 0.6 of the rate it reaches without them
// (proxy/src/node-flags.ts).
// The proxy runs here with the shipped flags; `--trace-gc` says which collections ran.
import test from 'ava';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { burst } from '../support/load.js';
import { startProxy, type RunningProxy } from '../support/proxy.js';

const BODY_BYTES = 256 << 10;
const REQUESTS = 1200;
const CONNECTIONS = 8;
/** Full collections allowed for ~300 MB forwarded: a heap that grows with what it holds needs a few. */
const MAX_FULL_COLLECTIONS = 5;

let app: Server;
let proxy: RunningProxy;
const body = Buffer.alloc(BODY_BYTES, 0x5a);

test.before(async () => {
  app = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'audio/wav', 'content-length': BODY_BYTES });
    res.end(body);
  });
  await new Promise<void>((resolve) => app.listen(0, '127.0.0.1', resolve));
  proxy = await startProxy({
    upstream: `http://127.0.0.1:${(app.address() as AddressInfo).port}`,
    // stdout carries only the collector's lines.
    env: { TTS_PROXY_ACCESS_LOG: 'off' },
    nodeArgs: ['--trace-gc'],
  });
});
test.after.always(async () => {
  await proxy?.stop();
  await new Promise((resolve) => app?.close(resolve));
});

const fullCollections = (): number => proxy.stdout().split('\n').filter((l) => l.includes('Mark-Compact')).length;

test('forwarding 256 KB answers runs no more than a few full collections', async (t) => {
  const before = fullCollections();
  const answers = await burst(proxy.url, REQUESTS, CONNECTIONS, (i) => ({ path: `/gradio_api/file=/tmp/gradio/${i}/speech.wav` }));
  const short = answers.filter((a) => a.status !== 200 || a.bytes !== BODY_BYTES).length;
  const full = fullCollections() - before;
  t.log(`${REQUESTS} answers of ${BODY_BYTES >> 10} KB (${(REQUESTS * BODY_BYTES) >> 20} MB): ${full} full collections`);
  t.is(short, 0, 'every answer arrived whole');
  t.true(full <= MAX_FULL_COLLECTIONS, `${full} full collections`);
});
