import test from 'ava';
import { OptionError, convertValue, readOptions, traceOptions, type OptionSpec } from '../../../common/config/options.js';
import { OPTIONS as PROXY } from '../../../proxy/src/config/schema.js';
import { OPTIONS as WORKER } from '../../../upstream-tts/src/config/schema.js';

test('the proxy and the worker declare the shared OTEL options once: the same entries, their own service name and log variable', (t) => {
  const shared = traceOptions({ serviceName: 'x', logLevelEnv: 'X' }).map((o) => o.key);
  const pick = (table: readonly OptionSpec[]) => table.filter((o) => shared.includes(o.key)).map((o) => ({ ...o, default: o.key === 'serviceName' ? '' : o.default, env: o.key === 'logLevel' ? '' : o.env }));
  t.deepEqual(pick(PROXY), pick(WORKER));
  t.is(pick(PROXY).length, shared.length);
  t.is(PROXY.find((o) => o.key === 'bspMaxQueueSize')!.default, WORKER.find((o) => o.key === 'bspMaxQueueSize')!.default);
  t.is(PROXY.find((o) => o.key === 'serviceName')!.default, 'tts-trace-proxy');
  t.is(WORKER.find((o) => o.key === 'serviceName')!.default, 'upstream-tts');
  for (const table of [PROXY, WORKER]) t.is(new Set(table.map((o) => o.key)).size, table.length, 'no key declared twice');
});

test('defaults < environment < flags; an empty variable counts as unset; a bad value fails with the program\'s own error', (t) => {
  const table: OptionSpec[] = [
    { key: 'port', type: 'int', flag: '--port', env: 'PORT', default: '1', min: 1, max: 10, description: '' },
    { key: 'attrs', type: 'pairs', env: 'ATTRS', default: '', description: '' },
  ];
  const fail = (m: string) => new RangeError(m);
  t.deepEqual(readOptions(table, {}, {}, { fail }), { port: 1, attrs: {} });
  t.deepEqual(readOptions(table, {}, { PORT: '3', ATTRS: 'a=b%20c' }, { fail }), { port: 3, attrs: { a: 'b c' } });
  t.deepEqual(readOptions(table, { '--port': '4' }, { PORT: '3' }, { fail }).port, 4);
  t.deepEqual(readOptions(table, {}, { PORT: '' }, { fail }).port, 1);
  t.throws(() => readOptions(table, { '--port': '11' }, {}, { fail }), { instanceOf: RangeError, message: '--port / PORT: 11 is outside [1, 10]' });
  t.throws(() => readOptions(table, { '--nope': '1' }, {}, { fail }), { instanceOf: RangeError, message: 'unknown option --nope (see --help)' });
  t.throws(() => convertValue({ type: 'pairs', env: 'ATTRS' }, 'novalue'), { instanceOf: OptionError });
});
