// Child-process script: the fake app every target forwards to. It runs in its own process so
// its event loop never competes with the load generator's or the proxy's (they still share the
// machine's cores). It mimics Gradio's two hot paths with fixed, tiny bodies so that the bench
// measures the proxies, not the app:
//   GET  /assets/index.js         a ~20 KB static script, as a page load fetches dozens of
//   POST /gradio_api/queue/join   small JSON in, small JSON out ({"event_id": ...}, distinct each time)
//   GET  /gradio_api/queue/data   SSE: SSE_EVENTS events SSE_INTERVAL_MS apart, then the end
//                                 (with `hold=1`: one event, then a heartbeat a second until the client leaves;
//                                 for a session that joined: that join's prediction, start to completion)
//   POST /gradio_api/upload       any body, read whole, answered with one server path (the memory bench's upload)
//   GET  /gradio_api/file=…       a 256 KiB WAV, as a page fetches the speech it asked for (also
//                                 at /file=, and a range as 206: the traced proxy's output probe)
// usage: node dist/bench/upstream.js --port N [--sse-events 10] [--sse-interval-ms 5]
import { createServer } from 'node:http';
import { wavFile } from './wav-file.js';

function flag(name: string, fallback: number): number {
  const i = process.argv.indexOf(name);
  const n = i >= 0 ? Number(process.argv[i + 1]) : fallback;
  if (!Number.isInteger(n) || n < 0) throw new Error(`${name}: expected a non-negative integer`);
  return n;
}

const port = flag('--port', 0);
const sseEvents = flag('--sse-events', 10);
const sseIntervalMs = flag('--sse-interval-ms', 5);

const EVENT_ID = 'a3f1c2d4e5b60718293a4b5c6d7e8f90';
// A distinct event_id per answer, as Gradio gives: the proxy registers each one.
let joins = 0;
const nextEventId = (): string => `${(joins++).toString(16).padStart(8, '0')}${EVENT_ID.slice(8)}`;
const joinAnswer = (eventId: string): Buffer => Buffer.from(JSON.stringify({ event_id: eventId }));
// session_hash → the event its last join queued, for that session's queue/data stream (the
// bench's `prediction` payload: a join, then its stream, as a Gradio page does). Bounded: a
// session's entry goes when its stream is served, and the table never holds more than this.
const JOINED_MAX = 4096;
const joined = new Map<string, string>();
const SESSION_IN_BODY = /"session_hash"\s*:\s*"([^"]{1,64})"/;
const SESSION_IN_QUERY = /[?&]session_hash=([^&]{1,64})/;
// A static asset of the web UI, about 20 KB of script.
const ASSET = Buffer.from(`/* app bundle */\n${'export const x = "0123456789abcdef0123456789abcdef";\n'.repeat(400)}`);

const WAV = wavFile();

// Gradio-shaped SSE messages of ~150 bytes; the last one is `process_completed`.
function sseEvent(i: number, eventId = EVENT_ID): Buffer {
  const last = i === sseEvents - 1;
  const msg = last
    // A joined event's output is described as Gradio 4+ does (FileData with its size): the traced
    // proxy probes it. The `sse` payload's event was never joined, and keeps its older shape.
    ? { msg: 'process_completed', event_id: eventId, output: { data: [eventId === EVENT_ID ? { path: '/tmp/gradio/out.wav' } : { path: '/tmp/gradio/out.wav', size: WAV.length, orig_name: 'out.wav' }], is_generating: false }, success: true }
    : { msg: 'process_generating', event_id: eventId, output: { data: [`chunk ${i}`], is_generating: true }, success: true };
  return Buffer.from(`data: ${JSON.stringify(msg)}\n\n`);
}
const EVENTS = Array.from({ length: sseEvents }, (_, i) => sseEvent(i));
const HEARTBEAT = Buffer.from('data: {"msg":"heartbeat"}\n\n');

const server = createServer((req, res) => {
  const path = req.url ?? '/';
  if (req.method === 'POST' && path.startsWith('/gradio_api/queue/join')) {
    // Read the whole body before answering, as a real app must.
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => { if (body.length < 4096) body += c; });
    req.on('end', () => {
      const eventId = nextEventId();
      const session = SESSION_IN_BODY.exec(body)?.[1];
      if (session !== undefined && joined.size < JOINED_MAX) joined.set(session, eventId);
      const answer = joinAnswer(eventId);
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': answer.length });
      res.end(answer);
    });
    return;
  }
  if (req.method === 'GET' && path.startsWith('/assets/')) {
    res.writeHead(200, { 'content-type': 'text/javascript', 'content-length': ASSET.length, 'cache-control': 'public, max-age=0' });
    res.end(ASSET);
    return;
  }
  if (req.method === 'GET' && (path.startsWith('/gradio_api/file=') || path.startsWith('/file='))) {
    // A range as Gradio answers one: what the traced proxy's output probe asks for.
    const range = /^bytes=0-(\d+)$/.exec(String(req.headers.range ?? ''));
    if (range) {
      const end = Math.min(WAV.length - 1, Number(range[1]));
      res.writeHead(206, { 'content-type': 'audio/wav', 'content-range': `bytes 0-${end}/${WAV.length}`, 'content-length': end + 1 });
      res.end(WAV.subarray(0, end + 1));
      return;
    }
    res.writeHead(200, { 'content-type': 'audio/wav', 'content-length': WAV.length });
    res.end(WAV);
    return;
  }
  if (req.method === 'POST' && path.startsWith('/gradio_api/upload')) {
    req.on('data', () => undefined);
    req.on('end', () => {
      const answer = Buffer.from('["/tmp/gradio/bench/upload.wav"]');
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': answer.length });
      res.end(answer);
    });
    return;
  }
  if (req.method === 'GET' && path.startsWith('/gradio_api/queue/data') && path.includes('hold=1')) {
    // A stream held open as a page's queue/data is while it waits: the memory bench opens 1,000.
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    res.write(EVENTS[0] ?? HEARTBEAT);
    const beat = setInterval(() => { if (!res.destroyed) res.write(HEARTBEAT); }, 1000);
    res.on('close', () => clearInterval(beat));
    return;
  }
  if (req.method === 'GET' && path.startsWith('/gradio_api/queue/data')) {
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    const session = SESSION_IN_QUERY.exec(path)?.[1];
    const eventId = session === undefined ? undefined : joined.get(session);
    if (eventId !== undefined) joined.delete(session!);
    const events = eventId === undefined ? EVENTS : Array.from({ length: sseEvents }, (_, i) => sseEvent(i, eventId));
    let i = 0;
    // The first event goes out at once (time-to-first-event then measures the path, not a
    // timer); the rest follow on a timer, like a generator yielding chunks.
    const send = (): void => {
      if (res.destroyed) return;
      res.write(events[i]);
      i += 1;
      if (i >= sseEvents) res.end();
      else setTimeout(send, sseIntervalMs);
    };
    if (sseEvents === 0) res.end();
    else send();
    return;
  }
  res.writeHead(404, { 'content-type': 'text/plain', 'content-length': 9 });
  res.end('not found');
});

// Above every client's idle timeout, so an idle pooled connection is never closed under a proxy
// between two measurements (that would show up as a 502 that is the bench's fault).
server.keepAliveTimeout = 65_000;
server.listen(port, '127.0.0.1', () => {
  const address = server.address();
  process.stdout.write(`listening ${typeof address === 'object' && address ? address.port : port}\n`);
});
process.on('SIGTERM', () => process.exit(0));
