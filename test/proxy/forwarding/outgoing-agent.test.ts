import test from 'ava';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { OutgoingAgent } from '../../../proxy/src/forwarding/outgoing-agent.js';
import { until } from '../../support/until.js';

/** An app that answers after `delayMs` and never closes an idle connection itself. */
async function app(delayMs = 0): Promise<{ server: Server; port: number; closed: () => number; connections: () => number }> {
  let closed = 0;
  let connections = 0;
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => setTimeout(() => res.end('ok'), delayMs));
  });
  server.keepAliveTimeout = 600_000;
  server.on('connection', (s: Socket) => { connections++; s.on('close', () => { closed++; }); });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { server, port: (server.address() as AddressInfo).port, closed: () => closed, connections: () => connections };
}

function post(agent: OutgoingAgent, port: number): Promise<{ status?: number; reused: boolean }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, method: 'POST', path: '/', agent, headers: { 'content-type': 'text/plain' } }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode, reused: req.reusedSocket }));
    });
    req.on('error', reject);
    req.end('body that cannot be sent twice');
  });
}

const freeSockets = (a: OutgoingAgent) => Object.values(a.freeSockets).reduce((n, l) => n + (l?.length ?? 0), 0);

test('a pooled connection idle past idleMs is closed by the proxy, before the app can close it under a request', async (t) => {
  const a = await app();
  const agent = new OutgoingAgent({ keepAlive: true, idleMs: 100 });
  t.is((await post(agent, a.port)).status, 200);
  await until(() => a.closed() === 1);
  t.is(freeSockets(agent), 0, 'gone from the pool');
  const next = await post(agent, a.port);
  t.false(next.reused, 'the next request opens a fresh connection');
  agent.destroy();
  a.server.close();
});

test('the idle clock runs only while a connection is free: a slow answer on a reused connection is not cut', async (t) => {
  const a = await app(300);
  const agent = new OutgoingAgent({ keepAlive: true, idleMs: 100 });
  t.is((await post(agent, a.port)).status, 200);
  const second = await post(agent, a.port);
  t.is(second.status, 200);
  t.true(second.reused, 'sent on the pooled connection, whose idle clock had started');
  t.is(a.connections(), 1);
  agent.destroy();
  a.server.close();
});

test('idleMs 0 keeps a pooled connection until the app closes it', async (t) => {
  const a = await app();
  const agent = new OutgoingAgent({ keepAlive: true, idleMs: 0 });
  await post(agent, a.port);
  await new Promise((r) => setTimeout(r, 300));
  t.is(freeSockets(agent), 1);
  t.is(a.closed(), 0);
  t.true((await post(agent, a.port)).reused);
  agent.destroy();
  a.server.close();
});

/** An app that reads the request, then sends what `answer` writes (maybe nothing, ever). */
async function quietApp(answer: (res: import('node:http').ServerResponse) => void): Promise<{ server: Server; port: number }> {
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => answer(res));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { server, port: (server.address() as AddressInfo).port };
}

/** A GET through `agent`: which of 'timeout', 'error' and a complete answer it saw. */
function exchange(agent: OutgoingAgent, port: number): Promise<{ timeout: boolean; error?: string; status?: number; body: string; complete: boolean }> {
  return new Promise((resolve) => {
    const out = { timeout: false, error: undefined as string | undefined, status: undefined as number | undefined, body: '', complete: false };
    const req = request({ host: '127.0.0.1', port, path: '/', agent }, (res) => {
      out.status = res.statusCode;
      res.setEncoding('utf8');
      res.on('data', (c: string) => { out.body += c; });
      res.on('error', () => undefined);
      res.on('close', () => { out.complete = res.complete; resolve(out); });
    });
    req.on('timeout', () => { out.timeout = true; });
    req.on('error', (e: NodeJS.ErrnoException) => { out.error = e.code; resolve(out); });
    req.end();
  });
}

