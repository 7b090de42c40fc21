import test from 'ava';
import { loadConfig, defaultVoicePath } from '../../../upstream-tts/src/config/load.js';

test('defaults: the cached voice, a thread per core, one intra-op thread each, Gradio-like limits', (t) => {
  const c = loadConfig({}, { TTS_TRACE_PROXY_CACHE: '/cache' }, 4);
  t.is(c.voice, '/cache/voices/en_US-joe-medium.onnx');
  t.true(c.voiceIsDefault);
  t.is(c.workers, 4);
  t.is(c.threads, 1);
  t.is(c.concurrency, 4);
  t.is(c.executionProvider, 'auto');
  t.is(c.heartbeatIntervalS, 15);
  t.deepEqual(c.listen, { host: '127.0.0.1', port: 7860 });
  t.is(c.serviceName, 'upstream-tts');
  t.true(Object.isFrozen(c));
  t.is(defaultVoicePath({ TTS_TRACE_PROXY_CACHE: '/x' }), '/x/voices/en_US-joe-medium.onnx');
});

test('flags beat environment beats defaults; computed defaults follow the given values', (t) => {
  const c = loadConfig(
    { '--workers': '1', '--listen': '0.0.0.0:9000', '--voice': '/v/a.onnx' },
    { TTS_WORKER_POOL_SIZE: '3', GRADIO_HEARTBEAT_INTERVAL: '0.5', OTEL_PROPAGATORS: 'b3', TTS_WORKER_EXECUTION_PROVIDER: 'cuda' },
    8,
  );
  t.is(c.workers, 1);
  t.is(c.threads, 8);
  t.is(c.concurrency, 1);
  t.is(c.voice, '/v/a.onnx');
  t.false(c.voiceIsDefault);
  t.is(c.heartbeatIntervalS, 0.5);
  t.deepEqual(c.propagators, ['b3']);
  t.is(c.executionProvider, 'cuda');
  t.deepEqual(c.listen, { host: '0.0.0.0', port: 9000 });
});

test('bad values are refused with the option named', (t) => {
  t.throws(() => loadConfig({ '--workers': '0' }, {}), { message: /--workers.*outside/ });
  t.throws(() => loadConfig({ '--execution-provider': 'tpu' }, {}), { message: /tpu.*auto, cpu, cuda/ });
  t.throws(() => loadConfig({ '--listen': 'nope' }, {}), { message: /host:port/ });
  t.throws(() => loadConfig({ '--bogus': '1' }, {}), { message: /unknown option --bogus/ });
  t.throws(() => loadConfig({}, { OTEL_EXPORTER_ZIPKIN_ENDPOINT: 'ftp://x' }), { message: /http/ });
});
