// fast-check arbitraries for websocket sessions: Gradio 3.x's queue protocol on /queue/join
// (the messages both official clients and the server send), framed every way RFC 6455 allows
// and several it does not, compressed (permessage-deflate) or not, and the same bytes on a route
// the proxy does not read.
import fc from 'fast-check';
import type { Header, WsEnd, WsSession } from './model.js';
import { deflateBomb, deflateMessage, frame } from './ws-wire.js';

const TEXT = 1;
const BINARY = 2;
const CONTINUATION = 0;
const CLOSE = 8;
const PING = 9;
const PONG = 10;

const toLatin1 = (b: Buffer) => b.toString('latin1');
const json = (o: unknown) => Buffer.from(JSON.stringify(o));

const sessionHash = fc.constantFrom('s3ss10n', 'abcdef1234', '', '\u0000x', 'h'.repeat(300));
const fnIndex = fc.oneof(fc.nat(4), fc.constant(-1), fc.constant(1e12), fc.constant('0'));
const inputValue: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 4, arbitrary: fc.string({ maxLength: 60 }) },
  { weight: 1, arbitrary: fc.integer({ min: 20_000, max: 200_000 }).map((n) => 'word '.repeat(n / 5)) },
  { weight: 1, arbitrary: fc.record({ path: fc.constantFrom('/tmp/gradio/ab/voice.wav', '../../etc/passwd'), orig_name: fc.constantFrom('v.wav', 'a\u0000b') }) },
  { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 3 }) },
);
const deep = fc.constantFrom(50, 5_000, 30_000).map((d) => Buffer.from('['.repeat(d) + ']'.repeat(d)));

/** What a Gradio 3.x client sends: the hash message, then the inputs when asked. */
const clientMessage: fc.Arbitrary<Buffer> = fc.oneof(
  { weight: 3, arbitrary: fc.tuple(fnIndex, sessionHash).map(([f, s]) => json({ fn_index: f, session_hash: s })) },
  { weight: 4, arbitrary: fc.tuple(fc.array(inputValue, { maxLength: 3 }), fnIndex, sessionHash).map(([data, f, s]) => json({ data, event_data: null, fn_index: f, session_hash: s })) },
  { weight: 1, arbitrary: deep },
  { weight: 1, arbitrary: fc.uint8Array({ maxLength: 120 }).map((a) => Buffer.from(a)) },
  { weight: 1, arbitrary: fc.constantFrom('{"data":', '', 'null', '{"fn_index":0,"session_hash":"s3ss10n"}{"x":1}').map((s) => Buffer.from(s)) },
);

const output = fc.oneof(
  fc.constant({ data: [{ name: '/tmp/gradio/ab/out.wav', is_file: true, data: null }], is_generating: false, duration: 0.4, average_duration: 0.4 }),
  fc.constant({ data: ['text', 1], is_generating: true }), fc.constant({ error: 'boom' }), fc.constant(null), fc.jsonValue({ maxDepth: 3 }),
);
/** What Gradio 3.x's server sends on the queue's websocket. */
const serverMessage: fc.Arbitrary<Buffer> = fc.oneof(
  { weight: 6, arbitrary: fc.tuple(fc.constantFrom('send_hash', 'estimation', 'send_data', 'process_starts', 'process_generating', 'process_completed', 'queue_full', 'unexpected_error', 'weird'), output, fc.boolean())
    .map(([msg, out, success]) => json({ msg, rank: 0, queue_size: 1, rank_eta: 1.5, output: out, success })) },
  { weight: 1, arbitrary: deep },
  { weight: 1, arbitrary: fc.integer({ min: 70_000, max: 300_000 }).map((n) => Buffer.from(`{"msg":"process_completed","output":{"data":["${'z'.repeat(n)}"]}}`)) },
  { weight: 1, arbitrary: fc.constantFrom('{"msg":', 'not json', '{"msg":"estimation"}{"msg":"estimation"}').map((s) => Buffer.from(s)) },
);

/** How one message goes on the wire. */
type Form = 'plain' | 'fragments' | 'fragments-ping' | 'long-length' | 'binary' | 'compressed' | 'compressed-fragments' | 'bad-deflate';
const form: fc.Arbitrary<Form> = fc.oneof(
  { weight: 8, arbitrary: fc.constant('plain' as const) },
  { weight: 1, arbitrary: fc.constantFrom<Form>('fragments', 'fragments-ping', 'long-length', 'binary') },
  { weight: 2, arbitrary: fc.constantFrom<Form>('compressed', 'compressed-fragments', 'bad-deflate') },
);

function pieces(payload: Buffer, n: number): Buffer[] {
  const size = Math.max(1, Math.ceil(payload.length / n));
  const out: Buffer[] = [];
  for (let i = 0; i < payload.length; i += size) out.push(payload.subarray(i, i + size));
  return out.length ? out : [payload];
}

