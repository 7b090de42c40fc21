import test from 'ava';
import { parseArgs } from '../../common/cli.js';

test('flags as --name value or --name=value, switches, positional words', (t) => {
  const a = parseArgs(['report', '--since', '1h', '--zipkin=http://z:9411', '--help', 'x']);
  t.deepEqual(a.flags, { '--since': '1h', '--zipkin': 'http://z:9411' });
  t.deepEqual([...a.switches], ['--help']);
  t.deepEqual(a.positional, ['report', 'x']);
  t.throws(() => parseArgs(['--since']), { message: '--since needs a value' });
});

test('a repeatable flag joins its values with ";"; any other repeated flag keeps the last', (t) => {
  const argv = ['--arm', 'a=v1:90:http://a', '--arm', 'b=v2:10:http://b', '--listen', ':1', '--listen', ':2'];
  t.deepEqual(parseArgs(argv, new Set(['--arm'])).flags, { '--arm': 'a=v1:90:http://a;b=v2:10:http://b', '--listen': ':2' });
  t.is(parseArgs(argv).flags['--arm'], 'b=v2:10:http://b');
});
