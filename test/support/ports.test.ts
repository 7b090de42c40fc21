import test from 'ava';
import { quietPort } from './ports.js';

// The demo test once drew the same number for PROXY_PORT and ZIPKIN_PORT: Zipkin took it, the proxy
// could not bind and exited. Each draw is random over ~20,000 ports, so five draws meet rarely;
// 400 meet almost always (birthday bound: ~4 expected pairs) unless the helper remembers.
test('quietPort never hands one process the same port twice', async (t) => {
  const ports: number[] = [];
  for (let i = 0; i < 400; i++) ports.push(await quietPort());
  t.is(new Set(ports).size, ports.length);
});
