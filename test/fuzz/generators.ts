// fast-check arbitraries for fuzz cases: pipelined requests on Gradio routes with hostile trace
// headers and bodies of every shape, and the hostile upstream's answer to each.
import fc from 'fast-check';
import { gzipSync } from 'node:zlib';
import type { Connection, Exchange, Fault, FuzzCase, FuzzRequest, Header, Reply, ResponseFraming } from './model.js';
import { wsSessionArb } from './ws-generators.js';

const HEX = [...'0123456789abcdef'];
const hex = (n: number) => fc.string({ unit: fc.constantFrom(...HEX), minLength: n, maxLength: n });
const HEX_UP = [...'0123456789ABCDEF'];
const hexUp = (n: number) => fc.string({ unit: fc.constantFrom(...HEX_UP), minLength: n, maxLength: n });
const TOKEN = [...'abcdefghijklmnopqrstuvwxyz0123456789-!#$%&\'*+.^_`|~'];
const token = (min = 1, max = 12) => fc.string({ unit: fc.constantFrom(...TOKEN), minLength: min, maxLength: max });
/** Field-value octets that every HTTP/1.1 parser accepts: visible ASCII, SP, HTAB and obs-text. */
const valueChar = fc.oneof(
  { weight: 8, arbitrary: fc.integer({ min: 0x20, max: 0x7e }) },
  { weight: 1, arbitrary: fc.constant(0x09) },
  { weight: 1, arbitrary: fc.integer({ min: 0x80, max: 0xff }) },
).map((c) => String.fromCharCode(c));
const value = (max = 40) => fc.string({ unit: valueChar, minLength: 0, maxLength: max }).map((v) => v.replace(/^[ \t]+|[ \t]+$/g, '') || 'x');
const binary = (max: number) => fc.string({ unit: fc.integer({ min: 0, max: 255 }).map((c) => String.fromCharCode(c)), maxLength: max });
const toLatin1 = (b: Buffer) => b.toString('latin1');
const utf8AsLatin1 = (s: string) => toLatin1(Buffer.from(s, 'utf8'));

/** Event ids from a small shared pool, so joins, streams and call results of a case meet. */
const EVENT_IDS = ['5f3c9a10de', '5f3c9a11de', '0a1b2c3d4e', 'ffffffffff'];
const eventId = fc.oneof({ weight: 4, arbitrary: fc.constantFrom(...EVENT_IDS) }, { weight: 1, arbitrary: hex(10) });
const sessionHash = fc.oneof(fc.constantFrom('s3ss10n', 'abcdef1234'), token(1, 16));

// ---- propagation headers (every format, valid and not) ---------------------------------------

const traceId = fc.oneof({ weight: 6, arbitrary: hex(32) }, { weight: 1, arbitrary: hexUp(32) }, { weight: 1, arbitrary: fc.constant('0'.repeat(32)) }, { weight: 1, arbitrary: hex(30) });
const spanId = fc.oneof({ weight: 6, arbitrary: hex(16) }, { weight: 1, arbitrary: hexUp(16) }, { weight: 1, arbitrary: fc.constant('0'.repeat(16)) }, { weight: 1, arbitrary: hex(15) });
const huge = fc.integer({ min: 600, max: 9000 }).map((n) => 'a'.repeat(n));

const traceparent: fc.Arbitrary<Header[]> = fc.oneof(
  fc.tuple(traceId, spanId, fc.constantFrom('00', '01', '03', 'zz')).map(([t, s, f]) => [['traceparent', `00-${t}-${s}-${f}`]] as Header[]),
  fc.tuple(fc.constantFrom('ff', '01', 'cc'), hex(32), hex(16)).map(([v, t, s]) => [['traceparent', `${v}-${t}-${s}-01-extra`]] as Header[]),
  value(60).map((v) => [['traceparent', v]] as Header[]),
  huge.map((v) => [['traceparent', v]] as Header[]),
  fc.tuple(hex(32), hex(16), fc.oneof(fc.constant('rojo=00f067aa0ba902b7,congo=t61rcWkgMzE'), value(80), huge.map((h) => Array.from({ length: 40 }, (_, i) => `k${i}=${h.slice(0, 20)}`).join(','))))
    .map(([t, s, st]) => [['traceparent', `00-${t}-${s}-01`], ['tracestate', st]] as Header[]),
);

