import test from 'ava';
import { hopByHopRequestFields, stripHopByHopRequest, stripHopByHopResponse } from '../../../proxy/src/forwarding/hop-by-hop.js';

test('request: RFC 9110 connection-specific fields and those named in Connection, without touching the headers', (t) => {
  const h: Record<string, string> = {
    connection: 'keep-alive, x-private-hop, HTTP2-Settings', 'keep-alive': 'timeout=5', te: 'trailers', 'x-private-hop': '1',
    'proxy-connection': 'keep-alive', upgrade: 'h2c', 'content-type': 'application/json', host: 'example', trailer: 'x-sum',
  };
  const before = { ...h };
  const names = hopByHopRequestFields(h, false).sort();
  t.deepEqual(names, ['connection', 'expect', 'http2-settings', 'keep-alive', 'proxy-connection', 'te', 'upgrade', 'x-private-hop']);
  t.deepEqual(h, before, 'the client headers are read, not mutated (Node needs its Connection)');
});

test('request: Connection can never name the framing or routing fields', (t) => {
  const names = hopByHopRequestFields({ connection: 'content-length, transfer-encoding, host' }, false);
  t.false(names.includes('content-length'));
  t.false(names.includes('transfer-encoding'));
  t.false(names.includes('host'));
});

test('request: a websocket handshake keeps Upgrade and Connection', (t) => {
  const names = hopByHopRequestFields({ connection: 'Upgrade', upgrade: 'websocket', 'sec-websocket-key': 'k' }, true);
  t.false(names.includes('connection'));
  t.false(names.includes('upgrade'));
  t.true(names.includes('keep-alive'));
});

test('response: strips hop-by-hop and Connection-listed fields, keeps Trailer (end-to-end)', (t) => {
  const h: Record<string, string> = { connection: 'close, x-hop', 'x-hop': '1', 'keep-alive': 'timeout=5', trailer: 'x-checksum', 'content-type': 'text/plain' };
  stripHopByHopResponse(h);
  t.deepEqual(h, { trailer: 'x-checksum', 'content-type': 'text/plain' });
});

test('request: stripping in place keeps Connection, which Node and http-proxy read to answer this client', (t) => {
  const h: Record<string, string> = { connection: 'close, x-hop', 'x-hop': '1', te: 'trailers', accept: '*/*' };
  stripHopByHopRequest(h, false);
  t.deepEqual(h, { connection: 'close, x-hop', accept: '*/*' });
});
