import test from 'ava';
import { ephemeralLow, QUIET_FROM, quietPort } from './ports.js';

// The demo test once drew the same number for PROXY_PORT and ZIPKIN_PORT: Zipkin took it, the proxy
// could not bind and exited. Each draw is random over ~20,000 ports, so five draws meet rarely;
// 400 meet almost always (birthday bound: ~4 expected pairs) unless the helper remembers.
test('quietPort never hands one process the same port twice', async (t) => {
  const ports: number[] = [];
  for (let i = 0; i < 400; i++) ports.push(await quietPort());
  t.is(new Set(ports).size, ports.length);
});

// CI on 2026-12-07: export-resilience stopped its own Zipkin for a minute, and when it started it
// again another test's port-0 listen held the number (freePort() draws from the ephemeral range,
// which every listen(0) and every outgoing connection draws from too). A port that is let go and
// bound again later, or that must stay closed, has to come from below that range.
test('quietPort stays below the ephemeral range, where no port-0 listen or outgoing connection is handed a number', async (t) => {
  const low = ephemeralLow();
  for (let i = 0; i < 200; i++) {
    const port = await quietPort();
    t.true(port >= QUIET_FROM && port < low, `${port} is outside [${QUIET_FROM}, ${low})`);
  }
});