const b3Single: fc.Arbitrary<Header[]> = fc.oneof(
  fc.tuple(fc.oneof(traceId, hex(16)), spanId, fc.constantFrom('', '-1', '-0', '-d', '-x'), fc.option(hex(16))).map(([t, s, f, p]) => [['b3', `${t}-${s}${f}${p && f ? `-${p}` : ''}`]] as Header[]),
  fc.tuple(hex(32), hex(16), value(12)).map(([t, s, g]) => [['b3', `${t}-${s}-1${g}`]] as Header[]),
  fc.constantFrom('0', '1', 'd', '', '-').map((v) => [['b3', v]] as Header[]),
  value(60).map((v) => [['b3', v]] as Header[]),
);

const b3Name = (canonical: string) => fc.constantFrom(canonical, canonical.toLowerCase(), canonical.toUpperCase());
const b3Multi: fc.Arbitrary<Header[]> = fc.tuple(
  b3Name('X-B3-TraceId'), fc.oneof(traceId, hex(16), hexUp(16), value(20)),
  b3Name('X-B3-SpanId'), fc.oneof(spanId, value(20)),
  fc.option(fc.tuple(b3Name('X-B3-ParentSpanId'), spanId)),
  fc.option(fc.tuple(b3Name('X-B3-Sampled'), fc.constantFrom('1', '0', 'true', 'false', 'yes', ''))),
  fc.option(fc.tuple(b3Name('X-B3-Flags'), fc.constantFrom('1', '0', '2', 'x'))),
).map(([tn, t, sn, s, p, smp, fl]) => {
  const out: Header[] = [[tn, t], [sn, s]];
  if (p) out.push(p);
  if (smp) out.push(smp);
  if (fl) out.push(fl);
  return out;
});

export const propagation: fc.Arbitrary<Header[]> = fc.oneof(
  { weight: 2, arbitrary: fc.constant<Header[]>([]) },
  { weight: 3, arbitrary: traceparent },
  { weight: 2, arbitrary: b3Single },
  { weight: 2, arbitrary: b3Multi },
  { weight: 1, arbitrary: fc.tuple(traceparent, b3Single, b3Multi).map(([a, b, c]) => [...a, ...b, ...c]) },
  { weight: 1, arbitrary: value(40).map((v) => [['baggage', `user=${v.replace(/[,;=\s]/g, '')}`]] as Header[]) },
);

// ---- other request headers -------------------------------------------------------------------

interface HeaderPick { readonly headers: Header[]; readonly valid: boolean }

const misc: fc.Arbitrary<HeaderPick> = fc.oneof(
  fc.constantFrom<Header>(['User-Agent', 'fuzz/1'], ['Accept', '*/*'], ['Accept-Encoding', 'gzip, br'], ['Cache-Control', 'no-cache'], ['Origin', 'http://evil.example'],
    ['Cookie', 'tts_route=stable.0; other=1'], ['X-Canary', 'stable'], ['X-Canary', 'nope'], ['X-Debug-Tracing', 'guess'], ['Expect', '100-continue'],
    ['Range', 'bytes=0-10'], ['Range', 'bytes=99999-'], ['Range', 'bytes=x'], ['TE', 'trailers'], ['Keep-Alive', 'timeout=5'], ['X-Forwarded-For', '10.0.0.1, 1.2.3.4'],
    ['X-Forwarded-Proto', 'gopher'], ['Authorization', 'Bearer s3cret'], ['X-Request-Id', 'req-1'], ['Accept', 'text/event-stream']).map((h) => ({ headers: [h], valid: true })),
  // A pick of its own as well as one of the twenty above: Node and the proxy treat such a request
  // apart (the interim answer, and Node's keep-alive rule for an answer sent without one), and at
  // one in 180 picks the fuzzer reached the lost answer behind a 502 to one only once (seed
  // 20261207 case 2607). Both together give the rate operations.md states (about one in six).
  fc.constantFrom<Header[]>([['Expect', '100-continue']], [['Expect', '100-Continue']]).map((headers) => ({ headers, valid: true })),
  // A header the Connection field makes hop-by-hop.
  token(1, 8).map((t) => ({ headers: [['Connection', `keep-alive, x-hop-${t}`], [`X-Hop-${t}`, 'drop me']] as Header[], valid: true })),
  // Repeated fields: list-valued ones join, Cookie joins with "; ".
  fc.tuple(value(20), value(20)).map(([a, b]) => ({ headers: [['X-Fuzz-Dup', a], ['X-Fuzz-Dup', b]] as Header[], valid: true })),
  fc.tuple(token(1, 8), token(1, 8)).map(([a, b]) => ({ headers: [['Cookie', `a=${a}`], ['Cookie', `b=${b}`]] as Header[], valid: true })),
  // Repeated fields of which Node's parser keeps only the first line.
  fc.tuple(fc.constantFrom('User-Agent', 'Referer', 'Authorization', 'From', 'If-Modified-Since'), token(1, 8), token(1, 8))
    .map(([n, a, b]) => ({ headers: [[n, a], [n, b]] as Header[], valid: true })),
  fc.tuple(token(1, 16), value(60)).map(([n, v]) => ({ headers: [[`X-R-${n}`, v]] as Header[], valid: true })),
  fc.integer({ min: 1000, max: 12000 }).map((n) => ({ headers: [['X-Fuzz-Huge', 'h'.repeat(n)]] as Header[], valid: true })),
  fc.constantFrom<Header[]>([['X-Bad', 'a\x01b']], [['Bad Name', 'x']], [['X-Fold', 'a'], [' folded', '']], [['X-Nul', 'a\x00b']]).map((headers) => ({ headers, valid: false })),
);

