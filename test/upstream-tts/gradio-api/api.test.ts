// The worker's Gradio surface over raw HTTP, message by message, on the real voice.
import test from 'ava';
import { parseWav, wavSamples } from '../../../upstream-tts/src/tts/wav.js';
import { messages, postJson, predictViaQueue, readSse, startWorker, type RunningWorker } from '../helpers.js';

let worker: RunningWorker;
// One thread, one waiting slot: lets the queue-limit tests fill the queue deterministically.
let tight: RunningWorker;

test.before(async () => {
  [worker, tight] = await Promise.all([
    startWorker({ args: ['--heartbeat-interval', '0.3'] }),
    startWorker({ args: ['--workers', '1', '--max-queue-size', '1', '--heartbeat-interval', '0.3'] }),
  ]);
});
test.after.always(async () => {
  await Promise.all([worker?.stop(), tight?.stop()]);
});

const THREE = 'First sentence here. Second one, with a comma! And a third?';

async function fetchWav(url: string): Promise<Buffer> {
  const res = await fetch(url);
  if (res.status !== 200) throw new Error(`${url}: HTTP ${res.status}`);
  return Buffer.from(await res.arrayBuffer());
}

test('/config and /gradio_api/info describe one queued generator endpoint with the voice\'s defaults', async (t) => {
  const config = await (await fetch(`${worker.url}/config`)).json() as Record<string, any>;
  t.is(config.protocol, 'sse_v3');
  t.is(config.api_prefix, '/gradio_api');
  t.is(config.root, worker.url);
  t.true(config.enable_queue);
  t.like(config.dependencies[0], { id: 0, api_name: 'synthesize', queue: true, types: { generator: true }, inputs: [1, 2, 3, 4], outputs: [5] });
  t.deepEqual(config.components.map((c: { type: string }) => c.type), ['textbox', 'slider', 'slider', 'slider', 'audio', 'button', 'form']);
  const info = await (await fetch(`${worker.url}/gradio_api/info`)).json() as Record<string, any>;
  const ep = info.named_endpoints['/synthesize'];
  t.deepEqual(ep.parameters.map((p: any) => [p.parameter_name, p.parameter_has_default, p.parameter_default]),
    [['text', false, null], ['speed', true, 1], ['noise_scale', true, 0.667], ['noise_w', true, 0.8]]);
  t.is(ep.returns[0].component, 'Audio');
});

test('the root in /config and in file URLs follows X-Forwarded-Host/-Proto (a reverse proxy\'s view)', async (t) => {
  const headers = { 'x-forwarded-host': 'tts.example:8443', 'x-forwarded-proto': 'https,http' };
  const config = await (await fetch(`${worker.url}/config`, { headers })).json() as { root: string };
  t.is(config.root, 'https://tts.example:8443');
  const { messages: msgs } = await predictViaQueue(worker.url, ['Hi.', 1, 0, 0], { headers });
  const done = msgs.find((m) => m.msg === 'process_completed')!;
  t.true((done.output.data[0].url as string).startsWith('https://tts.example:8443/gradio_api/file=/'));
});

test('queue/join + queue/data: estimation, process_starts, one process_generating per sentence (diffs after the first), process_completed, close_stream', async (t) => {
  const { eventId, messages: all } = await predictViaQueue(worker.url, [THREE, 1, 0, 0]);
  // Heartbeats may fall anywhere in between (every 0.3 s here); they carry no event id.
  t.true(all.filter((m) => m.msg === 'heartbeat').every((m) => m.event_id === null));
  // An event that waits (other tests keep the threads busy) is told its new rank as the queue
  // moves: one or more estimations, the first one first.
  const msgs = all.filter((m, i) => m.msg !== 'heartbeat' && (m.msg !== 'estimation' || i === 0));
  t.is(all[0]!.msg, 'estimation');
  t.regex(eventId, /^[0-9a-f]{32}$/);
  t.deepEqual(msgs.map((m) => m.msg), ['estimation', 'process_starts', 'process_generating', 'process_generating', 'process_generating', 'process_completed', 'close_stream']);
  for (const m of msgs.slice(0, -1)) t.is(m.event_id, eventId);
  t.true(Number.isInteger(msgs[0]!.rank) && msgs[0]!.queue_size >= 1);
  t.true('rank_eta' in msgs[0]! && 'eta' in msgs[1]!);
  const [g1, g2, g3, done] = msgs.slice(2, 6) as Record<string, any>[];
  t.like(g1, { success: true, output: { is_generating: true }, time_limit: null });
  t.like(g1!.output.data[0], { orig_name: 'audio.wav', is_stream: false, meta: { _type: 'gradio.FileData' } });
  // Later steps are edits against the previous value: a new path and url.
  t.deepEqual(g2!.output.data[0].map((e: unknown[]) => [e[0], e[1]]), [['replace', ['path']], ['replace', ['url']]]);
  t.like(done, { success: true, title: null, output: { is_generating: false } });
  // Rebuild each sentence's FileData as a client would, and check the final WAV is their concatenation.
  let current = { ...g1!.output.data[0] };
  const sentenceUrls = [current.url as string];
  for (const g of [g2, g3]) {
    for (const [, [key], value] of g!.output.data[0] as [string, string[], string][]) current = { ...current, [key!]: value };
    sentenceUrls.push(current.url as string);
  }
  const sentences = await Promise.all(sentenceUrls.map(fetchWav));
  const whole = await fetchWav(done!.output.data[0].url);
  t.is(parseWav(whole).sampleRate, 22050);
  const concatenated = Buffer.concat(sentences.map((w) => Buffer.from(wavSamples(w).buffer)));
  t.true(Buffer.from(wavSamples(whole).buffer).equals(concatenated));
  t.true(parseWav(whole).seconds > 2);
});

