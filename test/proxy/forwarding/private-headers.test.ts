import test from 'ava';
import fc from 'fast-check';
import { ClientRequest, type IncomingMessage } from 'node:http';
import { makePrivateHeaderStripper, withoutCookie } from '../../../proxy/src/forwarding/private-headers.js';

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

test('the stripper removes the private headers from the outgoing request only', (t) => {
  const strip = makePrivateHeaderStripper({ headers: ['x-debug-tracing', 'x-canary'], cookie: 'tts_route' });
  const proxyReq = new ClientRequest({ host: '127.0.0.1', port: 9, createConnection: () => undefined as never });
  proxyReq.setHeader('X-Debug-Tracing', 'secret');
  proxyReq.setHeader('x-canary', 'canary');
  proxyReq.setHeader('cookie', 'tts_route=stable.0; a=1');
  proxyReq.setHeader('x-other', 'kept');
  const req = { headers: { 'x-debug-tracing': 'secret' } } as unknown as IncomingMessage;
  strip(proxyReq, req);
  t.is(proxyReq.getHeader('x-debug-tracing'), undefined);
  t.is(proxyReq.getHeader('x-canary'), undefined);
  t.is(proxyReq.getHeader('cookie'), 'a=1');
  t.is(proxyReq.getHeader('x-other'), 'kept');
  t.is(req.headers['x-debug-tracing'], 'secret', 'the proxy itself still sees the header');
  proxyReq.destroy();
});
