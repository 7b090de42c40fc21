// GET /: a small page to try the voice in a browser: text, speed, generate, an audio player.
// It is a client of the app's own call/ API (not Gradio's Svelte front end), so what it shows
// is what any API client gets. URLs are relative, so it also works under a proxy's root path.
import type { VoiceConfig } from '../tts/voice.js';
import { API_NAME, APP_TITLE } from './config.js';
import { SPEED_RANGE } from './inputs.js';

const escapeHtml = (s: string): string =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

export function pageHtml(voice: VoiceConfig, provider: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${APP_TITLE}</title>
<style>
  body { font: 16px/1.4 system-ui, sans-serif; max-width: 44rem; margin: 2rem auto; padding: 0 1rem; color: #222; }
  textarea { width: 100%; box-sizing: border-box; font: inherit; padding: .5rem; }
  .row { display: flex; gap: 1rem; align-items: center; margin: .75rem 0; }
  button { font: inherit; padding: .5rem 1.25rem; }
  audio { width: 100%; margin-top: .75rem; }
  #status { color: #555; min-height: 1.4em; }
  #status.error { color: #b00020; }
  small { color: #777; }
</style>
</head>
<body>
<h1>${APP_TITLE}</h1>
<p><small>Voice <b>${escapeHtml(voice.name)}</b> (${voice.sampleRate} Hz) on ${escapeHtml(provider)}.
Also served: the Gradio API under <code>/gradio_api</code> (<a href="config">config</a>, <a href="gradio_api/info">info</a>).</small></p>
<form id="form">
  <label for="text">Text</label>
  <textarea id="text" rows="4" required>Hello! This is a Piper voice, running on onnxruntime in Node.</textarea>
  <div class="row">
    <label for="speed">Speed</label>
    <input id="speed" type="range" min="${SPEED_RANGE.min}" max="${SPEED_RANGE.max}" step="${SPEED_RANGE.step}" value="${SPEED_RANGE.default}">
    <output id="speedValue">${SPEED_RANGE.default}</output>
    <button id="generate" type="submit">Generate</button>
  </div>
</form>
<div id="status" role="status"></div>
<audio id="player" controls></audio>
<script>
const $ = (id) => document.getElementById(id);
$('speed').addEventListener('input', () => { $('speedValue').textContent = $('speed').value; });
function status(text, isError) { $('status').textContent = text; $('status').className = isError ? 'error' : ''; }
$('form').addEventListener('submit', async (e) => {
  e.preventDefault();
  $('generate').disabled = true;
  status('Queued…');
  try {
    const res = await fetch('gradio_api/call/${API_NAME}', {
      method: 'POST', headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ data: [$('text').value, Number($('speed').value)] }),
    });
    const body = await res.json();
    if (!res.ok) throw new Error(body.detail || ('HTTP ' + res.status));
    const events = new EventSource('gradio_api/call/${API_NAME}/' + body.event_id);
    let sentences = 0;
    const done = () => { events.close(); $('generate').disabled = false; };
    events.addEventListener('generating', () => { sentences++; status('Speaking… ' + sentences + ' sentence(s) ready'); });
    events.addEventListener('complete', (m) => {
      const file = JSON.parse(m.data)[0];
      $('player').src = file.url;
      $('player').play().catch(() => {});
      status('Done: ' + sentences + ' sentence(s).');
      done();
    });
    // A named "error" event carries the server's message; a bare one is a broken connection.
    events.addEventListener('error', (m) => {
      const payload = m.data ? JSON.parse(m.data) : null;
      status((payload && payload.error) || 'Connection lost.', true);
      done();
    });
  } catch (err) {
    status(err.message, true);
    $('generate').disabled = false;
  }
});
</script>
</body>
</html>
`;
}
