// Forwarding bodies must not make V8 collect the whole heap over and over. Body bytes live in
// buffers outside V8's heap, and V8 counts those allocated since its last full collection
// against the old generation's limit. With the shipped growing factor of 2 on the proxy's small
// live heap (~14 MB) that left ~12 MB for them, so answers of 64 KB and more (audio files, the
// product's main download) set off a full collection every 60-100 ms: half the proxy's CPU went
// to them, and it answered 256 KB files at 0.6 of the rate it reaches without them
// (proxy/src/node-flags.ts).
// The proxy runs here with the shipped flags; `--trace-gc` says which collections ran.
import test from 'ava';
import { Agent, createServer, get, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
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

/** Bytes of one answer, read as they come (the test keeps none of them). */
function download(agent: Agent, path: string): Promise<number> {
  return new Promise((resolve, reject) => {
    get(`${proxy.url}${path}`, { agent }, (res) => {
      let n = 0;
      res.on('data', (c: Buffer) => { n += c.length; });
      res.on('end', () => resolve(n));
      res.on('error', reject);
    }).on('error', reject);
  });
}

test('forwarding 256 KB answers runs no more than a few full collections', async (t) => {
  const agent = new Agent({ keepAlive: true, maxSockets: CONNECTIONS });
  const before = fullCollections();
  let short = 0;
  const worker = async (w: number) => {
    for (let i = w; i < REQUESTS; i += CONNECTIONS) {
      if ((await download(agent, `/gradio_api/file=/tmp/gradio/${i}/speech.wav`)) !== BODY_BYTES) short++;
    }
  };
  await Promise.all(Array.from({ length: CONNECTIONS }, (_, w) => worker(w)));
  agent.destroy();
  const full = fullCollections() - before;
  t.log(`${REQUESTS} answers of ${BODY_BYTES >> 10} KB (${(REQUESTS * BODY_BYTES) >> 20} MB): ${full} full collections`);
  t.is(short, 0, 'every answer arrived whole');
  t.true(full <= MAX_FULL_COLLECTIONS, `${full} full collections`);
});
