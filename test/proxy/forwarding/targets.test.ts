import test from 'ava';
import { parse } from 'node:url';
import { Targets, toTarget } from '../../../proxy/src/forwarding/targets.js';

// http-proxy parsed a string target with url.parse for every request; the object made once must
// carry the same fields it reads.
test('a target object has the fields url.parse gave http-proxy', (t) => {
  for (const href of ['http://127.0.0.1:7860/', 'http://app:7860/prefix/', 'https://tts.example/', 'http://[::1]:8080/', 'http://app/a?b=1']) {
    const legacy = parse(href);
    const mine = toTarget(new URL(href));
    for (const k of ['protocol', 'host', 'hostname', 'port', 'path', 'pathname'] as const) {
      t.is(mine[k] ?? '', legacy[k] ?? '', `${href} ${k}`);
    }
  }
});

test('one frozen object per replica', (t) => {
  const a = new URL('http://127.0.0.1:7860/');
  const targets = new Targets([a]);
  t.is(targets.of(new URL(a.href)), targets.of(a));
  t.true(Object.isFrozen(targets.of(a)));
});
