// Static checks of compose.yaml and its Dockerfiles (Docker is not needed, nor run): the file
// parses, everything it builds or mounts exists, ports do not clash, every name it refers to is
// a service of the file, images are pinned, and the settings it passes are ones the proxy, the
// worker and nginx's template actually read.
import test from 'ava';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { isAbsolute, join, posix, resolve } from 'node:path';
import { parseDocument } from 'yaml';
import { parseArms } from '../../proxy/src/canary.js';
import { OPTIONS as PROXY_OPTIONS } from '../../proxy/src/config/schema.js';
import { OPTIONS as WORKER_OPTIONS } from '../../upstream-tts/src/config/schema.js';
import { PROXY_NODE_FLAGS } from '../../proxy/src/node-flags.js';
import { repoRoot } from '../support/proc.js';

type Dict = Record<string, unknown>;
interface Service {
  image?: string;
  build?: string | { context?: string; dockerfile?: string; target?: string };
  command?: string | string[];
  entrypoint?: string | string[];
  environment?: Record<string, string | number | boolean | null> | string[];
  ports?: (string | number | { target?: number; published?: number | string; host_ip?: string })[];
  volumes?: (string | { type?: string; source?: string; target?: string })[];
  depends_on?: string[] | Record<string, { condition?: string }>;
  healthcheck?: Dict;
}

const composePath = join(repoRoot, 'compose.yaml');
const composeText = readFileSync(composePath, 'utf8');

function load(): { services: Record<string, Service>; top: Dict } {
  const doc = parseDocument(composeText, { merge: true, prettyErrors: true });
  if (doc.errors.length || doc.warnings.length) throw new Error([...doc.errors, ...doc.warnings].map((e) => e.message).join('\n'));
  const top = doc.toJS() as Dict;
  return { services: top.services as Record<string, Service>, top };
}
const { services, top } = load();
const names = Object.keys(services);

const env = (s: Service): Record<string, string> => {
  if (Array.isArray(s.environment)) {
    return Object.fromEntries(s.environment.map((kv) => { const i = kv.indexOf('='); return i < 0 ? [kv, ''] : [kv.slice(0, i), kv.slice(i + 1)]; }));
  }
  return Object.fromEntries(Object.entries(s.environment ?? {}).map(([k, v]) => [k, v === null ? '' : String(v)]));
};
const argv = (c: string | string[] | undefined): string[] => (c === undefined ? [] : Array.isArray(c) ? c.map(String) : c.split(/\s+/).filter(Boolean));
/** `--flag value` and `--flag=value` pairs of a command line. */
function flags(args: string[]): [string, string][] {
  const out: [string, string][] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (!a.startsWith('--')) continue;
    const eq = a.indexOf('=');
    if (eq > 0) out.push([a.slice(0, eq), a.slice(eq + 1)]);
    else out.push([a, args[++i] ?? '']);
  }
  return out;
}
const flag = (s: Service, name: string) => flags(argv(s.command)).find(([f]) => f === name)?.[1];

interface Build { context: string; dockerfile: string; target?: string }
function build(s: Service): Build | undefined {
  if (s.build === undefined) return undefined;
  const b = typeof s.build === 'string' ? { context: s.build } : s.build;
  const context = resolve(repoRoot, b.context ?? '.');
  return { context, dockerfile: resolve(context, b.dockerfile ?? 'Dockerfile'), target: b.target };
}

interface Instruction { op: string; args: string }
/** Dockerfile instructions, continuation lines joined, comments dropped. */
function instructions(path: string): Instruction[] {
  const out: Instruction[] = [];
  let pending = '';
  for (const raw of readFileSync(path, 'utf8').split('\n')) {
    const line = raw.trim();
    if (!pending && (line === '' || line.startsWith('#'))) continue;
    if (pending && line.startsWith('#')) continue;
    pending += (pending ? ' ' : '') + line.replace(/\\$/, '').trim();
    if (line.endsWith('\\')) continue;
    const m = /^(\S+)\s+([\s\S]*)$/.exec(pending);
    if (m) out.push({ op: m[1]!.toUpperCase(), args: m[2]! });
    pending = '';
  }
  return out;
}
const stages = (ins: Instruction[]) =>
  ins.filter((i) => i.op === 'FROM').map((i) => { const m = /^(?:--\S+\s+)*(\S+)(?:\s+AS\s+(\S+))?/i.exec(i.args)!; return { image: m[1]!, name: m[2] }; });
