import test from 'ava';
import fc from 'fast-check';
import type { IncomingHttpHeaders } from 'node:http';
import { stripPrivateHeaders, withoutCookie } from '../../../proxy/src/forwarding/private-headers.js';

test('only the named cookie leaves; the rest stays byte-exact', (t) => {
  t.is(withoutCookie('a=1; tts_route=stable.0; b="x y"', 'tts_route'), 'a=1; b="x y"');
  t.is(withoutCookie('tts_route=stable.0', 'tts_route'), undefined);
  t.is(withoutCookie('tts_route=a.0; tts_route=b.1', 'tts_route'), undefined);
  t.is(withoutCookie('tts_route=stable.0;  theme=dark', 'tts_route'), 'theme=dark');
  t.is(withoutCookie('sid=abc;x=tts_route=1;tts_routex=2', 'tts_route'), 'sid=abc;x=tts_route=1;tts_routex=2');
  t.is(withoutCookie('a=1;;b=2', 'tts_route'), 'a=1;;b=2', 'untouched when the cookie is absent');
});

test('property: removing the pin cookie keeps every other pair as it was', (t) => {
  const pair = fc.tuple(fc.stringMatching(/^[a-z]{1,6}$/), fc.stringMatching(/^[A-Za-z0-9."=_ -]{0,8}$/)).filter(([k]) => k !== 'pin');
  fc.assert(fc.property(fc.array(pair, { maxLength: 6 }), fc.nat(6), (pairs, at) => {
    const others = pairs.map(([k, v]) => `${k}=${v}`);
    const withPin = [...others.slice(0, at), 'pin=x.1', ...others.slice(at)];
    const got = withoutCookie(withPin.join('; '), 'pin');
    return others.length ? got === others.join('; ') : got === undefined;
  }));
  t.pass();
});

test('stripPrivateHeaders removes the proxy\'s own headers and only its cookie', (t) => {
  const names = { headers: ['x-debug-tracing', 'x-canary'], cookie: 'tts_route' };
  const h: IncomingHttpHeaders = { 'x-debug-tracing': 'secret', 'x-canary': 'canary', cookie: 'tts_route=stable.0; a=1', 'x-other': 'kept' };
  stripPrivateHeaders(h, names);
  t.deepEqual(h, { cookie: 'a=1', 'x-other': 'kept' });
  const only: IncomingHttpHeaders = { cookie: 'tts_route=stable.0' };
  stripPrivateHeaders(only, names);
  t.deepEqual(only, {});
  const none: IncomingHttpHeaders = { cookie: 'a=1;  b=2' };
  stripPrivateHeaders(none, names);
  t.deepEqual(none, { cookie: 'a=1;  b=2' });
});
