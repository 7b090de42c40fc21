import test from 'ava';
import { Writable } from 'node:stream';
import { formatRecord, makeLogger } from '../../common/logger.js';

function capture() {
  const lines: string[] = [];
  return { lines, out: new Writable({ write(c, _e, cb) { lines.push(String(c)); cb(); } }) };
}

test('json and logfmt records; undefined fields are left out', (t) => {
  t.is(formatRecord('json', { a: 1, b: undefined, c: 'x y' }), '{"a":1,"c":"x y"}');
  t.is(formatRecord('text', { a: 1, b: undefined, c: 'x y', d: ['p', 'q'], e: '', f: 'k="v"', g: { h: 1 } }), 'a=1 c="x y" d=p,q e="" f="k=\\"v\\"" g="{\\"h\\":1}"');
});

test('the level filters; the format applies', (t) => {
  const c = capture();
  const log = makeLogger('warn', c.out, 'text');
  log.log('info', 'hidden');
  log.log('error', 'shown', { code: 'E1' });
  t.is(c.lines.length, 1);
  t.regex(c.lines[0]!, /^time=\S+ level=error msg=shown code=E1\n$/);
});