function framed(message: Buffer, f: Form, mask: boolean, parts: number): Buffer {
  const fragments = (payload: Buffer, rsv1: boolean, ping: boolean) => Buffer.concat(pieces(payload, parts).flatMap((p, i, all) => {
    const out = [frame({ payload: p, opcode: i === 0 ? TEXT : CONTINUATION, fin: i === all.length - 1, rsv1: rsv1 && i === 0, mask })];
    if (ping && i < all.length - 1) out.push(frame({ payload: Buffer.from('p'), opcode: PING, mask }));
    return out;
  }));
  switch (f) {
    case 'plain': return frame({ payload: message, opcode: TEXT, mask });
    case 'fragments': return fragments(message, false, false);
    case 'fragments-ping': return fragments(message, false, true);
    case 'long-length': return frame({ payload: message, opcode: TEXT, mask, lengthForm: '64' });
    case 'binary': return frame({ payload: message, opcode: BINARY, mask });
    case 'compressed': return frame({ payload: deflateMessage(message), opcode: TEXT, rsv1: true, mask });
    case 'compressed-fragments': return fragments(deflateMessage(message), true, false);
    case 'bad-deflate': return frame({ payload: Buffer.from([0xff, 0x13, 0x37, ...message.subarray(0, 40)]), opcode: TEXT, rsv1: true, mask });
  }
}

/** Frames no message is made of: control frames, and ones a reader must give up on. */
const oddFrame = (mask: boolean): fc.Arbitrary<Buffer> => fc.oneof(
  fc.constant(frame({ payload: Buffer.from('hi'), opcode: PING, mask })),
  fc.constant(frame({ payload: Buffer.alloc(0), opcode: PONG, mask })),
  fc.constant(frame({ payload: Buffer.from([0x03, 0xe8, 0x62, 0x79, 0x65]), opcode: CLOSE, mask })),
  fc.constant(frame({ payload: Buffer.from('x'), opcode: CONTINUATION, mask })),
  fc.constant(frame({ payload: Buffer.from('{}'), opcode: 3, mask })),
  fc.constant(frame({ payload: Buffer.from('{}'), opcode: TEXT, rsvOther: true, mask })),
  fc.constant(frame({ payload: Buffer.from('{}'), opcode: TEXT, mask: !mask })),
  // A length that claims more than will ever come: the rest of the stream is its payload.
  fc.constantFrom(1n << 62n, 70_000n, (1n << 64n) - 1n).map((claimedLength) => frame({ payload: Buffer.from('{"msg":'), opcode: TEXT, mask, claimedLength })),
  // A flood of one-byte frames (the reader's frame budget).
  fc.integer({ min: 200, max: 4000 }).map((n) => Buffer.concat(Array.from({ length: n }, () => frame({ payload: Buffer.from(' '), opcode: BINARY, mask })))),
  fc.uint8Array({ minLength: 1, maxLength: 64 }).map((a) => Buffer.from(a)),
);

const direction = (messages: fc.Arbitrary<Buffer>, mask: boolean): fc.Arbitrary<string> =>
  fc.array(fc.oneof(
    { weight: 6, arbitrary: fc.tuple(messages, form, fc.integer({ min: 2, max: 5 })).map(([m, f, n]) => framed(m, f, mask, n)) },
    { weight: 1, arbitrary: oddFrame(mask) },
    // A deflate bomb: a small message that inflates past the budget.
    { weight: 1, arbitrary: fc.constant(null).map(() => frame({ payload: deflateBomb(), opcode: TEXT, rsv1: true, mask })) },
  ), { minLength: 0, maxLength: 6 }).map((frames) => toLatin1(Buffer.concat(frames)));

const extensions = fc.constantFrom('', '', 'permessage-deflate', 'permessage-deflate; server_no_context_takeover; client_no_context_takeover', 'permessage-deflate; client_max_window_bits=15', 'x-unknown');
const handshakeHeaders: fc.Arbitrary<Header[]> = fc.oneof(
  fc.constant<Header[]>([]),
  fc.tuple(fc.stringMatching(/^[0-9a-f]{32}$/), fc.stringMatching(/^[0-9a-f]{16}$/)).map(([t, s]) => [['traceparent', `00-${t}-${s}-01`]] as Header[]),
  fc.constant<Header[]>([['b3', 'garbage'], ['Origin', 'http://evil.example']]),
  fc.constant<Header[]>([['Sec-WebSocket-Extensions', 'permessage-deflate; client_max_window_bits'], ['Sec-WebSocket-Protocol', 'chat']]),
);

export const wsSessionArb: fc.Arbitrary<WsSession> = fc.record({
  path: fc.constantFrom('/queue/join', '/queue/join', '/gradio_api/queue/join', '/queue/join?x=%E0', '/other/ws'),
  headers: handshakeHeaders,
  extensions,
  clientBytes: direction(clientMessage, true),
  serverBytes: direction(serverMessage, false),
  eager: fc.boolean(),
  withHead: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 4096 })),
  clientPieces: fc.integer({ min: 1, max: 6 }),
  serverPieces: fc.integer({ min: 1, max: 6 }),
  delayMs: fc.oneof({ weight: 3, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: fc.integer({ min: 1, max: 10 }) }),
  end: fc.constantFrom<WsEnd>('client-end', 'server-end', 'client-reset', 'server-reset'),
});