test('call/synthesize: POST answers an event id, GET streams generating per sentence then complete (full values)', async (t) => {
  const post = await postJson(`${worker.url}/gradio_api/call/synthesize`, { data: ['One sentence. And two.', 1.5] });
  t.is(post.status, 200);
  const read = await readSse(`${worker.url}/gradio_api/call/synthesize/${post.body.event_id}`);
  t.is(read.headers.get('content-type'), 'text/event-stream; charset=utf-8');
  t.true(read.frames.filter((f) => f.event === 'heartbeat').every((f) => f.data === 'null'));
  const frames = read.frames.filter((f) => f.event !== 'heartbeat');
  t.deepEqual(frames.map((f) => f.event), ['generating', 'generating', 'complete']);
  const final = JSON.parse(frames[2]!.data) as { url: string; path: string }[];
  t.true(final[0]!.path.endsWith('/audio.wav'));
  // Python json.dumps spacing, as Gradio writes this stream.
  t.true(frames[2]!.data.startsWith('[{"path": "'));
  t.true(parseWav(await fetchWav(final[0]!.url)).seconds > 1);
});

test('call/v2/synthesize takes keyword arguments and fills the defaults', async (t) => {
  const post = await postJson(`${worker.url}/gradio_api/call/v2/synthesize`, { text: 'Keyword arguments.' });
  t.is(post.status, 200);
  const { frames } = await readSse(`${worker.url}/gradio_api/call/synthesize/${post.body.event_id}`);
  t.deepEqual(frames.map((f) => f.event).filter((e) => e !== 'heartbeat'), ['generating', 'complete']);
});

test('speed scales the length: twice as fast is about half as long', async (t) => {
  const run = async (speed: number) => {
    const { messages: msgs } = await predictViaQueue(worker.url, ['A sentence of moderate length to time.', speed, 0, 0]);
    return parseWav(await fetchWav(msgs.find((m) => m.msg === 'process_completed')!.output.data[0].url)).seconds;
  };
  const [normal, fast] = await Promise.all([run(1), run(2)]);
  // Not exactly half: the duration predictor rounds every phoneme up to whole 256-sample hops.
  t.true(fast / normal > 0.45 && fast / normal < 0.7, `${fast} / ${normal}`);
});

test('file=: whole file, byte ranges, HEAD, 416 past the end, 403 for anything not generated here', async (t) => {
  const { messages: msgs } = await predictViaQueue(worker.url, ['Range requests.', 1, 0, 0]);
  const url = msgs.find((m) => m.msg === 'process_completed')!.output.data[0].url as string;
  const whole = await fetchWav(url);
  const full = await fetch(url, { method: 'HEAD' });
  t.is(full.headers.get('accept-ranges'), 'bytes');
  t.is(full.headers.get('content-type'), 'audio/wav');
  t.is(Number(full.headers.get('content-length')), whole.length);
  const head = await fetch(url, { headers: { range: 'bytes=0-43' } });
  t.is(head.status, 206);
  t.is(head.headers.get('content-range'), `bytes 0-43/${whole.length}`);
  t.true(Buffer.from(await head.arrayBuffer()).equals(whole.subarray(0, 44)));
  const tail = await fetch(url, { headers: { range: 'bytes=-100' } });
  t.true(Buffer.from(await tail.arrayBuffer()).equals(whole.subarray(whole.length - 100)));
  const past = await fetch(url, { headers: { range: `bytes=${whole.length}-` } });
  t.is(past.status, 416);
  t.is(past.headers.get('content-range'), `bytes */${whole.length}`);
  for (const path of ['/etc/passwd', `${new URL(url).pathname.split('file=')[1]!.replace('audio.wav', '../../../etc/passwd')}`]) {
    const res = await fetch(`${worker.url}/gradio_api/file=${path}`);
    t.is(res.status, 403);
    t.regex((await res.json() as { detail: string }).detail, /^File not allowed: /);
  }
});

