// Maps a request path to a low-cardinality route template (http.route, span names, metrics)
// and to a path safe to export: session hashes, event ids and file names are user data and
// must never leave the proxy (design §3, "never exported").

export interface RouteMatch {
  /** Template such as `/gradio_api/call/{api_name}`. */
  readonly route: string;
  /** The path with identifying segments replaced by their placeholder. */
  readonly safePath: string;
}

type Param = 'api_name' | 'event_id' | 'session_hash' | 'path' | 'rest' | 'keep';

interface Rule {
  readonly re: RegExp;
  readonly template: string;
  /** For each capture group: how it appears in the safe path. `keep` copies it verbatim. */
  readonly params: readonly Param[];
  /**
   * The route without and with the /gradio_api prefix, made once: every request's route is a
   * map key and a label further on, and one string per template hashes once (issue 10).
   */
  readonly routes: readonly [RouteMatch, RouteMatch];
}

// Gradio 5+ mounts its API under /gradio_api; 3.x/4.x serve the same routes at the root.
const P = '(/gradio_api)?';

function rule(pattern: string, template: string, params: readonly Param[] = []): Rule {
  const match = (route: string): RouteMatch => ({ route, safePath: route });
  return { re: new RegExp(`^${P}${pattern}$`), template, params, routes: [match(template), match(`/gradio_api${template}`)] };
}

const API_RULES: readonly Rule[] = [
  rule('/queue/join/?', '/queue/join'),
  rule('/queue/data/?', '/queue/data'),
  rule('/queue/status/?', '/queue/status'),
  rule('/call/v2/([^/]+)/?', '/call/v2/{api_name}', ['keep']),
  rule('/call/v2/([^/]+)/([^/]+)/?', '/call/v2/{api_name}/{event_id}', ['keep', 'event_id']),
  rule('/call/([^/]+)/?', '/call/{api_name}', ['keep']),
  rule('/call/([^/]+)/([^/]+)/?', '/call/{api_name}/{event_id}', ['keep', 'event_id']),
  rule('/run/([^/]+)/?', '/run/{api_name}', ['keep']),
  rule('/api/([^/]+)/?', '/api/{api_name}', ['keep']),
  rule('/upload/?', '/upload'),
  rule('/upload_progress/?', '/upload_progress'),
  rule('/file=(.*)', '/file={path}', ['path']),
  rule('/file/(.*)', '/file/{path}', ['path']),
  rule('/heartbeat/([^/]+)/?', '/heartbeat/{session_hash}', ['session_hash']),
  rule('/stream/([^/]+)/?', '/stream/{event_id}', ['event_id']),
  rule('/stream/([^/]+)/close/?', '/stream/{event_id}/close', ['event_id']),
  rule('/stream/([^/]+)/([^/]+)/([^/]+)/(.*)', '/stream/{session_hash}/{run}/{component_id}/*', ['session_hash', 'keep', 'keep', 'rest']),
  // 3.x/4.x streaming output: raw chunked bytes, no playlist.
  rule('/stream/([^/]+)/([^/]+)/([^/]+)/?', '/stream/{session_hash}/{run}/{component_id}', ['session_hash', 'keep', 'keep']),
  rule('/cancel/?', '/cancel'),
  rule('/reset/?', '/reset'),
  rule('/info/?', '/info'),
  rule('/app_id/?', '/app_id'),
  rule('/user/?', '/user'),
  rule('/login_check/?', '/login_check'),
  rule('/token/?', '/token'),
  rule('/startup-events/?', '/startup-events'),
  rule('/component_server/?', '/component_server'),
  rule('/proxy=(.*)', '/proxy={url}', ['path']),
];

const PAGE_ROUTES: ReadonlyMap<string, string> = new Map(
  ['/', '/config', '/login', '/logout', '/theme.css', '/favicon.ico', '/manifest.json', '/robots.txt'].map((r) => [r, r]),
);
const STATIC_PREFIXES = ['/assets/', '/static/', '/svelte/', '/custom_component/'].map((prefix) => ({ prefix, route: `${prefix}*` }));

function extension(path: string): string {
  const base = path.slice(path.lastIndexOf('/') + 1);
  const dot = base.lastIndexOf('.');
  // Only a short alphanumeric extension is kept: anything else could be part of a name.
  return dot > 0 && /^[A-Za-z0-9]{1,8}$/.test(base.slice(dot + 1)) ? base.slice(dot) : '';
}

export function matchRoute(rawPath: string): RouteMatch {
  const path = rawPath.length > 2048 ? rawPath.slice(0, 2048) : rawPath;
  const page = PAGE_ROUTES.get(path.endsWith('/') && path.length > 1 ? path.slice(0, -1) : path);
  if (page) return { route: page, safePath: page };
  for (const { prefix, route } of STATIC_PREFIXES) {
    if (path.startsWith(prefix)) return { route, safePath: route + extension(path) };
  }
  for (const r of API_RULES) {
    const m = r.re.exec(path);
    if (!m) continue;
    const made = r.routes[m[1] === undefined ? 0 : 1];
    // Without placeholders the safe path is the route itself.
    if (!r.params.length) return made;
    const prefix = m[1] ?? '';
    const route = made.route;
    let i = 0;
    const safe = prefix + r.template.replace(/\{[a-z_]+\}|\*/g, (placeholder) => {
      const kind = r.params[i];
      const value = m[2 + i++] ?? '';
      if (kind === 'keep') return safeSegment(value, placeholder);
      if (kind === 'path' || kind === 'rest') return placeholder + extension(value);
      return placeholder;
    });
    return { route, safePath: safe };
  }
  return { route: '/*', safePath: '/*' + extension(path) };
}

// api_name and run/component ids are chosen by the app author, not the user; still, keep only
// identifier-like values so a hand-crafted URL cannot smuggle text into the span.
function safeSegment(value: string, placeholder: string): string {
  return /^[A-Za-z0-9_.-]{1,64}$/.test(value) ? value : placeholder;
}