// ---- bodies -----------------------------------------------------------------------------------

const WAV = (() => {
  const samples = 800;
  const b = Buffer.alloc(44 + samples * 2);
  b.write('RIFF', 0); b.writeUInt32LE(36 + samples * 2, 4); b.write('WAVE', 8); b.write('fmt ', 12);
  b.writeUInt32LE(16, 16); b.writeUInt16LE(1, 20); b.writeUInt16LE(1, 22); b.writeUInt32LE(16000, 24);
  b.writeUInt32LE(32000, 28); b.writeUInt16LE(2, 32); b.writeUInt16LE(16, 34); b.write('data', 36); b.writeUInt32LE(samples * 2, 40);
  for (let i = 0; i < samples; i++) b.writeInt16LE(Math.round(Math.sin(i / 5) * 8000), 44 + i * 2);
  return b;
})();

const deep = fc.tuple(fc.constantFrom(50, 3000, 20_000, 30_000), fc.constantFrom('[', '{"a":')).map(([d, open]) =>
  open === '[' ? '['.repeat(d) + ']'.repeat(d) : open.repeat(d) + '1' + '}'.repeat(d));
// Denser in JSON tokens than any Gradio payload, past the capture's budgets, sometimes with
// garbage after them: the capture stops reading there (json-capture.ts); the bytes still go on.
const dense = fc.tuple(fc.integer({ min: 40_000, max: 120_000 }), fc.constantFrom('0,', '[', '"\\n",'), fc.boolean()).map(([n, unit, garbage]) =>
  `{"data":[${unit.repeat(n)}0]}${garbage ? '}} not json' : ''}`);
const fileData = fc.record({ path: fc.constantFrom('/tmp/gradio/ab/voice.wav', '../../etc/passwd', 'x.wav'), meta: fc.constant({ _type: 'gradio.FileData' }), orig_name: fc.constantFrom('v.wav', 'a\u0000b') }, { requiredKeys: ['path'] });
const inputValue: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 4, arbitrary: fc.string({ maxLength: 80 }) },
  { weight: 1, arbitrary: fc.integer({ min: 100_000, max: 400_000 }).map((n) => 'long text '.repeat(n / 10)) },
  { weight: 2, arbitrary: fc.oneof(fc.integer(), fc.double(), fc.boolean(), fc.constant(null)) },
  { weight: 2, arbitrary: fileData },
  { weight: 1, arbitrary: fc.constant(`data:audio/wav;base64,${WAV.toString('base64')}`) },
  { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 4 }) },
);
const gradioJson = fc.record({
  data: fc.array(inputValue, { maxLength: 4 }), fn_index: fc.oneof(fc.nat(8), fc.constant(-1), fc.constant(1e9)), session_hash: sessionHash,
  event_data: fc.constant(null), trigger_id: fc.nat(20),
}, { requiredKeys: [] }).map((o) => utf8AsLatin1(JSON.stringify(o)));
const legacyData = fc.record({ data: fc.array(inputValue, { maxLength: 3 }), event_id: eventId, fn_index: fc.nat(3), session_hash: sessionHash })
  .map((o) => utf8AsLatin1(JSON.stringify(o)));

