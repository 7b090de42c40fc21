import test from 'ava';
import fc from 'fast-check';
import { OpenBatch, type Pieces } from '../../../proxy/src/export/open-batch.js';

// A framing unlike JSON's on purpose: the batch must use the codec's bytes, not assume `[`, `,`, `]`.
const pieces: Pieces<string> = {
  encodeInto: (out, s) => {
    if (s === 'boom') {
      out.text('half-writ');
      throw new Error('cannot encode');
    }
    out.text(s);
  },
  frame: { open: Buffer.from('<'), separator: Buffer.from('|'), close: Buffer.from('>') },
};
const text = (b: Uint8Array) => Buffer.from(b).toString('utf8');

test('a batch is the framing around its pieces, in the order they came', (t) => {
  const b = new OpenBatch(pieces);
  t.is(b.spans, 0);
  t.true(b.add('a'));
  t.true(b.add('bé'));
  t.true(b.add('c'));
  t.is(b.spans, 3);
  t.is(text(b.close()), '<a|bé|c>');
  t.is(b.spans, 0, 'closing empties it');
  t.is(text(b.close()), '<>', 'an empty batch is the framing alone');
  b.add('d');
  t.is(text(b.close()), '<d>', 'and it fills again from nothing');
});

test('a piece that fails to encode leaves nothing behind and is not counted', (t) => {
  const b = new OpenBatch(pieces);
  t.false(b.add('boom'));
  t.true(b.add('a'));
  t.false(b.add('boom'));
  t.true(b.add('b'));
  t.is(b.spans, 2);
  t.is(text(b.close()), '<a|b>');
});

test('dropping the oldest pieces keeps the newest, framed as before', (t) => {
  const b = new OpenBatch(pieces);
  for (const s of ['a', 'bb', 'ccc', 'dddd']) b.add(s);
  b.dropOldest(0);
  t.is(b.spans, 4);
  b.dropOldest(2);
  t.is(b.spans, 2);
  b.add('e');
  t.is(text(b.close()), '<ccc|dddd|e>');
  b.add('x');
  b.dropOldest(5);
  t.is(b.spans, 0, 'more than it holds drops them all');
  t.is(text(b.close()), '<>');
  b.add('y');
  b.clear();
  t.is(b.spans, 0);
  b.add('z');
  t.is(text(b.close()), '<z>', 'cleared, it starts afresh, framing and all');
});

test('property: whatever is added, dropped and closed, a batch equals the framing of what is left', (t) => {
  const op = fc.oneof(
    fc.record({ add: fc.oneof(fc.string({ maxLength: 40 }), fc.constant('boom')) }),
    fc.record({ drop: fc.nat(6) }),
    fc.constant({ close: true as const }),
    fc.constant({ clear: true as const }),
  );
  fc.assert(fc.property(fc.array(op, { maxLength: 60 }), (ops) => {
    const b = new OpenBatch(pieces, 16);
    let model: string[] = [];
    for (const o of ops) {
      if ('add' in o) {
        if (b.add(o.add) !== (o.add !== 'boom')) return false;
        if (o.add !== 'boom') model.push(o.add);
      } else if ('drop' in o) {
        b.dropOldest(o.drop);
        model = model.slice(Math.min(o.drop, model.length));
      } else if ('clear' in o) {
        b.clear();
        model = [];
      } else {
        if (text(b.close()) !== `<${model.join('|')}>`) return false;
        model = [];
      }
      if (b.spans !== model.length) return false;
    }
    return text(b.close()) === `<${model.join('|')}>`;
  }), { numRuns: 300 });
  t.pass();
});
