// The composition root (server.ts) against a fake app: what only the wiring decides. Which options
// each request hands http-proxy (the upstream hop's own Connection field, our trace context in
// place of the client's), and that a request the stages could not observe still goes through.
// Spans go to the file exporter and are read back after a flush.
import test from 'ava';
import { mkdtempSync, readFileSync } from 'node:fs';
import { createServer, request, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../proxy/src/config/load.js';
import { buildProxy, type ProxyApp } from '../../proxy/src/server.js';

interface FakeApp {
  readonly url: string;
  /** The headers of every request the app got. */
  readonly seen: IncomingHttpHeaders[];
  close(): Promise<void>;
}

async function fakeApp(): Promise<FakeApp> {
  const seen: IncomingHttpHeaders[] = [];
  const server = createServer((req, res) => {
    seen.push(req.headers);
    req.resume();
    req.on('end', () => res.end('ok'));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    seen,
    close: () => close(server),
  };
}

function close(server: Server): Promise<void> {
  server.closeAllConnections();
  return new Promise((r) => server.close(() => r()));
}

interface Started { readonly app: ProxyApp; readonly port: number; readonly spanFile: string; stopped?: Promise<void> }

async function startProxy(upstream: string, env: Record<string, string> = {}): Promise<Started> {
  const spanFile = join(mkdtempSync(join(tmpdir(), 'server-test-')), 'spans.json');
  const app = buildProxy(loadConfig({ '--upstream': upstream }, {
    OTEL_TRACES_EXPORTER: 'file', TTS_PROXY_SPAN_FILE: spanFile, TTS_PROXY_ACCESS_LOG: 'off', ...env,
  }));
  await new Promise<void>((r) => app.server.listen(0, '127.0.0.1', r));
  return { app, port: (app.server.address() as AddressInfo).port, spanFile };
}

/** Drains and flushes the proxy's spans to its file; once. */
function stop(p: Started): Promise<void> {
  p.stopped ??= p.app.shutdown(1000);
  return p.stopped;
}

function get(port: number, path: string, headers: Record<string, string>): Promise<{ status: number; headers: IncomingHttpHeaders; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, headers, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => { body += c; });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

interface ZipkinSpan { traceId: string; id: string; parentId?: string; kind?: string }

const INBOUND_TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const INBOUND = `00-${INBOUND_TRACE}-00f067aa0ba902b7-01`;

test('an observed request reaches the app with our trace context and the upstream hop\'s Connection; the answer names the trace', async (t) => {
  const upstream = await fakeApp();
  const p = await startProxy(upstream.url);
  try {
    const res = await get(p.port, '/assets/index.js', { traceparent: INBOUND, connection: 'close' });
    t.is(res.status, 200);
    t.is(res.body, 'ok');
    t.is(res.headers['x-trace-id'], INBOUND_TRACE);
    const seen = upstream.seen[0]!;
    // The client's Connection is its own hop; the proxy keeps its pooled connection to the app.
    t.is(seen.connection, 'keep-alive');
    t.is(seen['x-forwarded-for'], '127.0.0.1');
    const tp = /^00-([0-9a-f]{32})-([0-9a-f]{16})-01$/.exec(String(seen.traceparent));
    t.truthy(tp, 'the app gets a traceparent of ours');
    t.is(tp![1], INBOUND_TRACE);
    t.not(tp![2], '00f067aa0ba902b7', 'the client\'s parent is replaced by the CLIENT span');
    t.is(seen['x-b3-traceid'], INBOUND_TRACE);
    t.is(seen['x-b3-spanid'], tp![2]);
    t.is(seen.b3, `${INBOUND_TRACE}-${tp![2]}-1`);
    await stop(p);
    const spans = JSON.parse(readFileSync(p.spanFile, 'utf8')) as ZipkinSpan[];
    const server = spans.find((s) => s.kind === 'SERVER')!;
    const client = spans.find((s) => s.kind === 'CLIENT')!;
    t.is(server.parentId, '00f067aa0ba902b7');
    t.is(client.parentId, server.id);
    t.is(client.id, tp![2], 'the app\'s parent is the CLIENT span');
  } finally {
    await stop(p);
    await upstream.close();
  }
});

test('every request on a client connection reaches the app with its own trace context', async (t) => {
  const upstream = await fakeApp();
  const p = await startProxy(upstream.url);
  try {
    for (let i = 0; i < 3; i++) t.is((await get(p.port, `/file=${i}`, {})).status, 200);
    const ids = upstream.seen.map((h) => String(h.traceparent).split('-')[2]);
    t.is(new Set(ids).size, 3, 'no request is sent with another request\'s headers');
    for (const h of upstream.seen) t.is(h.connection, 'keep-alive');
  } finally {
    await stop(p);
    await upstream.close();
  }
});

// The guard's fault injection is process-wide: this test runs alone.
test.serial('a request the stages could not observe still reaches the app, with the upstream hop\'s Connection and no trace of ours', async (t) => {
  const upstream = await fakeApp();
  const p = await startProxy(upstream.url, { TTS_PROXY_FAULT_INJECT: 'pipeline' });
  try {
    const res = await get(p.port, '/assets/index.js', { connection: 'close' });
    t.is(res.status, 200);
    t.is(res.body, 'ok');
    t.is(res.headers['x-trace-id'], undefined);
    t.is(upstream.seen[0]!.connection, 'keep-alive');
    t.is(upstream.seen[0]!.traceparent, undefined);
  } finally {
    await stop(p);
    await upstream.close();
  }
});

// --upstream-idle-timeout: the app's silence, not the exchange's length, ends an exchange. Its
// clock is the upstream agent's sweep (forwarding/idle-sweep.ts), so these tests wait for an
// outcome without a bound on when it comes.
async function slowApp(handler: (res: import('node:http').ServerResponse) => void): Promise<{ url: string; close(): Promise<void> }> {
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => handler(res));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, close: () => close(server) };
}

