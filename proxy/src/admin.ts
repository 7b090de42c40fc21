// The admin port (design §1): /healthz, /metrics and /admin/*, never routed through nginx.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { Registry, type OpenMetricsContentType } from 'prom-client';
import { OPENMETRICS_TYPE, PROMETHEUS_TYPE, toPrometheusText, wantsOpenMetrics } from './exposition.js';
import { refuseWrite, type AdminLock } from './admin-guard.js';
import type { Metrics } from './metrics.js';
import type { RatioControl, RatioOverride } from './sampling/head.js';

export interface AdminState {
  draining: boolean;
}

export interface AdminDeps {
  readonly metrics: Metrics;
  readonly state: AdminState;
  /** Head-sampling ratio control, for POST /admin/sampling. */
  readonly ratio?: RatioControl;
  readonly sampler?: string;
  /** Who may write (admin-guard.ts); absent: nobody. */
  readonly lock?: AdminLock;
}

const NOBODY: AdminLock = { token: '', unixSocket: false };

/** A temporary raise is for diagnosis: at most a day, then it reverts by itself. */
export const MAX_OVERRIDE_S = 86_400;
const MAX_BODY = 4096;

function json(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...headers }).end(text);
}

// An oversize body is read on (discarded) before the 413 goes out: closing a socket with unread
// bytes sends a reset, which can destroy the answer before the client reads it. Bounded, so a
// client that never stops sending gets the 413 and the close anyway.
const DRAIN_MAX_BYTES = 1 << 20;
const DRAIN_MAX_MS = 2000;

type Body = { readonly text: string } | { readonly tooLarge: true } | { readonly failed: true };

function readBody(req: IncomingMessage): Promise<Body> {
  return new Promise((resolve) => {
    const parts: Buffer[] = [];
    let n = 0;
    let over = Number(req.headers['content-length'] ?? 0) > MAX_BODY;
    let timer: NodeJS.Timeout | undefined;
    const tooLarge = () => { clearTimeout(timer); resolve({ tooLarge: true }); };
    if (over) timer = setTimeout(tooLarge, DRAIN_MAX_MS).unref();
    req.on('data', (c: Buffer) => {
      n += c.length;
      if (over) {
        if (n > DRAIN_MAX_BYTES) tooLarge();
        return;
      }
      if (n > MAX_BODY) {
        over = true;
        parts.length = 0;
        timer = setTimeout(tooLarge, DRAIN_MAX_MS).unref();
        return;
      }
      parts.push(c);
    });
    req.on('end', () => (over ? tooLarge() : resolve({ text: Buffer.concat(parts).toString('utf8') })));
    req.on('error', () => { clearTimeout(timer); resolve({ failed: true }); });
  });
}

function samplingView(ratio: RatioControl, sampler: string | undefined) {
  const o: RatioOverride | undefined = ratio.override;
  return {
    sampler,
    configured_ratio: ratio.base,
    effective_ratio: ratio.ratio,
    override: o ? { ratio: o.ratio, expires_at: new Date(o.until).toISOString(), remaining_s: Math.max(0, Math.round((o.until - Date.now()) / 1000)) } : null,
  };
}

/**
 * POST /admin/sampling {"ratio": 0.5, "duration_s": 600}: raise (or set) the head ratio for new
 * traces for a while; it reverts by itself. DELETE reverts now; GET shows the state. Writes pass
 * the lock first (admin-guard.ts).
 */
async function sampling(req: IncomingMessage, res: ServerResponse, deps: AdminDeps): Promise<void> {
  const ratio = deps.ratio;
  if (!ratio) return json(res, 404, { error: 'sampling control not available' });
  if (req.method === 'GET' || req.method === 'HEAD') return json(res, 200, samplingView(ratio, deps.sampler));
  if (req.method !== 'POST' && req.method !== 'DELETE') return json(res, 405, { error: 'method not allowed' }, { allow: 'GET, POST, DELETE' });
  const refused = refuseWrite(req, deps.lock ?? NOBODY, req.method === 'POST');
  if (refused) {
    // The body is unwanted but read anyway (bounded), for the same reason as an oversize one.
    await readBody(req);
    return json(res, refused.status, { error: refused.error }, { ...refused.headers, connection: 'close' });
  }
  if (req.method === 'DELETE') {
    ratio.clear();
    return json(res, 200, samplingView(ratio, deps.sampler));
  }
  const got = await readBody(req);
  if ('failed' in got) return void res.destroy();
  if ('tooLarge' in got) return json(res, 413, { error: `body over ${MAX_BODY} bytes` }, { connection: 'close' });
  let body: { ratio?: unknown; duration_s?: unknown };
  try {
    body = JSON.parse(got.text) as typeof body;
  } catch {
    return json(res, 400, { error: 'expected a JSON object {"ratio": 0..1, "duration_s": 1..86400}' });
  }
  const r = body?.ratio;
  const d = body?.duration_s;
  if (typeof r !== 'number' || !(r >= 0 && r <= 1)) return json(res, 400, { error: 'ratio must be a number within [0, 1]' });
  if (typeof d !== 'number' || !(d > 0 && d <= MAX_OVERRIDE_S)) return json(res, 400, { error: `duration_s must be a number within (0, ${MAX_OVERRIDE_S}]` });
  ratio.set(r, d * 1000);
  return json(res, 200, samplingView(ratio, deps.sampler));
}

/** A registry of just the named metrics, rendered exactly as the whole one would render them. */
function selected(registry: Metrics['registry'], names: readonly string[]): Metrics['registry'] {
  const out = new Registry<OpenMetricsContentType>();
  out.setContentType(Registry.OPENMETRICS_CONTENT_TYPE);
  for (const n of new Set(names)) {
    const m = registry.getSingleMetric(n);
    if (m) out.registerMetric(m);
  }
  return out;
}

export function buildAdminServer(deps: AdminDeps): Server {
  const { metrics, state } = deps;
  return createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (path === '/admin/sampling') {
      sampling(req, res, deps).catch(() => { if (!res.headersSent) json(res, 500, { error: 'internal error' }); });
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD' }).end();
      return;
    }
    if (path === '/healthz') {
      const code = state.draining ? 503 : 200;
      json(res, code, { status: state.draining ? 'draining' : 'ok' });
      return;
    }
    if (path === '/metrics') {
      const om = wantsOpenMetrics(req.headers.accept);
      // `?name=a&name=b`: only those metric families (a check that reads two gauges need not
      // render every histogram series); an unknown name is left out, as Prometheus' match[] does.
      // A counter is registered as `x_total` and its family is `x` in OpenMetrics: either is accepted.
      const names = new URLSearchParams((req.url ?? '').split('?')[1] ?? '').getAll('name')
        .map((n) => (metrics.registry.getSingleMetric(n) ? n : `${n}_total`));
      const text = names.length ? selected(metrics.registry, names).metrics() : metrics.registry.metrics();
      text.then(
        (body) => res.writeHead(200, { 'content-type': om ? OPENMETRICS_TYPE : PROMETHEUS_TYPE }).end(om ? body : toPrometheusText(body)),
        () => res.writeHead(500).end(),
      );
      return;
    }
    json(res, 404, { error: 'not found' });
  });
}