interface BodyPick { readonly body: string; readonly headers: Header[] }
const json = (s: string): BodyPick => ({ body: s, headers: [['Content-Type', 'application/json']] });
const jsonBody: fc.Arbitrary<BodyPick> = fc.oneof(
  { weight: 6, arbitrary: gradioJson.map(json) },
  { weight: 2, arbitrary: deep.map(json) },
  { weight: 1, arbitrary: dense.map(json) },
  { weight: 1, arbitrary: fc.json({ maxDepth: 5 }).map((s) => json(utf8AsLatin1(s))) },
  { weight: 1, arbitrary: gradioJson.map((s) => ({ body: toLatin1(gzipSync(Buffer.from(s, 'latin1'))), headers: [['Content-Type', 'application/json'], ['Content-Encoding', 'gzip']] as Header[] })) },
  { weight: 1, arbitrary: binary(300).map((s) => json(s)) },
  { weight: 1, arbitrary: fc.constant(json('')) },
);

const multipart: fc.Arbitrary<BodyPick> = fc.tuple(token(4, 30), fc.nat(3), fc.constantFrom('ok', 'no-final', 'wrong-boundary', 'garbage-part', 'huge'), fc.constantFrom('audio/wav', 'application/octet-stream', 'text/plain'))
  .map(([boundary, extra, shape, type]) => {
    const b = boundary.replace(/[^A-Za-z0-9'()+_,-./:=?]/g, 'x');
    const file = shape === 'huge' ? Buffer.concat([WAV, Buffer.alloc(600_000, 1)]) : shape === 'garbage-part' ? Buffer.from('\r\n--\r\n--' + b) : WAV;
    const parts = [Buffer.from(`--${b}\r\nContent-Disposition: form-data; name="files"; filename="voice.wav"\r\nContent-Type: ${type}\r\n\r\n`), file, Buffer.from('\r\n')];
    for (let i = 0; i < extra; i++) parts.push(Buffer.from(`--${b}\r\nContent-Disposition: form-data; name="f${i}"\r\n\r\nvalue ${i}\r\n`));
    if (shape !== 'no-final') parts.push(Buffer.from(`--${b}--\r\n`));
    const header = shape === 'wrong-boundary' ? `multipart/form-data; boundary=${b}zz` : `multipart/form-data; boundary=${b}`;
    return { body: toLatin1(Buffer.concat(parts)), headers: [['Content-Type', header]] as Header[] };
  });

// ---- routes -----------------------------------------------------------------------------------

type Family = 'join' | 'call' | 'callv2' | 'callStream' | 'queueData' | 'legacyJoin' | 'legacyData' | 'run' | 'upload' | 'config' | 'info' | 'stream' | 'file' | 'other';

interface RoutePick { readonly family: Family; readonly method: string; readonly target: string; readonly body?: fc.Arbitrary<BodyPick> }

/** Characters a path segment may carry as they are (RFC 3986 pchar). */
const PATH = [...'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~!$&\'()*+,;=:@'];

/** API names, including the encodings that broke decoding and names with control characters. */
const apiName = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom('predict', 'synthesize', 'tts', 'lambda') },
  { weight: 2, arbitrary: fc.constantFrom('%E0', '%E0%A4%A', '%zz', '%', 'a%20b', '%C3%A9t%C3%A9', '%00', '%0A%0D', '..%2F..%2Fconfig', '%FF%FE') },
  { weight: 1, arbitrary: fc.string({ unit: fc.constantFrom(...PATH), minLength: 1, maxLength: 60 }) },
  { weight: 1, arbitrary: fc.integer({ min: 200, max: 3000 }).map((n) => 'n'.repeat(n)) },
);
/** Characters a query may carry as they are (RFC 3986 pchar, "/" and "?"), not "&" and "=". */
const QUERY = [...'abcdefghijklmnopqrstuvwxyz0123456789-._~!$\'()*+,;:@/?'];
const queryPart = (min: number, max: number) => fc.string({ unit: fc.oneof(fc.constantFrom(...QUERY), fc.constantFrom('%20', '%E0', '%25', '%2F')), minLength: min, maxLength: max });
const query = fc.oneof({ weight: 4, arbitrary: fc.constant('') }, { weight: 1, arbitrary: fc.tuple(queryPart(1, 8), queryPart(0, 12)).map(([k, v]) => `?${k}=${v}`) }, { weight: 1, arbitrary: fc.constant('?%E0=%') });
const prefix = fc.constantFrom('/gradio_api', '/gradio_api', '');

