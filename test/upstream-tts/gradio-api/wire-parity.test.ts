// The worker against a real Gradio 6 app with the same signature (reference_app.py, from PyPI's
// gradio via scripts/setup-gradio.sh): the same requests, compared shape for shape. What Gradio
// answers is the specification; docs/upstream-tts.md lists what is matched and what is not.
import test from 'ava';
import { join } from 'node:path';
import { startGradioApp, type RunningGradioApp } from '../../support/gradio.js';
import { fetchResending } from '../../support/fetch.js';
import { repoRoot } from '../../support/proc.js';
import { messages, postJson, readSse, startWorker, type RunningWorker } from '../helpers.js';

let gradio: RunningGradioApp;
let worker: RunningWorker;

test.before(async () => {
  [gradio, worker] = await Promise.all([
    startGradioApp(join(repoRoot, 'test', 'upstream-tts', 'reference_app.py')),
    startWorker(),
  ]);
});
test.after.always(async () => {
  await Promise.all([gradio?.stop(), worker?.stop()]);
});

const both = <T>(f: (base: string) => Promise<T>): Promise<[T, T]> => Promise.all([f(gradio.url), f(worker.url)]);
const keys = (o: unknown): string[] => Object.keys(o as object).sort();
const getJson = async (url: string): Promise<any> => (await fetchResending(url)).json();

test('/config: same keys, protocol, prefix, components and the dependency the clients read', async (t) => {
  const [ref, ours] = await both((b) => getJson(`${b}/config`));
  t.deepEqual(keys(ours), keys(ref));
  for (const k of ['protocol', 'api_prefix', 'mode', 'enable_queue', 'connect_heartbeat', 'max_file_size', 'pages']) t.deepEqual(ours[k], ref[k], k);
  t.regex(ours.version, /^6\./);
  t.deepEqual(ours.components.map((c: any) => [c.id, c.type, c.skip_api]), ref.components.map((c: any) => [c.id, c.type, c.skip_api]));
  for (const [i, c] of ref.components.entries()) {
    const mine = ours.components[i];
    t.deepEqual(keys(mine), keys(c), `component ${c.id} keys`);
    for (const p of ['label', 'minimum', 'maximum', 'step', 'type', 'value'].filter((p) => p in c.props && c.type !== 'button')) {
      t.deepEqual(mine.props[p], c.props[p], `component ${c.id} ${p}`);
    }
    if (c.api_info) {
      const strip = ({ additional_description: _d, ...rest }: any) => rest;
      t.deepEqual(strip(mine.api_info), strip(c.api_info), `component ${c.id} api_info`);
    }
  }
  const [dep] = ours.dependencies;
  const [refDep] = ref.dependencies;
  t.deepEqual(keys(dep), keys(refDep));
  for (const k of ['id', 'targets', 'inputs', 'outputs', 'backend_fn', 'queue', 'api_name', 'types', 'api_visibility', 'connection', 'trigger_mode', 'batch']) {
    t.deepEqual(dep[k], refDep[k], `dependency ${k}`);
  }
  t.deepEqual(ours.layout, ref.layout);
});

test('/gradio_api/info: identical parameters and return type', async (t) => {
  const [ref, ours] = await both((b) => getJson(`${b}/gradio_api/info`));
  const a = ours.named_endpoints['/synthesize'];
  const b = ref.named_endpoints['/synthesize'];
  t.deepEqual(keys(a), keys(b));
  t.deepEqual(a.parameters, b.parameters);
  const strip = ({ additional_description: _d, ...rest }: any) => rest;
  t.deepEqual({ ...a.returns[0], type: strip(a.returns[0].type) }, { ...b.returns[0], type: strip(b.returns[0].type) });
  t.deepEqual(ours.unnamed_endpoints, ref.unnamed_endpoints);
});

/** Message types and, per type, the field names; FileData field names; diff-edit shapes. */
function shape(msgs: Record<string, any>[]) {
  const fileKeys = (v: any) => (v && typeof v === 'object' && !Array.isArray(v) ? keys(v) : Array.isArray(v) ? v.map((e: any) => [e[0], e[1]]) : v);
  // Both re-send `estimation` while other events move through the queue (the tests in this file
  // run concurrently), so how many arrive varies: only the first is compared.
  const firstEstimation = msgs.findIndex((m) => m.msg === 'estimation');
  return msgs.filter((m, i) => m.msg !== 'heartbeat' && (m.msg !== 'estimation' || i === firstEstimation)).map((m) => ({
    msg: m.msg,
    keys: keys(m),
    output: m.output ? keys(m.output) : undefined,
    data: m.output?.data?.map(fileKeys),
    eventId: typeof m.event_id,
  }));
}

test('queue/join + queue/data for three sentences: the same messages, fields, FileData and diff edits', async (t) => {
  const text = 'One sentence. Two sentences! Three?';
  const [ref, ours] = await both(async (base) => {
    const session = `parity${Math.random().toString(36).slice(2)}`;
    const join = await postJson(`${base}/gradio_api/queue/join`, { data: [text, 1, 0, 0], event_data: null, fn_index: 0, trigger_id: 6, session_hash: session });
    const { frames } = await readSse(`${base}/gradio_api/queue/data?session_hash=${session}`);
    return { join, msgs: messages(frames) };
  });
  t.deepEqual(keys(ours.join.body), keys(ref.join.body));
  t.is(ours.join.status, ref.join.status);
  const a = shape(ours.msgs);
  const b = shape(ref.msgs);
  // Gradio's app yields each sentence's file and then the whole one; the worker yields one per
  // sentence: three process_generating either way, and edits replace path and url (Gradio's
  // also replace orig_name, which is a temp file name there and always audio.wav here).
  const dropOrigName = (s: ReturnType<typeof shape>) => s.map((m) => ({ ...m, data: Array.isArray(m.data?.[0]) ? [m.data[0].filter((e: any) => e[1][0] !== 'orig_name')] : m.data }));
  t.deepEqual(dropOrigName(a), dropOrigName(b));
});

