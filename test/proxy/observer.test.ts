// guardObserver (observer.ts): every hook of an observer runs under the guard, at its own site,
// with its own `this` and argument; a hook the observer lacks stays absent (the lifecycle reads
// presence: it listens for a request's end only when someone wants it); settled never rejects.
import test from 'ava';
import { installGuard, Site, type GuardSite } from '../../proxy/src/guard.js';
import { guardObserver, type Observer } from '../../proxy/src/observer.js';

function record(faultInject: string[] = []): GuardSite[] {
  const failures: GuardSite[] = [];
  installGuard({ onFailure: (site) => failures.push(site), faultInject });
  return failures;
}

class Throwing implements Observer {
  seen: unknown[] = [];
  onRequestChunk(c: Buffer) { this.seen.push(c.length); throw new Error('chunk'); }
  onResponse(res: unknown) { this.seen.push(res); throw new TypeError('response'); }
  onClose(aborted: boolean) { this.seen.push(aborted); throw new RangeError('close'); }
  settled(): Promise<void> { return Promise.reject(new Error('settled')); }
}

test.serial('each hook runs with its observer and argument; a throw is counted at its site and swallowed', async (t) => {
  const failures = record();
  const inner = new Throwing();
  const o = guardObserver(inner);
  t.notThrows(() => o.onRequestChunk!(Buffer.alloc(3)));
  t.notThrows(() => o.onResponse!({ statusCode: 200 } as never));
  t.notThrows(() => o.onClose!(true));
  t.is(await o.settled!(), undefined);
  t.deepEqual(inner.seen, [3, { statusCode: 200 }, true]);
  t.deepEqual(failures, [Site.REQUEST_CHUNK, Site.RESPONSE, Site.CLOSE, Site.SETTLED]);
});

test.serial('a hook the observer lacks is absent from the guarded one', (t) => {
  record();
  const o = guardObserver({ onResponseEnd() {} });
  t.is(typeof o.onResponseEnd, 'function');
  for (const k of ['onRequestChunk', 'onRequestEnd', 'onResponse', 'onResponseChunk', 'onClose', 'settled'] as const) t.falsy(o[k], k);
});

test.serial('an injected fault stops the hook at its site only', (t) => {
  const failures = record([Site.RESPONSE_CHUNK]);
  const calls: string[] = [];
  const o = guardObserver({ onResponseChunk: () => calls.push('chunk'), onResponseEnd: () => calls.push('end') });
  o.onResponseChunk!(Buffer.alloc(1));
  o.onResponseEnd!();
  t.deepEqual(calls, ['end']);
  t.deepEqual(failures, [Site.RESPONSE_CHUNK]);
  record();
});
