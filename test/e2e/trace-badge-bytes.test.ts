// --ui-trace-badge changes one answer and nothing else: the Gradio page (GET /, 200, text/html,
// not encoded) gets one script tag before </head>, even when </head> is split across chunks, and
// is re-framed (no Content-Length, chunked; a strong ETag turns weak). Encoded pages, other
// routes, HTTP/1.0 and every answer with the flag off pass byte for byte. A fake app here, so the
// chunk boundaries are the test's; test/e2e/trace-badge.test.ts runs real Gradio in Chromium.
import test from 'ava';
import { createServer, type Server } from 'node:http';
import { gzipSync } from 'node:zlib';
import { raw } from '../support/http.js';
import { rawExchange } from '../support/raw-socket.js';
import { startProxy, type RunningProxy } from '../support/proxy.js';

const PAGE = ['<!doctype html><html><head><title>app</title></', 'head><body>ünïcode ✓</body></html>'];
let app: Server;
let on: RunningProxy;
let off: RunningProxy;

test.before(async () => {
  app = createServer((req, res) => {
    if (req.url === '/gz') {
      const body = gzipSync(PAGE.join(''));
      res.writeHead(200, { 'content-type': 'text/html', 'content-encoding': 'gzip', 'content-length': body.length });
      return void res.end(body);
    }
    const body = Buffer.from(PAGE.join(''));
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'content-length': body.length, etag: '"abc"' });
    // Two writes, the closing tag split between them.
    res.write(PAGE[0]);
    setTimeout(() => res.end(PAGE[1]), 20);
  });
  await new Promise<void>((r) => app.listen(0, '127.0.0.1', r));
  const upstream = `http://127.0.0.1:${(app.address() as { port: number }).port}`;
  [on, off] = await Promise.all([
    startProxy({ upstream, args: ['--ui-trace-badge', 'true', '--trace-url-template', 'http://zipkin.test:9411/zipkin/traces/{trace_id}'] }),
    startProxy({ upstream }),
  ]);
});
test.after.always(async () => {
  await Promise.all([on?.stop(), off?.stop()]);
  app?.close();
});

test('flag on: the page gets the script tag before </head>, re-framed, every other byte unchanged', async (t) => {
  const r = await raw(`${on.url}/`);
  t.is(r.status, 200);
  t.is(r.body.toString('utf8'), PAGE.join('').replace('</head>', '<script src="/__tts-trace-proxy/badge.js"></script></head>'));
  t.is(r.headers['content-length'], undefined);
  t.is(r.headers['transfer-encoding'], 'chunked');
  t.is(r.headers.etag, 'W/"abc"');
  const script = await raw(`${on.url}/__tts-trace-proxy/badge.js`);
  t.is(script.status, 200);
  t.regex(String(script.headers['content-type']), /^text\/javascript/);
  t.regex(script.body.toString(), /"http:\/\/zipkin\.test:9411\/zipkin\/traces\/\{trace_id\}"/);
});

test('flag on: an encoded page, another route and an HTTP/1.0 request pass untouched', async (t) => {
  const gz = await raw(`${on.url}/gz`, { headers: { 'accept-encoding': 'gzip' } });
  t.is(gz.headers['content-encoding'], 'gzip');
  t.deepEqual(gz.body, gzipSync(PAGE.join('')));
  const other = await raw(`${on.url}/config`);
  t.is(other.body.toString(), PAGE.join(''));
  t.is(other.headers['content-length'], String(Buffer.byteLength(PAGE.join(''))));
  const old = await rawExchange(on.port, 'GET / HTTP/1.0\r\nHost: app\r\n\r\n');
  t.true(Buffer.from(old.text, 'latin1').toString('utf8').endsWith(PAGE.join('')), old.text.slice(-200));
});

test('flag off: the page is byte for byte what the app sent, and the script path is the app\'s', async (t) => {
  const r = await raw(`${off.url}/`);
  t.is(r.body.toString(), PAGE.join(''));
  t.is(r.headers['content-length'], String(Buffer.byteLength(PAGE.join(''))));
  t.is(r.headers.etag, '"abc"');
  const script = await raw(`${off.url}/__tts-trace-proxy/badge.js`);
  t.is(script.body.toString(), PAGE.join(''), 'forwarded to the app like any path');
});