test('a gr.Error-style failure: the same process_completed payload and the same call/ error event', async (t) => {
  const [ref, ours] = await both(async (base) => {
    const session = `err${Math.random().toString(36).slice(2)}`;
    await postJson(`${base}/gradio_api/queue/join`, { data: ['   ', 1, 0, 0], fn_index: 0, session_hash: session });
    const queued = messages((await readSse(`${base}/gradio_api/queue/data?session_hash=${session}`)).frames).find((m) => m.msg === 'process_completed');
    const post = await postJson(`${base}/gradio_api/call/synthesize`, { data: ['   ', 1, 0, 0] });
    const call = (await readSse(`${base}/gradio_api/call/synthesize/${post.body.event_id}`)).frames.filter((f) => f.event !== 'heartbeat');
    return { queued, call };
  });
  t.deepEqual(ours.queued, { ...ref.queued, event_id: ours.queued!.event_id });
  t.deepEqual(ours.call.map((f) => [f.event, f.data]), ref.call.map((f) => [f.event, f.data]));
});

test('call/: the same event names and the same json.dumps formatting', async (t) => {
  const [ref, ours] = await both(async (base) => {
    const post = await postJson(`${base}/gradio_api/call/synthesize`, { data: ['First. Second.', 1, 0, 0] });
    const { frames, headers } = await readSse(`${base}/gradio_api/call/synthesize/${post.body.event_id}`);
    return { post, frames: frames.filter((f) => f.event !== 'heartbeat'), type: headers.get('content-type') };
  });
  t.deepEqual(keys(ours.post.body), keys(ref.post.body));
  t.is(ours.type, ref.type);
  t.deepEqual(ours.frames.map((f) => f.event), ref.frames.map((f) => f.event));
  for (const [i, f] of ref.frames.entries()) {
    t.true(f.data.startsWith('[{"path": "') && ours.frames[i]!.data.startsWith('[{"path": "'));
    t.deepEqual(keys(JSON.parse(ours.frames[i]!.data)[0]), keys(JSON.parse(f.data)[0]));
  }
});

test('file=: the same status codes and range headers; the same 403 body shape', async (t) => {
  const [ref, ours] = await both(async (base) => {
    const post = await postJson(`${base}/gradio_api/call/synthesize`, { data: ['File.', 1, 0, 0] });
    const { frames } = await readSse(`${base}/gradio_api/call/synthesize/${post.body.event_id}`);
    const url = JSON.parse(frames.find((f) => f.event === 'complete')!.data)[0].url as string;
    const whole = await fetchResending(url);
    const size = (await whole.arrayBuffer()).byteLength;
    const range = await fetchResending(url, { headers: { range: 'bytes=10-' } });
    await range.arrayBuffer();
    const past = await fetchResending(url, { headers: { range: `bytes=${size}-` } });
    await past.arrayBuffer();
    const forbidden = await fetchResending(`${base}/gradio_api/file=/etc/passwd`);
    return {
      whole: [whole.status, whole.headers.get('content-type'), whole.headers.get('accept-ranges')],
      range: [range.status, range.headers.get('content-range') === `bytes 10-${size - 1}/${size}`],
      past: [past.status, past.headers.get('content-range') === `bytes */${size}`],
      forbidden: [forbidden.status, await forbidden.json()],
    };
  });
  t.deepEqual(ours, ref);
});

// Serial, so it runs before the file's other tests (ava starts concurrent tests only after the
// serial ones): queue/status reports the queue's size, and the other tests' predictions, in
// flight on both servers at different moments, once made it 2 here and 1 there.
test.serial('protocol errors: the same status codes and bodies', async (t) => {
  const [ref, ours] = await both(async (base) => ({
    noSession: await postJson(`${base}/gradio_api/queue/join`, { data: ['x'], fn_index: 0 }),
    noFn: await postJson(`${base}/gradio_api/queue/join`, { data: ['x'], session_hash: 's' }),
    noData: await postJson(`${base}/gradio_api/queue/join`, { fn_index: 0, session_hash: 's' }),
    badFn: await postJson(`${base}/gradio_api/queue/join`, { data: ['x'], fn_index: 9, session_hash: 's' }),
    badApi: await postJson(`${base}/gradio_api/call/nope`, { data: [] }),
    status: await getJson(`${base}/gradio_api/queue/status`),
    // Gradio then drops the connection; the worker ends the response. The frames are the same.
    unknownSession: messages((await readSse(`${base}/gradio_api/queue/data?session_hash=nobody-${Math.random()}`, { allowCut: true })).frames),
    unknownEvent: (await readSse(`${base}/gradio_api/call/synthesize/0123abcd`, { allowCut: true })).frames.map((f) => [f.event, f.data]),
    alive: (await readSse(`${base}/gradio_api/heartbeat/someone`, { until: () => true })).frames.map((f) => f.data),
  }));
  t.deepEqual(ours, ref);
});
