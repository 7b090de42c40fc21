import test from 'ava';
import { createServer, type Socket } from 'node:net';
import { causeCode, fetchResending } from './fetch.js';

// A server that closes the first connection once the request has arrived, without a byte of
// answer (what a client sees when it reuses a connection the server is timing out), and answers
// every later one.
async function closesFirst(): Promise<{ url: string; connections: () => number; close: () => Promise<void> }> {
  let n = 0;
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    const mine = ++n;
    sockets.add(socket);
    socket.once('data', () => {
      if (mine === 1) socket.destroy();
      else socket.end('HTTP/1.1 200 OK\r\ncontent-length: 2\r\nconnection: close\r\n\r\nok');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}/`,
    connections: () => n,
    close: () => new Promise((r) => { for (const s of sockets) s.destroy(); server.close(() => r()); }),
  };
}

test('plain fetch fails when the connection closes before the answer; fetchResending sends once more', async (t) => {
  const a = await closesFirst();
  const err = await t.throwsAsync(fetch(a.url));
  t.true(['UND_ERR_SOCKET', 'ECONNRESET'].includes(causeCode(err)!), String(causeCode(err)));
  await a.close();

  const b = await closesFirst();
  const res = await fetchResending(b.url, { method: 'POST', body: '{}' });
  t.is(await res.text(), 'ok');
  t.is(b.connections(), 2);
  await b.close();
});

test('fetchResending does not resend a body it cannot replay', async (t) => {
  const a = await closesFirst();
  const stream = new ReadableStream({ start(c) { c.enqueue(new TextEncoder().encode('x')); c.close(); } });
  await t.throwsAsync(fetchResending(a.url, { method: 'POST', body: stream, duplex: 'half' } as RequestInit));
  t.is(a.connections(), 1);
  await a.close();
});
