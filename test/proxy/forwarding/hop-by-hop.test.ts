import test from 'ava';
import fc from 'fast-check';
import { hopByHopRequestFields, responseFieldsToForward, stripHopByHopRequest, stripHopByHopResponse } from '../../../proxy/src/forwarding/hop-by-hop.js';

test('request: RFC 9110 connection-specific fields and those named in Connection, without touching the headers', (t) => {
  const h: Record<string, string> = {
    connection: 'keep-alive, x-private-hop, HTTP2-Settings', 'keep-alive': 'timeout=5', te: 'trailers', 'x-private-hop': '1',
    'proxy-connection': 'keep-alive', upgrade: 'h2c', 'content-type': 'application/json', host: 'example', trailer: 'x-sum',
  };
  const before = { ...h };
  const names = [...hopByHopRequestFields(h, false)].sort();
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

test('response: leaves out hop-by-hop and Connection-listed fields, keeps Trailer (end-to-end) where it is kept', (t) => {
  const h: Record<string, string> = { connection: 'close, x-hop', 'x-hop': '1', 'keep-alive': 'timeout=5', trailer: 'x-checksum', 'content-type': 'text/plain' };
  t.deepEqual(responseFieldsToForward(h, true), { trailer: 'x-checksum', 'content-type': 'text/plain' });
  t.deepEqual(responseFieldsToForward(h, false), { 'content-type': 'text/plain' });
});

test('request: stripping in place keeps Connection, which Node and http-proxy read to answer this client', (t) => {
  const h: Record<string, string> = { connection: 'close, x-hop', 'x-hop': '1', te: 'trailers', accept: '*/*' };
  stripHopByHopRequest(h, false);
  t.deepEqual(h, { connection: 'close, x-hop', accept: '*/*' });
});

// The strip functions skip building lists for the usual Connection values; whatever Connection
// says, what they remove must stay exactly the fields hopByHopRequestFields() names (request,
// Connection itself kept) and those plus Connection (response), nothing else.
test('property: stripping removes exactly the hop-by-hop fields, whatever Connection says', (t) => {
  const token = fc.constantFrom('keep-alive', 'Keep-Alive', 'close', 'upgrade', 'Upgrade', 'x-hop', 'X-Other', 'te', 'host', 'content-length', 'connection', '', ' ');
  const connection = fc.oneof(
    fc.constant(undefined),
    fc.array(token, { maxLength: 4 }).chain((ts) => fc.constantFrom(', ', ',', ' ,\t').map((sep) => ts.join(sep))),
    fc.string({ maxLength: 12 }),
  );
  const extra = fc.subarray(['keep-alive', 'te', 'upgrade', 'proxy-connection', 'expect', 'x-hop', 'x-other', 'trailer', 'accept', 'host']);
  fc.assert(fc.property(connection, extra, fc.boolean(), (conn, names, isWebsocket) => {
    const base: Record<string, string> = Object.fromEntries(names.map((n) => [n, 'v']));
    if (conn !== undefined) base.connection = conn;
    const req = { ...base };
    stripHopByHopRequest(req, isWebsocket);
    // The model: RFC 9110 §7.6.1, written out here independently of the module.
    const listed = (conn ?? '').split(',').map((s) => s.trim().toLowerCase())
      .filter((s) => s && !['upgrade', 'close', 'keep-alive', 'host', 'content-length', 'transfer-encoding'].includes(s));
    const always = ['connection', 'keep-alive', 'proxy-connection', 'te', 'upgrade'];
    const named = new Set([...always, 'expect', ...listed].filter((n) => n !== 'connection' && !(isWebsocket && n === 'upgrade')));
    named.add('trailer'); // never chunked here, so no trailer can follow
    t.deepEqual(req, Object.fromEntries(Object.entries(base).filter(([k]) => !named.has(k))));
    t.deepEqual(new Set(hopByHopRequestFields(base, false)), new Set([...always, 'expect', ...listed]));
    const gone = new Set([...always, ...listed]);
    const kept = Object.fromEntries(Object.entries(base).filter(([k]) => !gone.has(k)));
    t.deepEqual(responseFieldsToForward(base, true), kept);
    const inPlace = { ...base };
    stripHopByHopResponse(inPlace);
    t.deepEqual(inPlace, kept, 'in place (a refused handshake\'s head): the same fields');
  }), { numRuns: 400 });
});

// An answer's fields are forwarded as a new object rather than deleted from Node's (a delete
// makes the object a slow dictionary for every read after, issue 10): the same fields, in the
// same order (the client sees them in that order), and the Trailer only where it is kept.
test('property: the forwarded answer fields are the RFC 9110 model\'s, in the same order, as a new object', (t) => {
  const token = fc.constantFrom('keep-alive', 'close', 'upgrade', 'x-hop', 'te', 'content-type', 'trailer', '');
  const connection = fc.oneof(fc.constant(undefined), fc.array(token, { maxLength: 3 }).map((ts) => ts.join(', ')), fc.string({ maxLength: 10 }));
  const names = fc.uniqueArray(fc.constantFrom('keep-alive', 'te', 'upgrade', 'proxy-connection', 'x-hop', 'trailer', 'content-type', 'etag', 'server', 'date', 'set-cookie', 'connection'), { maxLength: 9 });
  fc.assert(fc.property(connection, names, fc.boolean(), (conn, keys, keepTrailer) => {
    const base: Record<string, string | string[]> = {};
    for (const k of keys) base[k] = k === 'set-cookie' ? ['a=1', 'b=2'] : k === 'connection' ? (conn ?? 'keep-alive') : 'v';
    // The model, as in the property above: RFC 9110 §7.6.1 written out here, and Trailer only where kept.
    const listed = String(base.connection ?? '').split(',').map((s) => s.trim().toLowerCase())
      .filter((s) => s && !['upgrade', 'close', 'keep-alive', 'host', 'content-length', 'transfer-encoding'].includes(s));
    const gone = new Set(['connection', 'keep-alive', 'proxy-connection', 'te', 'upgrade', ...listed, ...(keepTrailer ? [] : ['trailer'])]);
    const model = Object.fromEntries(Object.entries(base).filter(([k]) => !gone.has(k)));
    const out = responseFieldsToForward(base, keepTrailer);
    t.deepEqual(Object.keys(out), Object.keys(model));
    t.deepEqual(out, model);
    t.not(out, base as unknown, 'a new object; the parsed one is left as it came');
  }), { numRuns: 400 });
});
