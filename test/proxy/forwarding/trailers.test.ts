// Trailer relay (trailers.ts) with fake messages: only a chunked message can end in trailers.
import test from 'ava';
import type { ClientRequest, IncomingMessage, ServerResponse } from 'node:http';
import { PassThrough } from 'node:stream';
import { relayRequestTrailers, relayResponseTrailers } from '../../../proxy/src/forwarding/trailers.js';

function message(headers: Record<string, string>, rawTrailers: string[]) {
  return Object.assign(new PassThrough(), { headers, rawTrailers }) as unknown as IncomingMessage & PassThrough;
}

function sink() {
  const added: [string, string][][] = [];
  return { added, to: { addTrailers: (t: [string, string][]) => void added.push(t) } };
}

test('a chunked message: its trailers go on, names and order as they came', (t) => {
  for (const relay of [relayResponseTrailers, relayRequestTrailers] as const) {
    const from = message({ 'transfer-encoding': 'chunked' }, ['X-Checksum', 'abc', 'server-timing', 'total;dur=3']);
    const { added, to } = sink();
    relay(from, to as unknown as ClientRequest & ServerResponse);
    from.emit('end');
    t.deepEqual(added, [[['X-Checksum', 'abc'], ['server-timing', 'total;dur=3']]]);
  }
});

test('a message without Transfer-Encoding cannot end in trailers: no listener, nothing added', (t) => {
  const from = message({ 'content-length': '3' }, []);
  const { added, to } = sink();
  relayResponseTrailers(from, to as unknown as ServerResponse);
  t.is(from.listenerCount('end'), 0);
  from.emit('end');
  t.deepEqual(added, []);
});

test('a chunked message without trailers adds none', (t) => {
  const from = message({ 'transfer-encoding': 'chunked' }, []);
  const { added, to } = sink();
  relayResponseTrailers(from, to as unknown as ServerResponse);
  from.emit('end');
  t.deepEqual(added, []);
});