test('an app silent past busyIdleMs with a request in flight: the request hears timeout, then fails as a reset', async (t) => {
  const a = await quietApp(() => { /* never answers */ });
  const agent = new OutgoingAgent({ keepAlive: true, busyIdleMs: 150 });
  const r = await exchange(agent, a.port);
  t.true(r.timeout);
  t.is(r.error, 'ECONNRESET');
  agent.destroy();
  a.server.closeAllConnections();
  a.server.close();
});

test('an app silent past busyIdleMs mid-answer: the answer is cut after what had come', async (t) => {
  const a = await quietApp((res) => { res.writeHead(200); res.write('part'); });
  const agent = new OutgoingAgent({ keepAlive: true, busyIdleMs: 150 });
  const r = await exchange(agent, a.port);
  t.true(r.timeout);
  t.is(r.status, 200);
  t.is(r.body, 'part');
  t.false(r.complete);
  agent.destroy();
  a.server.closeAllConnections();
  a.server.close();
});

test('busyIdleMs counts silence, not length: an answer that keeps coming runs to its end', async (t) => {
  const a = await quietApp((res) => {
    res.writeHead(200);
    let n = 0;
    const tick = setInterval(() => {
      res.write('x');
      if (++n === 10) { clearInterval(tick); res.end(); }
    }, 60);
  });
  const agent = new OutgoingAgent({ keepAlive: true, busyIdleMs: 250 });
  const r = await exchange(agent, a.port);
  t.false(r.timeout);
  t.is(r.body, 'x'.repeat(10));
  t.true(r.complete);
  agent.destroy();
  a.server.close();
});

// Both clocks used to be socket timers, re-armed on every request (three or four timer
// insertions and removals per request, 1-3% of a join's CPU: issue 10).
test('a pooled connection carries no socket timer from request to request: both clocks are the sweep', async (t) => {
  const a = await app();
  const agent = new OutgoingAgent({ keepAlive: true, idleMs: 4000, busyIdleMs: 600_000 });
  const sockets = new Set<Socket>();
  let armed = 0;
  for (let i = 0; i < 20; i++) {
    const req = request({ host: '127.0.0.1', port: a.port, method: 'POST', path: '/', agent }, (res) => res.resume());
    req.on('socket', (s: Socket) => {
      if (sockets.has(s)) return;
      sockets.add(s);
      const own = s.setTimeout.bind(s);
      s.setTimeout = ((ms: number, cb?: () => void) => { if (ms > 0) armed++; return own(ms, cb); }) as Socket['setTimeout'];
    });
    await new Promise((r) => { req.on('close', r); req.end('body'); });
  }
  t.is(sockets.size, 1, 'one pooled connection');
  t.is(armed, 0, 'no timer armed on it');
  agent.destroy();
  a.server.close();
});

test('a throw while the sweep looks at a connection costs that connection, not the process', async (t) => {
  const a = await quietApp(() => { /* never answers */ });
  const agent = new OutgoingAgent({ keepAlive: true, busyIdleMs: 60_000 });
  const req = request({ host: '127.0.0.1', port: a.port, path: '/', agent });
  const failed = new Promise<string | undefined>((resolve) => req.on('error', (e: NodeJS.ErrnoException) => resolve(e.code)));
  req.on('socket', (s: Socket) => {
    // A socket whose byte count cannot be read (a state Node did not expect).
    Object.defineProperty(s, 'bytesRead', { get() { throw new Error('unreadable'); } });
  });
  req.end();
  t.is(await failed, 'ECONNRESET', 'the request on it fails; the test process, which runs the sweep, lives on');
  agent.destroy();
  a.server.closeAllConnections();
  a.server.close();
});

test("Node's agent options hold only Node's keys: the proxy's clocks stay out of every request's copy", (t) => {
  const agent = new OutgoingAgent({ keepAlive: true, maxSockets: Infinity, idleMs: 4000, busyIdleMs: 1000 });
  const options = (agent as unknown as { options: Record<string, unknown> }).options;
  t.false('idleMs' in options);
  t.false('busyIdleMs' in options);
  t.is(options.keepAlive, true);
  agent.destroy();
});
