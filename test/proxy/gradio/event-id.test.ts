import test from 'ava';
import fc from 'fast-check';
import { EventIdAnswer, eventIdOf } from '../../../proxy/src/gradio/event-id.js';

/** What the answer means to JSON itself: the reference the fast path must agree with. */
function reference(parts: readonly Buffer[]): string | undefined {
  try {
    const v: unknown = JSON.parse(Buffer.concat(parts).toString('utf8'));
    const id = v && typeof v === 'object' ? (v as { event_id?: unknown }).event_id : undefined;
    return typeof id === 'string' ? id : undefined;
  } catch {
    return undefined;
  }
}

const agree = (text: string | Buffer, t: { is(a: unknown, b: unknown, m?: string): void }) => {
  const b = typeof text === 'string' ? Buffer.from(text, 'utf8') : text;
  t.is(eventIdOf([b]), reference([b]), JSON.stringify(b.toString('latin1')));
  // However the answer was cut into chunks.
  if (b.length > 2) t.is(eventIdOf([b.subarray(0, 3), b.subarray(3)]), reference([b]));
};

test('the answer Gradio sends gives its event id', (t) => {
  t.is(eventIdOf([Buffer.from('{"event_id":"4e1b2c3d4e5f60718293a4b5c6d7e8f9"}')]), '4e1b2c3d4e5f60718293a4b5c6d7e8f9');
  t.is(eventIdOf([Buffer.from('{"event_id":"ab'), Buffer.from('c"}\n')]), 'abc');
});

test('every other shape reads as JSON reads it', (t) => {
  for (const s of [
    '{"event_id":"a\\u0041"}', '{"event_id":"a\\"b"}', '{"event_id":""}', '{"event_id":"x","event_id":"y"}',
    ' {"event_id":"x"}', '{ "event_id" : "x" }', '{"event_id":"x"} \r\n\t', '{"event_id":"x"}x', '{"event_id":"x"',
    '{"event_id":"é"}', '\ufeff{"event_id":"x"}', '{"event_id":5}', '{"event_id":null}', '{"event_id":"x","other":1}',
    '[{"event_id":"x"}]', '"event_id"', '', '{}', '{"event_id":"tab\there"}', '{"event_id":"\u007f"}',
  ]) agree(s, t);
  agree(Buffer.from([0x7b, 0x22, 0x65, 0xff, 0x7d]), t);
});

test('random answers: the fast path never disagrees with JSON', (t) => {
  const idChars = fc.constantFrom(...'abcXYZ019_-."\\\u00e9\t {}'.split(''));
  const answer = fc.oneof(
    fc.tuple(fc.constantFrom('{"event_id":"', ' {"event_id":"', '{"event_id": "', '{"event_id":"'), fc.array(idChars, { maxLength: 40 }), fc.constantFrom('"}', '"} ', '"}\n', '"', '"}}', '",'))
      .map(([a, b, c]) => a + b.join('') + c),
    fc.json(),
    fc.string(),
  );
  fc.assert(fc.property(answer, (s) => {
    const b = Buffer.from(s, 'utf8');
    return eventIdOf([b]) === reference([b]);
  }), { numRuns: 3000, seed: 20261205 });
  t.pass();
});

test('an answer past the size bound, or none, gives no event id', (t) => {
  const big = new EventIdAnswer(16 * 1024);
  big.feed(Buffer.from('{"event_id":"'));
  big.feed(Buffer.from(`${'a'.repeat(20_000)}"}`));
  t.is(big.eventId(), undefined);
  t.is(new EventIdAnswer().eventId(), undefined);
  const small = new EventIdAnswer();
  small.feed(Buffer.from('{"event_id":"e1"}'));
  t.is(small.eventId(), 'e1');
});
