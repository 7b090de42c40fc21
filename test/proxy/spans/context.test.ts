import test from 'ava';
import fc from 'fast-check';
import { createContextKey, ROOT_CONTEXT, trace, TraceFlags, type Context } from '@opentelemetry/api';
import { ROOT, valueCount } from '../../../proxy/src/spans/context.js';

const KEYS = [createContextKey('a'), createContextKey('b'), createContextKey('c')];

type Op = { readonly kind: 'set'; readonly key: number; readonly value: unknown; readonly from: number } | { readonly kind: 'delete'; readonly key: number; readonly from: number };

const op: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ kind: fc.constant('set' as const), key: fc.nat(2), value: fc.oneof(fc.integer(), fc.constant(undefined), fc.constant(null), fc.string()), from: fc.nat() }),
  fc.record({ kind: fc.constant('delete' as const), key: fc.nat(2), from: fc.nat() }),
);

/** Applies ops, each to an earlier context of the sequence (branches, not just a chain). */
function run(root: Context, ops: readonly Op[]): Context[] {
  const made = [root];
  for (const o of ops) {
    const base = made[o.from % made.length]!;
    made.push(o.kind === 'set' ? base.setValue(KEYS[o.key]!, o.value) : base.deleteValue(KEYS[o.key]!));
  }
  return made;
}

test('property: every context reads as the API\'s own would after the same operations', (t) => {
  fc.assert(fc.property(fc.array(op, { maxLength: 40 }), (ops) => {
    const ours = run(ROOT, ops);
    const api = run(ROOT_CONTEXT, ops);
    for (let i = 0; i < ours.length; i++) {
      for (const k of KEYS) if (!Object.is(ours[i]!.getValue(k), api[i]!.getValue(k))) return false;
    }
    return true;
  }), { numRuns: 500 });
  t.pass();
});

test('contexts are immutable: deriving one leaves its parent as it was', (t) => {
  const a = ROOT.setValue(KEYS[0]!, 1);
  const b = a.setValue(KEYS[0]!, 2);
  const c = b.deleteValue(KEYS[0]!);
  t.is(a.getValue(KEYS[0]!), 1);
  t.is(b.getValue(KEYS[0]!), 2);
  t.is(c.getValue(KEYS[0]!), undefined);
  t.is(ROOT.getValue(KEYS[0]!), undefined);
});

test('a replaced or deleted value is not kept by the new context (a prediction must not hold its request\'s SERVER span)', (t) => {
  const [a, b] = [KEYS[0]!, KEYS[1]!];
  const server = ROOT.setValue(b, 'forced').setValue(a, 'server span');
  const child = server.setValue(a, 'prediction span');
  t.is(valueCount(child), 2, 'b and the new a: the old a is gone from the chain');
  t.is(child.getValue(a), 'prediction span');
  t.is(child.getValue(b), 'forced');
  t.is(valueCount(child.deleteValue(b)), 1);
  t.is(valueCount(ROOT.setValue(a, 1).setValue(b, 2)), 2, 'a new key adds a link');
});

test('replacing the latest value shares the rest of the chain instead of copying it (a prediction\'s context, on every join)', (t) => {
  const [a, b] = [KEYS[0]!, KEYS[1]!];
  const server = ROOT.setValue(b, 'forced').setValue(a, 'server span') as Context & { parent?: Context };
  const child = server.setValue(a, 'prediction span') as Context & { parent?: Context };
  t.is(child.parent, server.parent, 'the link below the replaced one is the same object');
  const deeper = ROOT.setValue(a, 1).setValue(b, 2) as Context & { parent?: Context };
  const rebuilt = deeper.setValue(a, 3) as Context & { parent?: Context };
  t.not(rebuilt.parent, deeper, 'a value below the head is still left out of a rebuilt chain');
  t.is(valueCount(rebuilt), 2);
});

test('the trace API reads and writes spans through it', (t) => {
  const sc = { traceId: 'a'.repeat(32), spanId: 'b'.repeat(16), traceFlags: TraceFlags.SAMPLED, isRemote: true };
  const ctx = trace.setSpanContext(ROOT, sc);
  t.deepEqual(trace.getSpanContext(ctx), sc);
  t.is(trace.getSpan(trace.deleteSpan(ctx)), undefined);
});
