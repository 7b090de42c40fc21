// OTLP to a real Jaeger (issue 12): the proxy exports each span to Zipkin and, over OTLP/HTTP in
// protobuf or JSON, to Jaeger v2 at the same time; read back through Jaeger's query API, every
// trace is the same tree as in Zipkin: the same span ids, parents, names, times, tags, status and
// events. Operators whose stack already runs Jaeger get what the Zipkin users get.
import { Client } from '@gradio/client';
import test, { type ExecutionContext } from 'ava';
import { fileURLToPath } from 'node:url';
import { startGradioApp, type RunningGradioApp } from '../support/gradio.js';
import { startJaeger, type JaegerSpan, type RunningJaeger } from '../support/jaeger.js';
import { burst } from '../support/load.js';
import { accessLog, startProxy, type RunningProxy } from '../support/proxy.js';
import { startTestApp, type TestApp } from '../support/test-app.js';
import { getTrace, zipkinUrl, type ZipkinSpan } from '../support/zipkin.js';

const ECHO_APP = fileURLToPath(new URL('../../../test/apps/echo_app.py', import.meta.url));

let app: TestApp;
let gradio: RunningGradioApp;
let jaeger: RunningJaeger;
const proxies: RunningProxy[] = [];
test.before(async () => {
  [app, gradio, jaeger] = await Promise.all([startTestApp(), startGradioApp(ECHO_APP), startJaeger()]);
});
test.after.always(async () => {
  await Promise.all(proxies.map((p) => p.stop()));
  await jaeger?.stop();
  await gradio?.stop();
  await app?.close();
});

const RESOURCE_KEYS = /^(service\.|telemetry\.|host\.|process\.|os\.)/;
const str = (v: unknown) => (typeof v === 'string' ? v : JSON.stringify(v));

/** Zipkin's annotation `name|{attributes}|dropped` (or a bare name) as [name, attributes]. */
function annotation(value: string): [string, Record<string, string>] {
  const m = /^([^|]*)\|(\{.*\})\|\d+$/.exec(value);
  if (!m) return [value, {}];
  return [m[1]!, Object.fromEntries(Object.entries(JSON.parse(m[2]!) as Record<string, unknown>).map(([k, v]) => [k, String(v)]))];
}

function sameTree(t: ExecutionContext, z: ZipkinSpan[], j: JaegerSpan[], what: string): void {
  t.deepEqual(j.map((s) => s.spanID).sort(), z.map((s) => s.id).sort(), `${what}: the same spans`);
  for (const zs of z) {
    const js = j.find((s) => s.spanID === zs.id);
    if (!js) continue;
    const where = `${what}: ${zs.name}`;
    t.is(js.references.find((r) => r.refType === 'CHILD_OF')?.spanID, zs.parentId, `${where} parent`);
    t.is(js.operationName.toLowerCase(), zs.name ?? '', `${where} name`);
    t.true(Math.abs(js.startTime - zs.timestamp!) <= 1, `${where} start ${js.startTime} vs ${zs.timestamp}`);
    t.true(Math.abs(js.duration - zs.duration!) <= 2, `${where} duration ${js.duration} vs ${zs.duration}`);
    const tags: Record<string, string> = Object.fromEntries(js.tags.map((x) => [x.key, String(x.value)]));
    const kind = tags['span.kind'];
    t.is(String(kind?.toUpperCase()), String(zs.kind ?? (kind ? 'INTERNAL' : undefined)), `${where} kind`);
    for (const [k, v] of Object.entries(zs.tags ?? {})) {
      if (RESOURCE_KEYS.test(k) || k === 'error') continue;
      t.is(tags[k], v, `${where} tag ${k}`);
    }
    if (zs.tags?.['otel.status_code'] === 'ERROR') t.is(tags.error, 'true', `${where} error flag`);
    const zEvents = (zs.annotations ?? []).map((a) => [a.timestamp, ...annotation(a.value)] as const);
    const jEvents = js.logs.map((l) => {
      const f = Object.fromEntries(l.fields.map((x) => [x.key, str(x.value)]));
      const { event, ...attrs } = f;
      return [l.timestamp, event ?? '', attrs] as const;
    });
    t.is(jEvents.length, zEvents.length, `${where} events`);
    for (const [i, [ts, name, attrs]] of zEvents.entries()) {
      t.true(Math.abs(jEvents[i]![0] - ts) <= 1, `${where} event ${name} time`);
      t.is(jEvents[i]![1], name, `${where} event name`);
      t.deepEqual(jEvents[i]![2], attrs, `${where} event ${name} attributes`);
    }
  }
}

for (const protocol of ['http/protobuf', 'http/json'] as const) {
  test(`OTLP ${protocol}${protocol === 'http/protobuf' ? ' (gzip)' : ''} to Jaeger: plain requests, an app error and a Gradio prediction are the same trees as in Zipkin`, async (t) => {
    t.timeout(3 * 60_000);
    const service = `jaeger-e2e-${protocol.slice(5)}`;
    const env = {
      OTEL_SERVICE_NAME: service, OTEL_TRACES_EXPORTER: 'zipkin,otlp', OTEL_EXPORTER_OTLP_ENDPOINT: jaeger.otlpUrl,
      OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: protocol,
      // Protobuf goes gzip-compressed (OTEL_EXPORTER_OTLP_COMPRESSION), JSON as is: Jaeger reads both.
      OTEL_EXPORTER_OTLP_COMPRESSION: protocol === 'http/protobuf' ? 'gzip' : 'none',
    };
    const plain = await startProxy({ upstream: app.url, zipkinUrl: await zipkinUrl(), env });
    const onGradio = await startProxy({ upstream: gradio.url, zipkinUrl: await zipkinUrl(), env });
    proxies.push(plain, onGradio);
    const samples = await burst(plain.url, 6, 2, (i) => ({ path: i === 3 ? '/tts?status=500' : '/tts' }));
    const client = await Client.connect(onGradio.url);
    await client.predict('/slow_count', { text: 'n' });
    client.close?.();
    const join = () => accessLog(onGradio).find((l) => /\/queue\/join$/.test(String(l.route)));
    for (let i = 0; i < 50 && !join(); i++) await new Promise((r) => setTimeout(r, 100));
    const traces: [string, number][] = [...samples.map((s) => [s.traceId!, 2] as [string, number]), [String(join()!.trace_id), 5]];
    for (const [id, n] of traces) {
      const z = await getTrace(id, { minSpans: n });
      const j = await jaeger.trace(id, z.length);
      sameTree(t, z, j, `${protocol} trace ${id}`);
    }
    const zipkinPredict = (await getTrace(String(join()!.trace_id))).find((s) => s.name === 'gradio.predict /slow_count');
    t.true((zipkinPredict?.annotations?.length ?? 0) > 0, 'the prediction has events to compare');
  });
}