const route: fc.Arbitrary<RoutePick> = fc.oneof(
  { weight: 4, arbitrary: fc.tuple(prefix, query).map(([p, q]) => ({ family: 'join' as const, method: 'POST', target: `${p}/queue/join${q}`, body: jsonBody })) },
  { weight: 3, arbitrary: fc.tuple(prefix, sessionHash).map(([p, s]) => ({ family: 'queueData' as const, method: 'GET', target: `${p}/queue/data?session_hash=${encodeURIComponent(s)}` })) },
  { weight: 4, arbitrary: fc.tuple(prefix, apiName).map(([p, n]) => ({ family: 'call' as const, method: 'POST', target: `${p}/call/${n}`, body: jsonBody })) },
  { weight: 1, arbitrary: fc.tuple(prefix, apiName).map(([p, n]) => ({ family: 'callv2' as const, method: 'POST', target: `${p}/call/v2/${n}`, body: jsonBody })) },
  { weight: 3, arbitrary: fc.tuple(prefix, apiName, eventId).map(([p, n, e]) => ({ family: 'callStream' as const, method: 'GET', target: `${p}/call/${n}/${e}` })) },
  { weight: 1, arbitrary: fc.tuple(fc.nat(4), sessionHash).map(([f, s]) => ({ family: 'legacyJoin' as const, method: 'GET', target: `/queue/join?fn_index=${f}&session_hash=${encodeURIComponent(s)}` })) },
  { weight: 1, arbitrary: fc.constant({ family: 'legacyData' as const, method: 'POST', target: '/queue/data', body: legacyData.map(json) }) },
  { weight: 3, arbitrary: fc.tuple(fc.constantFrom('/run', '/api', '/gradio_api/run'), apiName).map(([p, n]) => ({ family: 'run' as const, method: 'POST', target: `${p}/${n}`, body: jsonBody })) },
  { weight: 2, arbitrary: fc.tuple(prefix, fc.constantFrom('', '?upload_id=u1')).map(([p, q]) => ({ family: 'upload' as const, method: 'POST', target: `${p}/upload${q}`, body: multipart })) },
  { weight: 2, arbitrary: fc.constant({ family: 'config' as const, method: 'GET', target: '/config' }) },
  { weight: 1, arbitrary: prefix.map((p) => ({ family: 'info' as const, method: 'GET', target: `${p}/info` })) },
  { weight: 1, arbitrary: fc.tuple(sessionHash, fc.nat(3)).map(([s, r]) => ({ family: 'stream' as const, method: 'GET', target: `/stream/${encodeURIComponent(s)}/${r}/7` })) },
  { weight: 1, arbitrary: fc.constantFrom('/gradio_api/file=/tmp/gradio/ab/voice.wav', '/file=x.wav').map((t) => ({ family: 'file' as const, method: 'GET', target: t })) },
  { weight: 1, arbitrary: fc.constantFrom('/', '/favicon.ico', '/theme.css', '/%E0', '/a/../b', '/?x=%zz', '//double').map((t) => ({ family: 'other' as const, method: 'GET', target: t })) },
);

