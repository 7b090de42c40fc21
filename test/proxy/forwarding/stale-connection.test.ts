import test from 'ava';
import type { ClientRequest, IncomingMessage } from 'node:http';
import { StaleConnectionRetry } from '../../../proxy/src/forwarding/stale-connection.js';

const bodyless = { headers: {} } as IncomingMessage;
const withBody = { headers: { 'content-length': '5' } } as unknown as IncomingMessage;
const upstream = (o: { reused?: boolean; answered?: boolean } = {}) =>
  ({ reusedSocket: o.reused ?? true, res: o.answered ? {} : undefined }) as unknown as ClientRequest;
const reset = Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' });

test('a bodiless request cut on a reused connection before any answer is sent once more, and only once', (t) => {
  const tries = new StaleConnectionRetry();
  tries.sent(upstream());
  t.true(tries.retry(bodyless, reset));
  tries.sent(upstream());
  t.false(tries.retry(bodyless, reset), 'the second failure is answered');
});

test('each request has its own tries: one request retrying does not use up another\'s', (t) => {
  const a = new StaleConnectionRetry();
  const b = new StaleConnectionRetry();
  a.sent(upstream());
  b.sent(upstream());
  t.true(a.retry(bodyless, reset));
  t.true(b.retry(bodyless, reset));
});

test('no retry for a body, a fresh connection, an answer already begun, other errors, or nothing sent', (t) => {
  const cases: [string, () => boolean][] = [
    ['body', () => { const r = new StaleConnectionRetry(); r.sent(upstream()); return r.retry(withBody, reset); }],
    ['fresh connection', () => { const r = new StaleConnectionRetry(); r.sent(upstream({ reused: false })); return r.retry(bodyless, reset); }],
    ['answered', () => { const r = new StaleConnectionRetry(); r.sent(upstream({ answered: true })); return r.retry(bodyless, reset); }],
    ['timeout', () => { const r = new StaleConnectionRetry(); r.sent(upstream()); return r.retry(bodyless, Object.assign(new Error('t'), { code: 'ETIMEDOUT' })); }],
    ['nothing sent', () => new StaleConnectionRetry().retry(bodyless, reset)],
  ];
  for (const [name, run] of cases) t.false(run(), name);
});
