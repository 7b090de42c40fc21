// The test harness's own start of the proxy: a port picked free and taken before the proxy binds
// it (concurrent starts, as export-resilience's eight proxies) is picked again, not a failure.
import test from 'ava';
import { createServer, type Server } from 'node:net';
import { freePort } from './ports.js';
import { startProxy } from './proxy.js';

function occupy(): Promise<{ server: Server; port: number }> {
  return new Promise((resolve) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => resolve({ server, port: (server.address() as { port: number }).port }));
  });
}

test('a picked port that another process took is picked again', async (t) => {
  const taken = await occupy();
  let picks = 0;
  try {
    // The first pick (the listen port) is the taken one: the proxy exits with EADDRINUSE.
    const proxy = await startProxy({ upstream: 'http://127.0.0.1:9', freePort: () => (++picks === 1 ? Promise.resolve(taken.port) : freePort()) });
    try {
      t.not(proxy.port, taken.port);
      t.true(picks >= 4, `ports picked: ${picks}`);
      t.is((await fetch(`${proxy.adminUrl}/healthz`)).status, 200);
    } finally {
      await proxy.stop();
    }
  } finally {
    taken.server.close();
  }
});

test('any other early exit is not retried: the error says why', async (t) => {
  let picks = 0;
  const err = await t.throwsAsync(startProxy({ upstream: 'not a url', freePort: () => { picks++; return freePort(); } }));
  t.regex(err!.message, /proxy exited early \(2\)/);
  t.is(picks, 2, 'one attempt');
});
