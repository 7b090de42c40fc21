// The trace id where a person can read it (--ui-trace-badge): when a user says "it was slow",
// support needs the id of that prediction's trace. The proxy adds one script tag to the Gradio
// page and serves the script itself; the script reads the X-Trace-Id the proxy already puts on
// every answer (here: the prediction's submission, queue/join or /call) and shows the latest in
// a small badge with a copy button and, with --trace-url-template, a link.
//
// What it must not break: only a complete 200 text/html answer to GET / over HTTP/1.1 with no
// Content-Encoding is touched; its Content-Length goes (the answer is chunked instead) and a
// strong ETag becomes weak (the bytes changed). The app's Content-Security-Policy is left as it
// is: the script is an external same-origin file, so a policy that allows the page's own
// scripts allows it, and one that does not keeps it out. Off (the default), nothing here runs
// and the page passes byte for byte.
import type { IncomingMessage, ServerResponse } from 'node:http';

export const BADGE_SCRIPT_PATH = '/__tts-trace-proxy/badge.js';
const TAG = `<script src="${BADGE_SCRIPT_PATH}"></script>`;
const HEAD_END = '</head>';

/** The script, with the link template (already validated as an http(s) URL) as a JSON string. */
export function badgeScript(urlTemplate: string): string {
  const tpl = JSON.stringify(urlTemplate).replace(/</g, '\\u003c');
  // Runs while the page is parsed, before Gradio's deferred module scripts: their fetch calls go
  // through the wrapper. Plain DOM, no innerHTML: the id is checked to be 32 hex digits anyway.
  return `(() => {
  const template = ${tpl};
  const ID = /^[0-9a-f]{32}$/;
  const SUBMIT = /\\/(queue\\/join|call\\/(v2\\/)?[^/?]+)(\\?|$)/;
  let box;
  const show = (id) => {
    if (!ID.test(id)) return;
    if (!box) {
      box = document.createElement('div');
      box.id = 'tts-trace-badge';
      box.setAttribute('role', 'status');
      box.style.cssText = 'position:fixed;right:8px;bottom:8px;z-index:2147483647;font:12px/1.4 ui-monospace,monospace;background:#111a;color:#fff;padding:4px 8px;border-radius:6px;display:flex;gap:6px;align-items:center';
      (document.body || document.documentElement).appendChild(box);
    }
    box.replaceChildren();
    const label = document.createElement('span');
    label.textContent = 'trace';
    const code = document.createElement('code');
    code.className = 'tts-trace-id';
    code.textContent = id;
    const copy = document.createElement('button');
    copy.type = 'button';
    copy.textContent = 'copy';
    copy.onclick = () => { navigator.clipboard && navigator.clipboard.writeText(id).catch(() => {}); };
    box.append(label, code, copy);
    if (template) {
      const a = document.createElement('a');
      a.href = template.split('{trace_id}').join(id);
      a.target = '_blank';
      a.rel = 'noopener noreferrer';
      a.textContent = 'open';
      a.style.color = 'inherit';
      box.append(a);
    }
  };
  const fetch0 = window.fetch;
  if (typeof fetch0 !== 'function') return;
  window.fetch = function (input, init) {
    const pending = fetch0.apply(this, arguments);
    try {
      const url = typeof input === 'string' ? input : (input && input.url) || String(input);
      if (SUBMIT.test(url)) pending.then((res) => { try { show(res.headers.get('x-trace-id') || ''); } catch (e) {} }, () => {});
    } catch (e) {}
    return pending;
  };
})();
`;
}

/** Whether this answer is the Gradio page the badge goes into. */
export function isBadgePage(req: IncomingMessage, route: string | undefined, proxyRes: IncomingMessage): boolean {
  if (req.method !== 'GET' || req.httpVersion !== '1.1' || route !== '/' || proxyRes.statusCode !== 200) return false;
  const encoding = proxyRes.headers['content-encoding'];
  if (encoding && encoding !== 'identity') return false;
  return /^text\/html\b/i.test(String(proxyRes.headers['content-type'] ?? ''));
}

/**
 * Adds the script tag before `</head>` as the page streams through `res` (a few bytes held back
 * so a tag split across chunks is still found; nothing else is buffered). Call before http-proxy
 * copies the headers: it edits them on `proxyRes`.
 */
export function injectBadge(proxyRes: IncomingMessage, res: ServerResponse): void {
  delete proxyRes.headers['content-length'];
  const etag = proxyRes.headers.etag;
  if (etag && !etag.startsWith('W/')) proxyRes.headers.etag = `W/${etag}`;
  let done = false;
  let carry = '';
  const write = res.write.bind(res) as (chunk: unknown, ...rest: unknown[]) => boolean;
  const end = res.end.bind(res) as (...args: unknown[]) => ServerResponse;
  const transform = (chunk: unknown, encoding?: unknown): Buffer | undefined => {
    const buf = Buffer.isBuffer(chunk) ? chunk : typeof chunk === 'string' ? Buffer.from(chunk, (typeof encoding === 'string' ? encoding : 'utf8') as BufferEncoding) : undefined;
    if (!buf) return undefined;
    // latin1 maps bytes to characters one to one: the page's own bytes come back unchanged.
    const text = carry + buf.toString('latin1');
    const at = text.toLowerCase().indexOf(HEAD_END);
    if (at >= 0) {
      done = true;
      carry = '';
      return Buffer.from(text.slice(0, at) + TAG + text.slice(at), 'latin1');
    }
    const keep = Math.min(text.length, HEAD_END.length - 1);
    carry = text.slice(text.length - keep);
    return Buffer.from(text.slice(0, text.length - keep), 'latin1');
  };
  (res as unknown as { write: unknown }).write = (chunk: unknown, ...rest: unknown[]): boolean => {
    if (done) return write(chunk, ...rest);
    const out = transform(chunk, rest[0]);
    if (!out) return write(chunk, ...rest);
    const cb = rest.find((r) => typeof r === 'function');
    return cb ? write(out, cb) : write(out);
  };
  (res as unknown as { end: unknown }).end = (...args: unknown[]): ServerResponse => {
    const [chunk] = args;
    if (!done && chunk !== undefined && typeof chunk !== 'function') {
      const out = transform(chunk, args[1]);
      if (out) {
        if (!done && carry) { write(out); write(Buffer.from(carry, 'latin1')); carry = ''; return end(); }
        return end(out);
      }
    }
    if (!done && carry) {
      write(Buffer.from(carry, 'latin1'));
      carry = '';
    }
    return end(...args);
  };
}
