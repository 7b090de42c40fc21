// The shipped nginx front logs what the proxy exports and no more (issue 11, defect 4): its
// access log's route is the proxy's own route template (proxy/src/spans/route.ts) for every
// family of Gradio path, so upload file names, upload-directory hashes, session hashes and event
// ids stay out of nginx's logs as they stay out of the spans. Real nginx (Debian's package)
// renders the real template; a fake app behind it answers everything.
import test from 'ava';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { matchRoute } from '../../proxy/src/spans/route.js';
import { startEchoUpstream, type EchoUpstream } from '../support/echo-upstream.js';
import { startNginx, type RunningNginx } from '../support/nginx.js';

const SECRET = 'zw7q3secretk9';
// One path per rule of route.ts, with and without Gradio 5's /gradio_api prefix, each carrying
// the secret where user data goes (and a page or asset route for each keep-as-is family).
const PATHS = [
  '/', '/config', '/config/', '/theme.css', '/favicon.ico', '/manifest.json', '/robots.txt', '/login', '/logout',
  '/assets/index-abc123.js', '/static/img/logo.png', '/svelte/svelte.js', '/custom_component/x/index.js',
  ...['', '/gradio_api'].flatMap((p) => [
    `${p}/queue/join`, `${p}/queue/data`, `${p}/queue/status`, `${p}/upload`, `${p}/upload_progress`,
    `${p}/call/synthesize`, `${p}/call/synthesize/${SECRET}`, `${p}/call/v2/synthesize`, `${p}/call/v2/synthesize/${SECRET}`,
    `${p}/run/predict`, `${p}/api/predict/`, `${p}/file=/tmp/gradio/${SECRET}/zhang_wei_${SECRET}.wav`,
    `${p}/file/tmp/gradio/${SECRET}/name.wav`, `${p}/heartbeat/${SECRET}`, `${p}/stream/${SECRET}`, `${p}/stream/${SECRET}/close`,
    `${p}/stream/${SECRET}/run1/7/playlist.m3u8`, `${p}/stream/${SECRET}/run1/7`, `${p}/cancel`, `${p}/reset`, `${p}/info`,
    `${p}/app_id`, `${p}/user`, `${p}/login_check`, `${p}/token`, `${p}/startup-events`, `${p}/component_server`,
    `${p}/proxy=https://example.com/${SECRET}`,
  ]),
  `/custom/${SECRET}/route`, `/${SECRET}`,
];

let app: EchoUpstream;
let nginx: RunningNginx;
test.before(async () => {
  app = await startEchoUpstream();
  nginx = await startNginx({ proxyPort: app.port });
});
test.after.always(async () => {
  await nginx?.stop();
  await app?.close();
});

test('the access log route is the proxy route template for every Gradio path family; no user data in any nginx log', async (t) => {
  // nginx writes a line when it finalizes a request, which can come after the client has its
  // answer and has sent the next request (two neighbouring lines were once swapped in a full run):
  // each request waits for its own line before the next is sent, so line i is request i's.
  const linesNow = () => nginx.accessLogLines().map((l) => JSON.parse(l) as Record<string, unknown>);
  let lines: Record<string, unknown>[] = [];
  for (const [i, path] of PATHS.entries()) {
    const res = await fetch(`${nginx.url}${path}?session_hash=${SECRET}&__sign=${SECRET}`);
    await res.arrayBuffer();
    for (let tries = 0; tries < 100 && (lines = linesNow()).length <= i; tries += 1) await new Promise((r) => setTimeout(r, 20));
  }
  t.is(lines.length, PATHS.length);
  t.deepEqual(lines.map((l) => l.route), PATHS.map((p) => matchRoute(p).route));
  const logs = nginx.accessLogLines().join('\n') + readFileSync(join(nginx.runtimeDir, 'error.log'), 'utf8');
  t.false(logs.includes(SECRET));
  t.false(logs.includes('zhang_wei'));
});