test('heartbeat/<session>: "data: ALIVE" at once and then every interval', async (t) => {
  const { frames } = await readSse(`${worker.url}/gradio_api/heartbeat/abc`, { until: (f) => f.data === 'ALIVE' && false, timeoutMs: 1000 }).catch((err: Error) => {
    // Ends by timeout by design: collect what arrived from the error text.
    const got = /got (\[.*\])$/.exec(err.message);
    return { frames: (JSON.parse(got?.[1] ?? '[]') as string[]).map((data) => ({ data })) };
  });
  t.true(frames.length >= 3, `${frames.length} heartbeats in 1 s at 0.3 s`);
  t.true(frames.every((f) => f.data === 'ALIVE'));
});

test('queue full: a join beyond --max-queue-size gets 503 with Gradio\'s message; the queue serves again after', async (t) => {
  const long = 'This long text keeps the only thread busy for a little while. '.repeat(6);
  const first = await postJson(`${tight.url}/gradio_api/call/synthesize`, { data: [long, 1, 0, 0] }); // runs
  const second = await postJson(`${tight.url}/gradio_api/call/synthesize`, { data: [long, 1, 0, 0] }); // waits
  const third = await postJson(`${tight.url}/gradio_api/queue/join`, { data: ['Refused.'], fn_index: 0, session_hash: 'full1' });
  t.is(first.status, 200);
  t.is(second.status, 200);
  t.is(third.status, 503);
  t.deepEqual(third.body, { detail: 'Queue is full. Max size is 1 and size is 1.' });
  // Cancel the waiting one: it is reported as an empty successful completion, as Gradio does.
  t.deepEqual((await postJson(`${tight.url}/gradio_api/cancel`, { event_id: second.body.event_id, session_hash: 'x', fn_index: 0 })).body, { success: true });
  const cancelled = await readSse(`${tight.url}/gradio_api/call/synthesize/${second.body.event_id}`);
  t.deepEqual(cancelled.frames.map((f) => f.event).filter((e) => e !== 'heartbeat'), ['error']);
  await readSse(`${tight.url}/gradio_api/call/synthesize/${first.body.event_id}`);
  const { messages: msgs } = await predictViaQueue(tight.url, ['Served again.', 1, 0, 0]);
  t.like(msgs.find((m) => m.msg === 'process_completed'), { success: true });
});

test('protocol errors answer like Gradio: 400, 422, 500, and unknown sessions or events on the streams', async (t) => {
  t.deepEqual(await postJson(`${worker.url}/gradio_api/queue/join`, { data: ['x'], fn_index: 0 }), { status: 400, body: { detail: 'Session hash not found.' } });
  t.deepEqual(await postJson(`${worker.url}/gradio_api/queue/join`, { data: ['x'], session_hash: 's' }), { status: 400, body: { detail: 'No function index provided.' } });
  const noData = await postJson(`${worker.url}/gradio_api/queue/join`, { fn_index: 0, session_hash: 's' });
  t.is(noData.status, 422);
  t.like(noData.body.detail[0], { type: 'missing', loc: ['body', 'data'] });
  const badJson = await fetch(`${worker.url}/gradio_api/queue/join`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{bad' });
  t.is(badJson.status, 422);
  t.deepEqual(await postJson(`${worker.url}/gradio_api/queue/join`, { data: ['x'], fn_index: 7, session_hash: 's' }), { status: 500, body: 'Internal Server Error' });
  t.deepEqual(await postJson(`${worker.url}/gradio_api/call/nope`, { data: [] }), { status: 500, body: 'Internal Server Error' });
  const unknownSession = await readSse(`${worker.url}/gradio_api/queue/data?session_hash=never-joined`);
  t.deepEqual(messages(unknownSession.frames), [{ msg: 'unexpected_error', event_id: null, message: '404: Not Found', session_not_found: true, success: false }]);
  const unknownEvent = await readSse(`${worker.url}/gradio_api/call/synthesize/deadbeef`);
  t.deepEqual(unknownEvent.frames.map((f) => [f.event, f.data]), [['error', '"404: Not Found"']]);
  t.like(await (await fetch(`${worker.url}/gradio_api/queue/status`)).json(), { msg: 'estimation', event_id: null, rank: null, rank_eta: null });
  t.is((await fetch(`${worker.url}/nothing-here`)).status, 404);
});

test('GET / is a usable page: a text box, a speed slider, a generate button, an audio player wired to the API', async (t) => {
  const res = await fetch(`${worker.url}/`);
  t.is(res.headers.get('content-type'), 'text/html; charset=utf-8');
  const html = await res.text();
  t.regex(html, /<textarea id="text"/);
  t.regex(html, /<input id="speed" type="range" min="0.25" max="4"/);
  t.regex(html, /<button id="generate"/);
  t.regex(html, /<audio id="player" controls>/);
  t.regex(html, /fetch\('gradio_api\/call\/synthesize'/);
  t.regex(html, /en_US-joe-medium/);
});
