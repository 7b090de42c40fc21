// The proxy's own requests to the app (the schema fetch, the output probe after each completed
// prediction) keep their connections to it, in a pool apart from the forwarded requests' (an odd
// answer to the proxy's own request never reaches a client). A probe that closed its connection after every
// answer made the proxy connect anew for each prediction: a connect and a close on both sides, and
// a TIME_WAIT socket per prediction left on the proxy's host (the bench's `prediction` payload
// showed a connect per prediction). The app here speaks Gradio's queue protocol just far enough
// for a prediction with a WAV output; what is counted is its TCP connections.
import test from 'ava';
import { Agent, createServer, request, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { makeWav } from '../support/audio.js';
import { startProxy, type RunningProxy } from '../support/proxy.js';
import { until } from '../support/until.js';

const WAV = makeWav({ seconds: 1, rate: 22050 });
const PREDICTIONS = 6;

let app: Server;
let proxy: RunningProxy;
let connections = 0;
let probes = 0;
const joined = new Map<string, string>();

function appHandler(req: IncomingMessage, res: ServerResponse): void {
  const url = new URL(req.url ?? '/', 'http://app');
  if (req.method === 'POST' && url.pathname === '/gradio_api/queue/join') {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => { body += c; });
    req.on('end', () => {
      const session = String((JSON.parse(body) as { session_hash?: string }).session_hash);
      const eventId = `e${joined.size}`.padEnd(32, '0');
      joined.set(session, eventId);
      const answer = JSON.stringify({ event_id: eventId });
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(answer) }).end(answer);
    });
    return;
  }
  if (req.method === 'GET' && url.pathname === '/gradio_api/queue/data') {
    const eventId = joined.get(String(url.searchParams.get('session_hash')));
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    const output = { data: [{ path: '/tmp/gradio/x/speech.wav', url: null, size: WAV.length, orig_name: 'speech.wav', meta: { _type: 'gradio.FileData' } }], is_generating: false };
    res.write(`data: ${JSON.stringify({ msg: 'process_starts', event_id: eventId })}\n\n`);
    res.end(`data: ${JSON.stringify({ msg: 'process_completed', event_id: eventId, output, success: true })}\n\n`);
    return;
  }
  if (req.method === 'GET' && url.pathname.includes('/file=')) {
    probes += 1;
    const m = /^bytes=0-(\d+)$/.exec(String(req.headers.range));
    const end = Math.min(WAV.length - 1, m ? Number(m[1]) : WAV.length - 1);
    res.writeHead(206, { 'content-type': 'audio/wav', 'content-range': `bytes 0-${end}/${WAV.length}`, 'content-length': String(end + 1) });
    res.end(WAV.subarray(0, end + 1));
    return;
  }
  // /config and /info: not this app's business here.
  res.writeHead(404, { 'content-type': 'text/plain', 'content-length': 9 }).end('not found');
}

test.before(async () => {
  app = createServer(appHandler);
  app.on('connection', () => { connections += 1; });
  // Neither side closes an idle connection while the test runs, however slowly a busy machine
  // runs it: every new connection is then the proxy's choice.
  app.keepAliveTimeout = 600_000;
  await new Promise<void>((r) => app.listen(0, '127.0.0.1', r));
  proxy = await startProxy({ upstream: `http://127.0.0.1:${(app.address() as AddressInfo).port}`, args: ['--upstream-keepalive-timeout', '0'] });
});

test.after.always(async () => {
  await proxy?.stop();
  app?.closeAllConnections();
  app?.close();
});

function call(agent: Agent, method: string, path: string, body?: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = request(`${proxy.url}${path}`, { method, agent, headers: body ? { 'content-type': 'application/json' } : {} }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => { text += c; });
      res.on('end', () => resolve(text));
    });
    req.on('error', reject);
    req.end(body);
  });
}

test.serial('predictions with an audio output, one after another: the proxy probes each output on a connection it already has', async (t) => {
  // One client connection, as one page's: the proxy needs one to the app for it.
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  try {
    for (let i = 0; i < PREDICTIONS; i++) {
      const session = `s${i}`;
      const answer = await call(agent, 'POST', '/gradio_api/queue/join', JSON.stringify({ data: ['hello'], fn_index: 0, session_hash: session }));
      t.regex(answer, /event_id/);
      const stream = await call(agent, 'GET', `/gradio_api/queue/data?session_hash=${session}`);
      t.regex(stream, /process_completed/);
      // The probe follows the completion; the next prediction starts when it is done, as a
      // page's next click would come long after.
      await until(() => probes === i + 1);
    }
  } finally {
    agent.destroy();
  }
  t.is(probes, PREDICTIONS);
  // One connection for the client's requests, one for the proxy's own (schema fetch, probes).
  // Before the fix: one more per probe.
  t.true(connections <= 2, `${connections} connections to the app for ${PREDICTIONS} predictions`);
});
