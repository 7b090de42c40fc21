import test from 'ava';
import fc from 'fast-check';
import { ArmsError, armFor, parseArms, pickRoute, type CanaryOptions } from '../../proxy/src/canary.js';

const arms = parseArms('stable=v1:90:http://127.0.0.1:7860,http://127.0.0.1:7870;canary=v2:10:http://127.0.0.1:7880');
const o: CanaryOptions = { arms, header: 'x-canary', cookie: 'tts_route', cookieMaxAgeS: 86400 };

test('parses arms with versions, weights and replicas', (t) => {
  t.deepEqual(arms.map((a) => [a.name, a.version, a.weight, a.replicas.map((r) => r.port)]), [
    ['stable', 'v1', 90, ['7860', '7870']], ['canary', 'v2', 10, ['7880']],
  ]);
});

for (const bad of ['stable', 'stable=v1:x:http://a', 'st able=v1:1:http://a', 'a=v1:1:ftp://x', 'a=v1:0:http://a', 'a=v1:1:http://a;a=v2:1:http://b']) {
  test(`rejects "${bad}"`, (t) => {
    t.throws(() => parseArms(bad), { instanceOf: ArmsError });
  });
}

test('the same client always gets the same arm and replica, on any proxy replica', (t) => {
  fc.assert(fc.property(fc.ipV4(), (ip) => {
    const a = pickRoute(o, {}, ip);
    const b = pickRoute({ ...o, arms: parseArms('stable=v1:90:http://127.0.0.1:7860,http://127.0.0.1:7870;canary=v2:10:http://127.0.0.1:7880') }, {}, ip);
    return a.arm.name === b.arm.name && a.replicaIndex === b.replicaIndex && a.reason === 'hash';
  }));
  t.pass();
});

test('the canary share follows the weight', (t) => {
  let canary = 0;
  const n = 20_000;
  for (let i = 0; i < n; i++) if (armFor(arms, `client-${i}`).name === 'canary') canary++;
  t.true(Math.abs(canary / n - 0.1) < 0.01, `${canary / n}`);
});

test('raising the canary weight only moves clients onto the canary', (t) => {
  const wider = parseArms('stable=v1:70:http://127.0.0.1:7860,http://127.0.0.1:7870;canary=v2:30:http://127.0.0.1:7880');
  for (let i = 0; i < 5000; i++) {
    const before = armFor(arms, `c${i}`).name;
    const after = armFor(wider, `c${i}`).name;
    if (before === 'canary') t.is(after, 'canary');
  }
});

test('header override, then the cookie, then the hash', (t) => {
  const hashed = pickRoute(o, {}, '192.0.2.1');
  t.is(hashed.reason, 'hash');
  t.regex(hashed.setCookie!, new RegExp(`^tts_route=${hashed.arm.name}\\.${hashed.replicaIndex}; Path=/; Max-Age=86400; HttpOnly; SameSite=Lax$`));
  const viaCookie = pickRoute(o, { cookie: 'other=1; tts_route=canary.0' }, '192.0.2.1');
  t.deepEqual([viaCookie.arm.name, viaCookie.replicaIndex, viaCookie.reason, viaCookie.setCookie], ['canary', 0, 'cookie', undefined]);
  const forced = pickRoute(o, { 'x-canary': 'stable', cookie: 'tts_route=canary.0' }, '192.0.2.1');
  t.deepEqual([forced.arm.name, forced.reason], ['stable', 'header']);
  // A stale cookie (arm gone, replica index out of range) is replaced.
  t.is(pickRoute(o, { cookie: 'tts_route=canary.5' }, '192.0.2.1').reason, 'hash');
  t.is(pickRoute(o, { cookie: 'tts_route=nope.0' }, '192.0.2.1').reason, 'hash');
  t.is(pickRoute(o, { 'x-canary': 'unknown-arm' }, '192.0.2.1').reason, 'hash');
});

test('an arm with weight 0 is switched off: neither the header nor a pin cookie reaches it', (t) => {
  const dark = parseArms('stable=v1:100:http://127.0.0.1:7860;dark=v2:0:http://127.0.0.1:7890');
  const od: CanaryOptions = { ...o, arms: dark };
  const viaHeader = pickRoute(od, { 'x-canary': 'dark' }, '192.0.2.1');
  const viaCookie = pickRoute(od, { cookie: 'tts_route=dark.0' }, '192.0.2.1');
  t.deepEqual([viaHeader.arm.name, viaHeader.reason], ['stable', 'hash']);
  t.deepEqual([viaCookie.arm.name, viaCookie.reason], ['stable', 'hash']);
  t.regex(viaCookie.setCookie!, /^tts_route=stable\.0;/, 'the stale pin is replaced');
});