const OTHER_METHODS = ['GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'HEAD'];

type Special = 'none' | 'options-star' | 'connect' | 'h2c' | 'websocket' | 'no-host' | 'two-hosts' | 'http10' | 'trailers' | 'truncated';
const special: fc.Arbitrary<Special> = fc.oneof(
  { weight: 40, arbitrary: fc.constant('none' as const) },
  { weight: 1, arbitrary: fc.constantFrom('options-star', 'connect', 'h2c', 'websocket', 'no-host', 'two-hosts', 'http10', 'trailers', 'truncated') as fc.Arbitrary<Special> },
);

export const requestArb: fc.Arbitrary<{ request: FuzzRequest; family: Family }> = fc.record({
  route, other: fc.option(fc.constantFrom(...OTHER_METHODS), { freq: 8 }), props: propagation, misc: fc.array(misc, { maxLength: 3 }),
  framing: fc.constantFrom('length', 'length', 'chunked') as fc.Arbitrary<'length' | 'chunked'>, chunks: fc.integer({ min: 1, max: 6 }),
  special, fallbackBody: fc.option(jsonBody, { freq: 6 }),
}).chain((g) => (g.route.body ?? (g.fallbackBody ? fc.constant(g.fallbackBody) : fc.constant(undefined))).map((b) => ({ g, b }))).map(({ g, b }) => {
  let method = g.other ?? g.route.method;
  let target = g.route.target;
  let version: '1.1' | '1.0' = '1.1';
  const headers: Header[] = [['Host', 'fuzz.test']];
  let valid = g.misc.every((m) => m.valid);
  let trailers: Header[] = [];
  let framing: FuzzRequest['framing'] = b ? g.framing : 'none';
  let truncatedBy = 0;
  switch (g.special) {
    case 'options-star': method = 'OPTIONS'; target = '*'; break;
    case 'connect': method = 'CONNECT'; target = 'fuzz.test:443'; framing = 'none'; break;
    case 'h2c': framing = 'none'; headers.push(['Connection', 'Upgrade, HTTP2-Settings'], ['Upgrade', 'h2c'], ['HTTP2-Settings', 'AAMAAABkAARAAAAAAAIAAAAA']); break;
    case 'websocket': method = 'GET'; framing = 'none'; headers.push(['Connection', 'Upgrade'], ['Upgrade', 'websocket'], ['Sec-WebSocket-Version', '13'], ['Sec-WebSocket-Key', 'dGhlIHNhbXBsZSBub25jZQ==']); break;
    case 'no-host': headers.shift(); valid = false; break;
    case 'two-hosts': headers.push(['Host', 'other.test']); break;
    case 'http10': version = '1.0'; if (framing === 'chunked') framing = 'length'; break;
    case 'trailers': if (b) { framing = 'chunked'; trailers = [['X-Checksum', 'abc123']]; } break;
    case 'truncated': if (b) { framing = 'length'; truncatedBy = 5; } break;
  }
  // A protocol switch carries no body: what follows its head belongs to the next protocol.
  const switching = method === 'CONNECT' || g.special === 'h2c' || g.special === 'websocket';
  if (switching) framing = 'none';
  else if (framing === 'none' && b) framing = 'length';
  const body = framing === 'none' ? '' : b?.body ?? '';
  if (b && framing !== 'none') headers.push(...b.headers);
  headers.push(...g.props);
  for (const m of g.misc) headers.push(...m.headers);
  const request: FuzzRequest = { method, target, version, headers, body, framing, chunks: g.chunks, trailers, close: version === '1.0', truncatedBy, valid };
  return { request, family: g.route.family };
});

// ---- the upstream's answers -------------------------------------------------------------------

const sse = (events: string[]) => events.join('');
const dataEvent = (o: unknown) => `data: ${JSON.stringify(o)}\n\n`;
const output = fc.oneof(
  fc.constant({ data: [{ path: '/tmp/gradio/ab/out.wav', url: 'http://fuzz.test/gradio_api/file=/tmp/gradio/ab/out.wav', meta: { _type: 'gradio.FileData' } }], is_generating: false, duration: 0.2 }),
  fc.constant({ data: ['text', 1] }), fc.constant({ error: 'boom' }), fc.constant(null), fc.jsonValue({ maxDepth: 3 }),
);
const queueMsg = fc.tuple(fc.constantFrom('estimation', 'process_starts', 'progress', 'process_generating', 'process_completed', 'heartbeat', 'close_stream', 'send_data', 'unexpected_error', 'queue_full', 'weird'), fc.option(eventId, { freq: 5 }), output, fc.boolean())
  .map(([msg, e, out, success]) => dataEvent({ msg, ...(e ? { event_id: e } : {}), rank: 0, queue_size: 1, output: out, success }));
const callMsg = fc.tuple(fc.constantFrom('generating', 'complete', 'error', 'heartbeat', 'weird'), fc.oneof(fc.constant('["a", {"path": "/tmp/x.wav"}]'), fc.constant('null'), fc.constant('{bad'), value(40)))
  .map(([e, d]) => `event: ${e}\ndata: ${d}\n\n`);
const malformedEvent = fc.oneof(fc.constant('data: {bad json\n\n'), fc.constant(': comment\n\n'), fc.constant('data: {"msg":\r\r'), fc.constant('\n\n\n'), fc.constant('data:'),
  fc.integer({ min: 70_000, max: 200_000 }).map((n) => `data: "${'z'.repeat(n)}"\n\n`), binary(80));
const queueStream = fc.array(fc.oneof({ weight: 5, arbitrary: queueMsg }, { weight: 1, arbitrary: malformedEvent }), { minLength: 1, maxLength: 6 }).map(sse);
const callStream = fc.array(fc.oneof({ weight: 5, arbitrary: callMsg }, { weight: 1, arbitrary: malformedEvent }), { minLength: 1, maxLength: 5 }).map(sse);

const submitted = fc.oneof(
  { weight: 5, arbitrary: eventId.map((e) => JSON.stringify({ event_id: e })) },
  { weight: 1, arbitrary: fc.constantFrom('{}', '{"event_id": 5}', '{"detail":"Not Found"}', '{"event_id": null}', '[') },
);
const configBody = fc.oneof(
  { weight: 4, arbitrary: fc.tuple(fc.constantFrom('4.44.1', '5.4.0', '6.31.0', '3.50.2'), fc.constantFrom('sse_v3', 'sse_v1', 'sse', 'ws'), fc.array(fc.tuple(apiName, fc.constantFrom('textbox', 'audio', 'radio', 'slider')), { maxLength: 3 }))
    .map(([version, protocol, deps]) => JSON.stringify({
      version, protocol, api_prefix: '/gradio_api',
      components: deps.map(([, type], i) => ({ id: i + 1, type, props: { label: `In ${i}`, choices: [['a', 'a']] } })),
      dependencies: deps.map(([name], i) => ({ id: i, api_name: decodeSafe(name), inputs: [i + 1], outputs: [] })),
    })) },
  { weight: 1, arbitrary: deep },
  { weight: 1, arbitrary: fc.json({ maxDepth: 4 }) },
);
const infoBody = fc.oneof(
  { weight: 3, arbitrary: fc.array(apiName, { maxLength: 3 }).map((names) => JSON.stringify({ named_endpoints: Object.fromEntries(names.map((n) => [`/${decodeSafe(n)}`, { parameters: [{ parameter_name: n, label: 'Text' }] }])) })) },
  { weight: 1, arbitrary: deep },
);
function decodeSafe(s: string): string {
  try { return decodeURIComponent(s); } catch { return s; }
}

function bodyFor(family: Family): fc.Arbitrary<{ body: string; type: string }> {
  const j = (a: fc.Arbitrary<string>) => a.map((body) => ({ body: utf8AsLatin1(body), type: 'application/json' }));
  const s = (a: fc.Arbitrary<string>) => a.map((body) => ({ body: utf8AsLatin1(body), type: 'text/event-stream; charset=utf-8' }));
  switch (family) {
    case 'join': case 'call': case 'callv2': return j(submitted);
    case 'queueData': case 'legacyJoin': return s(queueStream);
    case 'callStream': return s(callStream);
    case 'run': return j(fc.oneof({ weight: 3, arbitrary: output.map((o) => JSON.stringify(o)) }, { weight: 1, arbitrary: deep }));
    case 'config': return j(configBody);
    case 'info': return j(infoBody);
    case 'upload': return j(fc.constantFrom('["/tmp/gradio/ab/voice.wav"]', '[]', '{"detail":"x"}', '["a","b","c"]'));
    case 'stream': case 'file': return fc.constant({ body: toLatin1(WAV), type: 'audio/wav' });
    default: return fc.oneof(j(fc.json({ maxDepth: 3 })), binary(200).map((body) => ({ body, type: 'text/html' })));
  }
}

const STATUS = [200, 200, 200, 200, 200, 200, 201, 204, 206, 301, 304, 400, 404, 413, 422, 429, 500, 502, 503];
const REASONS: Record<number, string> = { 200: 'OK', 201: 'Created', 204: 'No Content', 206: 'Partial Content', 301: 'Moved Permanently', 304: 'Not Modified', 400: 'Bad Request', 404: 'Not Found', 413: 'Content Too Large', 422: 'Unprocessable Content', 429: 'Too Many Requests', 500: 'Internal Server Error', 502: 'Bad Gateway', 503: 'Service Unavailable' };
const responseHeader: fc.Arbitrary<Header[]> = fc.oneof(
  fc.constantFrom<Header[]>([['Set-Cookie', 'a=1; Path=/'], ['Set-Cookie', 'b=2; HttpOnly']], [['Cache-Control', 'no-cache']], [['Vary', 'Accept'], ['Vary', 'Origin']],
    [['Content-Range', 'bytes 0-10/5']], [['Accept-Ranges', 'bytes']], [['Connection', 'x-secret'], ['X-Secret', 'hop']], [['Keep-Alive', 'timeout=1']],
    [['X-Trace-Id', 'from-the-app']], [['Content-Encoding', 'identity']], [['Connection', 'close']], [['Trailer', 'X-Checksum']],
    [['Server', 'one'], ['Server', 'two']], [['ETag', '"a"'], ['ETag', '"b"']], [['Location', '/a'], ['Location', '/b']], [['Age', '1'], ['Age', '2']]),
  fc.tuple(token(1, 12), value(40)).map(([n, v]) => [[`X-R-${n}`, v]] as Header[]),
);
const FAULTS: Fault[] = ['reset-before', 'garbage', 'reset-after-headers', 'reset-mid-body', 'short-length', 'long-length', 'endless'];

export function replyArb(family: Family): fc.Arbitrary<Reply> {
  return fc.record({
    status: fc.constantFrom(...STATUS), odd: fc.option(fc.constantFrom('', 'Weird But Fine', 'OK OK'), { freq: 10 }), body: bodyFor(family),
    extra: fc.array(responseHeader, { maxLength: 2 }), gz: fc.nat(9),
    framing: fc.constantFrom<ResponseFraming>('length', 'length', 'chunked', 'chunked', 'eof'), trailers: fc.option(fc.constant([['X-Checksum', 'abc123']] as Header[]), { freq: 6 }),
    pieces: fc.integer({ min: 1, max: 6 }), delayMs: fc.oneof({ weight: 5, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: fc.integer({ min: 1, max: 15 }) }),
    fault: fc.oneof({ weight: 12, arbitrary: fc.constant<Fault>('none') }, { weight: 2, arbitrary: fc.constantFrom(...FAULTS) }),
    garbage: fc.oneof(binary(200), fc.constant('HTTP/1.1 200 OK\r\nContent-Length: abc\r\n\r\n'), fc.constant('HTTP/1.1 999 Nope\r\n\r\n'), fc.constant('HTTP/1.1 200 OK\r\nX: a\x00b\r\n\r\n')),
  }).map((g) => {
    // Endless answers are event streams; everything else keeps the family's body.
    const isStream = g.body.type.startsWith('text/event-stream');
    const framing: ResponseFraming = g.fault === 'endless' ? 'chunked' : g.framing;
    return {
      status: g.fault === 'endless' ? 200 : g.status,
      reason: g.odd ?? REASONS[g.status] ?? 'Whatever',
      headers: [['Content-Type', g.fault === 'endless' && !isStream ? 'text/event-stream' : g.body.type] as Header, ...g.extra.flat()],
      body: g.body.body, gzip: g.gz === 0, framing,
      trailers: framing === 'chunked' ? g.trailers ?? [] : [],
      pieces: g.pieces, delayMs: g.delayMs, fault: g.fault, garbage: g.garbage,
    };
  });
}

export const exchangeArb: fc.Arbitrary<Exchange> = requestArb.chain(({ request, family }) => replyArb(family).map((reply) => ({ request, reply })));

/** Only the last request of a connection may close it, truncate its body, or speak HTTP/1.0. */
function tidy(exchanges: Exchange[], closeLast: boolean): Exchange[] {
  return exchanges.map((x, i) => {
    const last = i === exchanges.length - 1;
    if (last) return closeLast && !x.request.close ? { ...x, request: { ...x.request, close: true } } : x;
    const r = x.request;
    if (!r.close && !r.truncatedBy && r.version === '1.1' && r.method !== 'CONNECT') return x;
    return { ...x, request: { ...r, close: false, truncatedBy: 0, version: '1.1', method: r.method === 'CONNECT' ? 'GET' : r.method, target: r.method === 'CONNECT' ? '/' : r.target } };
  });
}

export const connectionArb: fc.Arbitrary<Connection> = fc.record({
  exchanges: fc.array(exchangeArb, { minLength: 1, maxLength: 4 }), closeLast: fc.boolean(),
  write: fc.constantFrom<Connection['write']>('whole', 'whole', 'per-request', 'trickle'), cuts: fc.array(fc.integer({ min: 0, max: 1000 }), { maxLength: 8 }),
}).map(({ exchanges, closeLast, write, cuts }) => ({ exchanges: tidy(exchanges, closeLast), write, cuts }));

export const caseArb: fc.Arbitrary<FuzzCase> = fc.record({
  connections: fc.array(connectionArb, { minLength: 1, maxLength: 2 }),
  appConfig: replyArb('config'),
  // A websocket in about one case of four, beside the connections (Gradio 3.x's queue).
  websockets: fc.oneof({ weight: 3, arbitrary: fc.constant([]) }, { weight: 1, arbitrary: fc.array(wsSessionArb, { minLength: 1, maxLength: 2 }) }),
});