interface ZipkinTagged { kind?: string; tags?: Record<string, string> }

/** Flushes the proxy's spans and reads back its SERVER span's error.type. */
async function serverErrorType(p: Started): Promise<string | undefined> {
  await stop(p);
  const spans = JSON.parse(readFileSync(p.spanFile, 'utf8')) as ZipkinTagged[];
  return spans.find((s) => s.kind === 'SERVER')?.tags?.['error.type'];
}

/** A proxy with `--upstream-idle-timeout` `timeoutMs` in front of an app answering with `handler`, for `fn`; both stopped after. */
async function withIdleTimeout(handler: (res: import('node:http').ServerResponse) => void, timeoutMs: number, fn: (p: Started) => Promise<void>): Promise<void> {
  const upstream = await slowApp(handler);
  const p = await startProxy(upstream.url, { TTS_PROXY_UPSTREAM_IDLE_TIMEOUT_MS: String(timeoutMs) });
  try {
    await fn(p);
  } finally {
    await stop(p);
    await upstream.close();
  }
}

test('an app silent past --upstream-idle-timeout before its answer: 504, and the SERVER span says upstream_timeout', async (t) => {
  await withIdleTimeout(() => { /* never answers */ }, 300, async (p) => {
    const res = await get(p.port, '/gradio_api/info', {});
    t.is(res.status, 504);
    t.truthy(res.headers['x-trace-id']);
    t.is(await serverErrorType(p), 'upstream_timeout');
  });
});

test('an app silent past --upstream-idle-timeout mid-answer: the stream is cut, and the SERVER span says upstream_timeout', async (t) => {
  await withIdleTimeout((res) => {
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    res.write('data: first\n\n');
  }, 300, async (p) => {
    const outcome = await new Promise<{ status: number; body: string; complete: boolean }>((resolve) => {
      const req = request({ host: '127.0.0.1', port: p.port, path: '/stream', agent: false }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => { body += c; });
        res.on('close', () => resolve({ status: res.statusCode ?? 0, body, complete: res.complete }));
      });
      req.on('error', () => undefined);
      req.end();
    });
    t.is(outcome.status, 200);
    t.is(outcome.body, 'data: first\n\n', 'what the app sent was forwarded before the cut');
    t.false(outcome.complete, 'the client sees a cut, not an ended answer');
    t.is(await serverErrorType(p), 'upstream_timeout');
  });
});

test('an answer that keeps coming is never cut by --upstream-idle-timeout, however long it lasts', async (t) => {
  await withIdleTimeout((res) => {
    res.writeHead(200, { 'content-type': 'text/plain' });
    let n = 0;
    // Each byte well inside the timeout; the whole answer several times longer than it.
    const tick = setInterval(() => {
      res.write(String(n % 10));
      if (++n === 12) {
        clearInterval(tick);
        res.end();
      }
    }, 100);
  }, 400, async (p) => {
    const res = await get(p.port, '/slow', {});
    t.is(res.status, 200);
    t.is(res.body, '012345678901');
  });
});
