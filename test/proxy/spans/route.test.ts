import test from 'ava';
import { matchRoute } from '../../../proxy/src/spans/route.js';

const cases: [string, string, string][] = [
  ['/', '/', '/'],
  ['/config', '/config', '/config'],
  ['/gradio_api/queue/join', '/gradio_api/queue/join', '/gradio_api/queue/join'],
  ['/queue/join', '/queue/join', '/queue/join'],
  ['/gradio_api/queue/data', '/gradio_api/queue/data', '/gradio_api/queue/data'],
  ['/gradio_api/call/generate_audio', '/gradio_api/call/{api_name}', '/gradio_api/call/generate_audio'],
  ['/gradio_api/call/generate_audio/7f3c9a', '/gradio_api/call/{api_name}/{event_id}', '/gradio_api/call/generate_audio/{event_id}'],
  ['/gradio_api/call/v2/generate_audio/7f3c9a', '/gradio_api/call/v2/{api_name}/{event_id}', '/gradio_api/call/v2/generate_audio/{event_id}'],
  ['/gradio_api/file=/tmp/gradio/3b1f/my secret voice.wav', '/gradio_api/file={path}', '/gradio_api/file={path}.wav'],
  ['/file=/tmp/gradio/abc/prompt', '/file={path}', '/file={path}'],
  ['/gradio_api/heartbeat/sess1on', '/gradio_api/heartbeat/{session_hash}', '/gradio_api/heartbeat/{session_hash}'],
  ['/gradio_api/stream/sess/0/12/playlist.m3u8', '/gradio_api/stream/{session_hash}/{run}/{component_id}/*', '/gradio_api/stream/{session_hash}/0/12/*.m3u8'],
  ['/stream/sess/140234/21', '/stream/{session_hash}/{run}/{component_id}', '/stream/{session_hash}/140234/21'],
  ['/assets/index-abc.js', '/assets/*', '/assets/*.js'],
  ['/gradio_api/upload', '/gradio_api/upload', '/gradio_api/upload'],
  ['/run/predict', '/run/{api_name}', '/run/predict'],
  ['/api/predict/', '/api/{api_name}', '/api/predict'],
  ['/some/user/typed/path', '/*', '/*'],
];

for (const [path, route, safe] of cases) {
  test(`route ${path}`, (t) => {
    t.deepEqual(matchRoute(path), { route, safePath: safe });
  });
}

test('an api_name that is not identifier-like is not copied into the safe path', (t) => {
  t.is(matchRoute('/gradio_api/call/hello%20world').safePath, '/gradio_api/call/{api_name}');
});

test('file names never reach the safe path, only a short extension', (t) => {
  const m = matchRoute('/gradio_api/file=/tmp/x/Zhang_Wei_private_recording.flac');
  t.false(m.safePath.includes('Zhang'));
  t.true(m.safePath.endsWith('.flac'));
  t.is(matchRoute('/gradio_api/file=/tmp/x/name.with-a-very-long-extension').safePath, '/gradio_api/file={path}');
});

test('very long paths are bounded', (t) => {
  const m = matchRoute('/' + 'a'.repeat(100_000));
  t.is(m.route, '/*');
});
