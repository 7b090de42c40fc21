import test from 'ava';
import fc from 'fast-check';
import type { IncomingMessage } from 'node:http';
import { makeClientAddress, parseTrustedProxies, TrustedProxiesError } from '../../proxy/src/client-address.js';

const req = (peer: string | undefined, xff?: string | string[]) =>
  ({ socket: { remoteAddress: peer }, headers: xff === undefined ? {} : { 'x-forwarded-for': xff } }) as unknown as IncomingMessage;

const loopback = makeClientAddress(parseTrustedProxies('127.0.0.0/8,::1'));

test('parses addresses and CIDR ranges; refuses anything else', (t) => {
  t.deepEqual(parseTrustedProxies(' 10.0.0.0/8, ::1 ,192.0.2.7,fd00::/8'), ['10.0.0.0/8', '::1', '192.0.2.7', 'fd00::/8']);
  t.deepEqual(parseTrustedProxies(''), []);
  for (const bad of ['10.0.0.0/33', 'fd00::/129', 'nginx', '10.0.0/8', '10.0.0.0/8/1', '10.0.0.0/x', '*']) {
    t.throws(() => parseTrustedProxies(bad), { instanceOf: TrustedProxiesError }, bad);
  }
});

test('an untrusted peer is the client, whatever X-Forwarded-For says', (t) => {
  t.is(loopback(req('203.0.113.9', '198.51.100.1')), '203.0.113.9');
  t.is(makeClientAddress([])(req('127.0.0.1', '198.51.100.1')), '127.0.0.1', 'nothing trusted: nothing believed');
});

test('through trusted hops: the rightmost address that is not trusted', (t) => {
  const two = makeClientAddress(parseTrustedProxies('127.0.0.1,10.0.0.0/8'));
  t.is(two(req('127.0.0.1', '6.6.6.6, 198.51.100.1, 10.0.0.3')), '198.51.100.1');
  t.is(two(req('127.0.0.1', ['6.6.6.6', '198.51.100.1, 10.0.0.3'])), '198.51.100.1', 'repeated headers are one list');
  t.is(two(req('127.0.0.1', '10.0.0.2, 10.0.0.3')), '10.0.0.2', 'all trusted: the leftmost');
  t.is(two(req('127.0.0.1')), '127.0.0.1', 'no header: the peer');
  t.is(two(req('127.0.0.1', 'garbage, 10.0.0.3')), '10.0.0.3', 'junk stops the walk at the last hop vouched for');
  t.is(two(req('::ffff:127.0.0.1', '198.51.100.1')), '198.51.100.1', 'IPv4-mapped peers match IPv4 ranges');
  t.is(loopback(req('::1', '[2001:db8::1]')), '2001:db8::1');
});

test('property: a client behind trusted hops cannot be impersonated by anything it prepends', (t) => {
  const trusted = makeClientAddress(parseTrustedProxies('127.0.0.0/8,10.0.0.0/8'));
  fc.assert(fc.property(
    fc.array(fc.oneof(fc.ipV4(), fc.string({ maxLength: 12 }).map((s) => s.replace(/,/g, ''))), { maxLength: 5 }),
    fc.ipV4().filter((ip) => !ip.startsWith('10.') && !ip.startsWith('127.')),
    fc.array(fc.integer({ min: 0, max: 255 }).map((n) => `10.0.0.${n}`), { maxLength: 3 }),
    (spoofed, client, hops) => trusted(req('127.0.0.1', [...spoofed, client, ...hops].join(', '))) === client,
  ));
  t.pass();
});

test('trust answers are remembered, and stay right past the memory bound', (t) => {
  const two = makeClientAddress(parseTrustedProxies('127.0.0.1,10.0.0.0/8'));
  for (let round = 0; round < 2; round++) {
    // Many more distinct hops than the memory holds, each judged as the list says.
    for (let i = 0; i < 3000; i++) {
      const hop = `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`;
      const stranger = `198.51.${(i >> 8) & 255}.${i & 255}`;
      if (two(req('127.0.0.1', `${stranger}, ${hop}`)) !== stranger) return t.fail(`hop ${hop} not trusted (round ${round})`);
      if (two(req(stranger, '10.0.0.1')) !== stranger) return t.fail(`peer ${stranger} trusted (round ${round})`);
    }
  }
  t.is(two(req('127.0.0.1', '192.0.2.1')), '192.0.2.1');
});