function envOf(ins: Instruction[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const i of ins.filter((x) => x.op === 'ENV')) {
    for (const m of i.args.matchAll(/([A-Za-z_][A-Za-z0-9_]*)=("[^"]*"|'[^']*'|\S+)/g)) out[m[1]!] = m[2]!.replace(/^(["'])([\s\S]*)\1$/, '$2');
  }
  return out;
}
/** COPY/ADD from the build context (not `--from=`): [sources, destination]. */
function copies(ins: Instruction[]): { sources: string[]; dest: string }[] {
  return ins.filter((i) => (i.op === 'COPY' || i.op === 'ADD') && !/--from=/.test(i.args)).map((i) => {
    const words = i.args.split(/\s+/).filter((w) => !w.startsWith('--'));
    return { sources: words.slice(0, -1), dest: words[words.length - 1]! };
  });
}

/** host:port of a URL or a bare `host:port`. */
function hostPort(value: string): { host: string; port: number } {
  const u = new URL(/^[a-z]+:\/\//i.test(value) ? value : `http://${value}`);
  return { host: u.hostname, port: Number(u.port || (u.protocol === 'https:' ? 443 : 80)) };
}
const listenPort = (s: Service, fallback: number) => hostPort(flag(s, '--listen') ?? `x:${fallback}`).port;

const servicesBuiltFrom = (target: string) => names.filter((n) => build(services[n]!)?.target === target);
const workers = servicesBuiltFrom('upstream-tts');
const proxies = servicesBuiltFrom('proxy');

test('compose.yaml parses (YAML 1.2 with merge keys) into services, and nothing is left to variable interpolation', (t) => {
  t.true(names.length >= 5, names.join(', '));
  for (const key of Object.keys(top)) t.true(['name', 'services', 'volumes', 'networks', 'configs', 'secrets'].includes(key) || key.startsWith('x-'), key);
  // Compose would substitute `$VAR`; every dollar sign must be escaped as `$$` (there are none today).
  t.notRegex(composeText.replace(/\$\$/g, ''), /\$/);
  t.deepEqual([...workers].sort(), ['tts-canary', 'tts-stable']);
  t.deepEqual(proxies, ['proxy']);
  t.true('zipkin' in services && 'nginx' in services);
});

test('every build context, Dockerfile, build target, COPY source and mounted file exists', (t) => {
  for (const [name, s] of Object.entries(services)) {
    t.true(s.image !== undefined || s.build !== undefined, `${name}: needs image or build`);
    const b = build(s);
    if (b) {
      t.true(existsSync(b.context) && statSync(b.context).isDirectory(), `${name}: build context ${b.context}`);
      t.true(existsSync(b.dockerfile), `${name}: ${b.dockerfile}`);
      const ins = instructions(b.dockerfile);
      if (b.target) t.true(stages(ins).some((st) => st.name === b.target), `${name}: no stage "${b.target}" in ${b.dockerfile}`);
      for (const c of copies(ins)) {
        for (const src of c.sources) t.true(existsSync(join(b.context, src)), `${name}: COPY ${src} (context ${b.context})`);
      }
      // A context file the Dockerfile copies must not be excluded by .dockerignore.
      const ignore = join(b.context, '.dockerignore');
      const ignored = existsSync(ignore) ? readFileSync(ignore, 'utf8').split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#')) : [];
      for (const c of copies(ins)) {
        for (const src of c.sources) t.false(ignored.includes(posix.normalize(src).replace(/\/$/, '')), `${name}: ${src} is in .dockerignore`);
      }
    }
    for (const v of s.volumes ?? []) {
      const source = typeof v === 'string' ? (v.split(':').length > 1 ? v.split(':')[0]! : undefined) : v.type === 'bind' ? v.source : undefined;
      if (!source || !(source.startsWith('.') || isAbsolute(source))) continue; // a named volume
      t.true(existsSync(resolve(repoRoot, source)), `${name}: mounted ${source}`);
    }
  }
});

test('published host ports are unique and bound to 127.0.0.1', (t) => {
  const seen = new Map<number, string>();
  for (const [name, s] of Object.entries(services)) {
    for (const p of s.ports ?? []) {
      let hostIp = '';
      let published: number;
      if (typeof p === 'object') {
        hostIp = p.host_ip ?? '';
        published = Number(p.published);
      } else {
        const parts = String(p).replace(/\/(tcp|udp)$/, '').split(':');
        t.true(parts.length >= 2, `${name}: port "${p}" publishes a random host port`);
        if (parts.length === 3) hostIp = parts[0]!;
        published = Number(parts[parts.length - 2]);
      }
      t.true(Number.isInteger(published) && published > 0, `${name}: port ${JSON.stringify(p)}`);
      t.is(hostIp, '127.0.0.1', `${name}: ${JSON.stringify(p)} should listen on 127.0.0.1 only`);
      t.false(seen.has(published), `host port ${published}: ${seen.get(published)} and ${name}`);
      seen.set(published, name);
    }
  }
  t.deepEqual([...seen.keys()].sort(), [8080, 9411, 9464]);
});

test('depends_on names services of the file', (t) => {
  for (const [name, s] of Object.entries(services)) {
    const deps = Array.isArray(s.depends_on) ? s.depends_on : Object.keys(s.depends_on ?? {});
    for (const d of deps) t.true(names.includes(d), `${name} depends on unknown "${d}"`);
    for (const [d, c] of Array.isArray(s.depends_on) ? [] : Object.entries(s.depends_on ?? {})) {
      if (c.condition === 'service_healthy') t.truthy(services[d]?.healthcheck, `${name} waits for ${d} to be healthy, which has no healthcheck`);
    }
  }
});

test('images are pinned: no :latest, no missing tag, in compose.yaml and in every Dockerfile FROM', (t) => {
  const pinned = (image: string) => /^[^:@\s]+(:[A-Za-z0-9_.-]+)?(@sha256:[0-9a-f]{64})?$/.test(image)
    && (/@sha256:/.test(image) || /:\d+\.\d+(\.\d+)?([-.][A-Za-z0-9_.-]+)?$/.test(image));
  for (const [name, s] of Object.entries(services)) {
    if (s.image) t.true(pinned(s.image), `${name}: image ${s.image} is not pinned to a version`);
    const b = build(s);
    if (!b) continue;
    const st = stages(instructions(b.dockerfile));
    for (const { image } of st) {
      if (st.some((x) => x.name === image)) continue; // FROM an earlier stage
      t.true(pinned(image), `${b.dockerfile}: FROM ${image} is not pinned to a version`);
    }
  }
  t.is(services.zipkin!.image, 'openzipkin/zipkin:3.6.1');
});

test('the proxy\'s arms, Zipkin endpoints and nginx\'s upstream name services of the file, on the ports they listen on', (t) => {
  const proxy = services.proxy!;
  const penv = env(proxy);
  const armSpecs = [penv.TTS_PROXY_ARMS ?? '', ...flags(argv(proxy.command)).filter(([f]) => f === '--arm').map(([, v]) => v)].join(';');
  const arms = parseArms(armSpecs); // the proxy's own parser
  t.deepEqual(arms.map((a) => [a.name, a.version]), [['stable', 'v1'], ['canary', 'v2']]);
  t.true(arms.every((a) => a.weight > 0));
  const endpoints: [string, string][] = arms.flatMap((a) => a.replicas.map((u): [string, string] => [`arm ${a.name}`, u.href]));
  for (const key of ['TTS_PROXY_UPSTREAM']) if (penv[key]) endpoints.push([key, penv[key]!]);
  const upstreamFlag = flag(proxy, '--upstream');
  if (upstreamFlag) endpoints.push(['--upstream', upstreamFlag]);
  for (const [arm, url] of endpoints) {
    const { host, port } = hostPort(url);
    t.true(workers.includes(host), `${arm}: ${url} names no worker service`);
    if (workers.includes(host)) t.is(port, listenPort(services[host]!, 7860), `${arm}: ${url} is not the port ${host} listens on`);
  }
  t.deepEqual(arms.map((a) => a.replicas.map((u) => u.hostname)), [['tts-stable'], ['tts-canary']]);

  // Every service that exports spans sends them to the zipkin service's collector.
  for (const [name, s] of Object.entries(services)) {
    for (const key of ['OTEL_EXPORTER_ZIPKIN_ENDPOINT', 'OTEL_EXPORTER_OTLP_ENDPOINT', 'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT']) {
      const value = env(s)[key];
      if (!value) continue;
      const { host, port } = hostPort(value);
      t.true(names.includes(host), `${name}: ${key}=${value} names no service`);
      if (key === 'OTEL_EXPORTER_ZIPKIN_ENDPOINT') {
        t.is(host, 'zipkin', `${name}: ${key}`);
        t.is(port, 9411);
        t.is(new URL(value).pathname, '/api/v2/spans');
      }
    }
  }
  for (const w of [...workers, 'proxy']) t.truthy(env(services[w]!).OTEL_EXPORTER_ZIPKIN_ENDPOINT, `${w} exports to Zipkin`);

  const nginxEnv = { ...envOf(instructions(build(services.nginx!)!.dockerfile)), ...env(services.nginx!) };
  const { host, port } = hostPort(nginxEnv.PROXY_ADDR!);
  t.is(host, 'proxy');
  t.is(port, listenPort(proxy, 7861), 'nginx forwards to the port the proxy listens on');
  t.is(hostPort(`x:${nginxEnv.NGINX_LISTEN}`).port, 8080);
  t.true((services.nginx!.ports ?? []).some((p) => String(p).endsWith(`:${nginxEnv.NGINX_LISTEN}`)), 'nginx publishes the port it listens on');
  t.true((proxy.ports ?? []).some((p) => String(p).endsWith(`:${hostPort(flag(proxy, '--admin')!).port}`)), 'the admin port is published');
});

test('the worker and proxy command lines and variables are ones they read; the voices exist in the image', (t) => {
  const known = (options: readonly { flag?: string; env?: string }[], extra: string[]) => ({
    flags: new Set(options.map((o) => o.flag).filter(Boolean) as string[]),
    envs: new Set([...options.map((o) => o.env).filter(Boolean) as string[], ...extra]),
  });
  // TTS_PROXY_ARMS / --arm: the canary routing's configuration (proxy/src/canary.ts, issue #6).
  const proxyKnown = known(PROXY_OPTIONS, ['TTS_PROXY_ARMS']);
  proxyKnown.flags.add('--arm');
  const workerKnown = known(WORKER_OPTIONS, []);
  for (const [names_, k] of [[workers, workerKnown], [proxies, proxyKnown]] as const) {
    for (const n of names_) {
      const s = services[n]!;
      for (const [f] of flags(argv(s.command))) t.true(k.flags.has(f), `${n}: unknown flag ${f}`);
      for (const key of Object.keys(env(s))) t.true(k.envs.has(key), `${n}: unknown variable ${key}`);
    }
  }
  // Visibly different versions: different voice or settings, labelled v1 and v2.
  t.notDeepEqual(argv(services['tts-stable']!.command), argv(services['tts-canary']!.command));
  t.regex(env(services['tts-stable']!).OTEL_RESOURCE_ATTRIBUTES ?? '', /service\.version=v1/);
  t.regex(env(services['tts-canary']!).OTEL_RESOURCE_ATTRIBUTES ?? '', /service\.version=v2/);

  const dockerfile = readFileSync(build(services['tts-stable']!)!.dockerfile, 'utf8');
  const voiceName = /^VOICE_NAME=(\S+)$/m.exec(readFileSync(join(repoRoot, 'scripts', 'setup-voice.sh'), 'utf8'))![1]!;
  t.regex(dockerfile, /setup-voice\.sh/, 'the voice comes from scripts/setup-voice.sh (PyPI)');
  for (const w of workers) {
    const voice = flag(services[w]!, '--voice');
    t.truthy(voice, `${w}: --voice`);
    const file = posix.basename(voice!);
    t.true(file === `${voiceName}.onnx` || dockerfile.includes(file), `${w}: ${voice} is not made by the Dockerfile`);
    t.true(voice!.startsWith('/app/voices/') && dockerfile.includes('/app/voices'), `${w}: ${voice}`);
  }
});

test('nginx renders the repository\'s template with exactly its variables, and the snippet it includes', (t) => {
  const b = build(services.nginx!)!;
  const ins = instructions(b.dockerfile);
  const template = readFileSync(join(repoRoot, 'nginx', 'nginx.conf.template'), 'utf8');
  const used = new Set([...template.matchAll(/\$\{([A-Z_]+)\}/g)].map((m) => m[1]!));
  t.deepEqual([...used].sort(), ['CLIENT_MAX_BODY_SIZE', 'NGINX_LISTEN', 'NGINX_RUNTIME', 'PROXY_ADDR']);
  const e = { ...envOf(ins), ...env(services.nginx!) };
  for (const v of used) t.truthy(e[v], `${v} is set`);
  // The entrypoint substitutes the variables whose names match this filter, and only those.
  const filter = new RegExp(e.NGINX_ENVSUBST_FILTER!);
  for (const v of used) t.regex(v, filter);
  for (const other of ['PATH', 'HOME', 'HOSTNAME', 'NGINX_VERSION', 'NJS_VERSION', 'PKG_RELEASE']) t.notRegex(other, filter);
  t.is(e.NGINX_ENVSUBST_OUTPUT_DIR, '/etc/nginx');
  const cp = copies(ins);
  t.true(cp.some((c) => c.sources.includes('nginx.conf.template') && c.dest === '/etc/nginx/templates/nginx.conf.template'));
  const include = /^\s*include\s+([^;\s]+);/m.exec(template)![1]!;
  t.true(cp.some((c) => c.sources.includes(include) && posix.join('/etc/nginx', include) === c.dest), `include ${include} is copied next to nginx.conf`);
  // What render-nginx.sh checks: plain values only.
  for (const v of used) t.notRegex(e[v]!, /[\s;{}$"'#\\]/, v);
  t.true(ins.some((i) => i.op === 'RUN' && i.args.includes(`mkdir -p ${e.NGINX_RUNTIME}/tmp`)), 'NGINX_RUNTIME/tmp exists');
});

test('every shipped launch of the proxy passes the same Node flags (proxy/src/node-flags.ts)', (t) => {
  const flags = PROXY_NODE_FLAGS.join(' ');
  t.true(flags.length > 0);
  const ins = instructions(join(repoRoot, 'Dockerfile'));
  const from = ins.findIndex((i) => i.op === 'FROM' && /\sAS\s+proxy$/i.test(i.args));
  t.true(from >= 0, 'a "proxy" stage');
  const end = ins.findIndex((i, n) => n > from && i.op === 'FROM');
  const entry = ins.slice(from, end < 0 ? undefined : end).find((i) => i.op === 'ENTRYPOINT');
  t.deepEqual(entry && JSON.parse(entry.args), ['node', ...PROXY_NODE_FLAGS, 'dist/proxy/src/main.js']);
  t.regex(readFileSync(join(repoRoot, 'scripts', 'demo.sh'), 'utf8'), new RegExp(`\\bnode ${flags} dist/proxy/src/main\\.js\\b`));
  t.is(readFileSync(join(repoRoot, 'proxy', 'src', 'main.ts'), 'utf8').split('\n')[0], `#!/usr/bin/env -S node ${flags}`);
});
