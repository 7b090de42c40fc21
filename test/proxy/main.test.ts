// The CLI's start: with port 0 the system picks the ports, and the `listening` line says which.
import test from 'ava';
import { spawn } from 'node:child_process';
import { MAIN } from '../support/proxy.js';
import { PROXY_NODE_FLAGS } from '../../proxy/src/node-flags.js';

test('--listen and --admin on port 0: the listening line gives the ports really bound', async (t) => {
  const child = spawn(process.execPath, [...PROXY_NODE_FLAGS, MAIN, '--upstream', 'http://127.0.0.1:9', '--listen', '127.0.0.1:0', '--admin', '127.0.0.1:0'],
    { env: { ...process.env, OTEL_TRACES_EXPORTER: 'none', TTS_PROXY_ACCESS_LOG: 'off' }, stdio: ['ignore', 'ignore', 'pipe'] });
  try {
    const line = await new Promise<Record<string, string>>((resolve, reject) => {
      let err = '';
      child.stderr!.on('data', (c: Buffer) => {
        err += c.toString();
        const found = err.split('\n').find((l) => l.includes('"listening"'));
        if (found) resolve(JSON.parse(found) as Record<string, string>);
      });
      child.on('exit', (code) => reject(new Error(`exited (${code}): ${err}`)));
    });
    const [listen, admin] = [line.listen!, line.admin!].map((a) => Number(/:(\d+)$/.exec(a)![1]));
    t.true(listen! > 0 && admin! > 0, JSON.stringify(line));
    t.not(listen, admin);
    t.is((await fetch(`http://127.0.0.1:${admin}/healthz`)).status, 200);
    // The listen port is the proxy's: an answer comes from it (502: nothing upstream).
    t.is((await fetch(`http://127.0.0.1:${listen}/`)).status, 502);
  } finally {
    child.kill('SIGKILL');
  }
});
