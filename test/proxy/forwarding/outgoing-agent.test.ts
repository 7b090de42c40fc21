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
