import test from 'ava';
import { EventEmitter } from 'node:events';
import { guard, guardedAsync, guardedListener, guardedMaybeAsync, InjectedFault, installGuard, Site, type GuardSite } from '../../proxy/src/guard.js';

function record(faultInject: string[] = []): GuardSite[] {
  const failures: GuardSite[] = [];
  installGuard({ onFailure: (site) => failures.push(site), faultInject });
  return failures;
}

test.serial('a throw is counted per site and swallowed', (t) => {
  const failures = record();
  t.is(guard(Site.FINISH, () => { throw new Error('boom'); }), undefined);
  t.is(guard(Site.FINISH, () => 42), 42);
  t.deepEqual(failures, [Site.FINISH]);
});

test.serial('guardedAsync never rejects: a synchronous throw and a rejection are both counted', async (t) => {
  const failures = record();
  t.is(await guardedAsync(Site.PREDICTION, () => { throw new Error('sync'); }), undefined);
  t.is(await guardedAsync(Site.PREDICTION, () => Promise.reject(new URIError('URI malformed'))), undefined);
  t.is(await guardedAsync(Site.PREDICTION, async () => 'ok'), 'ok');
  t.deepEqual(failures, [Site.PREDICTION, Site.PREDICTION]);
});

test.serial('a guarded listener cannot throw into the emitter', (t) => {
  const failures = record();
  const e = new EventEmitter();
  guardedListener(e, 'data', Site.DECODER, () => { throw new RangeError('Maximum call stack size exceeded'); });
  t.notThrows(() => e.emit('data', Buffer.alloc(1)));
  t.deepEqual(failures, [Site.DECODER]);
});

test.serial('fault injection throws before the hook runs, only at the named sites (or all)', async (t) => {
  let ran = 0;
  const failures = record([Site.RESPONSE]);
  guard(Site.RESPONSE, () => ran++);
  guard(Site.REQUEST_END, () => ran++);
  t.is(ran, 1);
  t.deepEqual(failures, [Site.RESPONSE]);
  const all: unknown[] = [];
  installGuard({ onFailure: (_s, err) => all.push(err), faultInject: ['all'] });
  await guardedAsync(Site.SETTLED, async () => ran++);
  t.is(ran, 1);
  t.true(all[0] instanceof InjectedFault);
  record();
});

test.serial('guardedMaybeAsync: a hook done now gives nothing to wait for; a promise comes back never rejecting', async (t) => {
  const failures = record();
  t.is(guardedMaybeAsync(Site.SETTLED, () => undefined), undefined);
  t.is(guardedMaybeAsync(Site.SETTLED, () => { throw new Error('sync'); }), undefined);
  let resolved = false;
  const later = guardedMaybeAsync(Site.SETTLED, () => new Promise<void>((r) => setImmediate(() => { resolved = true; r(); })));
  t.true(later instanceof Promise);
  await later;
  t.true(resolved, 'the promise it gives settles after the hook\'s own');
  t.is(await guardedMaybeAsync(Site.SETTLED, () => Promise.reject(new Error('late'))), undefined);
  t.deepEqual(failures, [Site.SETTLED, Site.SETTLED]);
  const injected = record([Site.SETTLED]);
  let ran = false;
  t.is(guardedMaybeAsync(Site.SETTLED, () => { ran = true; }), undefined);
  t.false(ran);
  t.deepEqual(injected, [Site.SETTLED]);
  record();
});

test.serial('a failing failure counter is swallowed too', (t) => {
  installGuard({ onFailure: () => { throw new Error('counter broke'); } });
  t.notThrows(() => guard(Site.FINISH, () => { throw new Error('x'); }));
  record();
});

test.serial('guardObserver: every hook of an observer is guarded, settled never rejects', async (t) => {
  const { guardObserver } = await import('../../proxy/src/observer.js');
  const failures = record();
  const boom = () => { throw new Error('boom'); };
  const obs = guardObserver({
    onRequestChunk: boom, onRequestEnd: boom, onResponse: boom, onResponseChunk: boom, onResponseEnd: boom, onClose: boom,
    settled: () => Promise.reject(new Error('late')),
  });
  t.notThrows(() => { obs.onRequestChunk!(Buffer.alloc(0)); obs.onRequestEnd!(); obs.onResponse!({} as never); obs.onResponseChunk!(Buffer.alloc(0)); obs.onResponseEnd!(); obs.onClose!(false); });
  await t.notThrowsAsync(obs.settled!() as Promise<void>);
  t.deepEqual(failures, [Site.REQUEST_CHUNK, Site.REQUEST_END, Site.RESPONSE, Site.RESPONSE_CHUNK, Site.RESPONSE_END, Site.CLOSE, Site.SETTLED]);
});
