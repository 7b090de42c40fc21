import test from 'ava';
import { readFile, mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startProxy } from '../../support/proxy.js';
import { startUpstream } from '../../support/upstream.js';

test('file exporter: the span file is one valid Zipkin v2 JSON array, flushed on SIGTERM', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'spanfile-'));
  const file = join(dir, 'spans.zipkin.json');
  const up = await startUpstream();
  const proxy = await startProxy({ upstream: up.url, env: { OTEL_TRACES_EXPORTER: 'file', TTS_PROXY_SPAN_FILE: file, OTEL_BSP_SCHEDULE_DELAY: '50' } });
  const ids: string[] = [];
  for (let i = 0; i < 5; i++) ids.push(String((await fetch(`${proxy.url}/json`)).headers.get('x-trace-id')));
  t.is(await proxy.stop('SIGTERM'), 0);
  await up.close();
  const spans = JSON.parse(await readFile(file, 'utf8')) as { traceId: string; kind: string; localEndpoint: { serviceName: string } }[];
  t.is(spans.length, 10, 'SERVER and CLIENT span of each request');
  t.deepEqual([...new Set(spans.map((s) => s.traceId))].sort(), ids.sort());
  t.true(spans.every((s) => s.localEndpoint.serviceName === 'tts-trace-proxy-test'));
});
