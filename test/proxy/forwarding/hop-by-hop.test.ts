import test from 'ava';
import { stripHopByHop } from '../../../proxy/src/forwarding/hop-by-hop.js';

test('removes RFC 9110 connection-specific fields and those named in Connection', (t) => {
  const h: Record<string, string> = {
    connection: 'keep-alive, x-private-hop', 'keep-alive': 'timeout=5', te: 'trailers', 'x-private-hop': '1',
    'proxy-connection': 'keep-alive', upgrade: 'h2c', 'content-type': 'application/json', host: 'example',
  };
  stripHopByHop(h, false);
  t.deepEqual(h, { 'content-type': 'application/json', host: 'example' });
});

test('keeps Upgrade and Connection for a websocket handshake', (t) => {
  const h: Record<string, string> = { connection: 'Upgrade', upgrade: 'websocket', 'sec-websocket-key': 'k' };
  stripHopByHop(h, true);
  t.deepEqual(h, { connection: 'Upgrade', upgrade: 'websocket', 'sec-websocket-key': 'k' });
});
