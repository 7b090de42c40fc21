// A scripted HTTP upstream for proxy tests (a fake app is fine for the proxy's own behaviour;
// "works with Gradio" tests use real Gradio). Every response body is deterministic so tests can
// compare hashes fetched directly and through the proxy.
import { createHash, randomBytes } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { gzipSync } from 'node:zlib';
import { freePort } from './ports.js';

export interface SeenRequest {
  readonly method: string;
  readonly url: string;
  readonly headers: IncomingHttpHeaders;
  readonly rawHeaders: readonly string[];
  readonly bodySha256: string;
  readonly bodyBytes: number;
  readonly aborted: boolean;
  /** Date.now() when the first body byte arrived (undefined for an empty body). */
  readonly firstDataAt?: number;
}

export interface Upstream {
  readonly url: string;
  readonly server: Server;
  readonly seen: SeenRequest[];
  /** Resolves the gate that holds /sse/gated after its first event. */
  releaseGate(): void;
  close(): Promise<void>;
}

export const WAV = makeWav(3 * 16000, 16000);
export const JSON_BODY = Buffer.from(JSON.stringify({ data: ['héllo wörld ✓', 1.5, null], fn_index: 0, session_hash: 'abc123' }));
export const GZIP_BODY = gzipSync(Buffer.from('{"text":"' + 'compressible '.repeat(2000) + '"}'));

function makeWav(samples: number, rate: number): Buffer {
  const data = randomBytes(samples * 2);
  const h = Buffer.alloc(44);
  h.write('RIFF', 0); h.writeUInt32LE(36 + data.length, 4); h.write('WAVE', 8);
  h.write('fmt ', 12); h.writeUInt32LE(16, 16); h.writeUInt16LE(1, 20); h.writeUInt16LE(1, 22);
  h.writeUInt32LE(rate, 24); h.writeUInt32LE(rate * 2, 28); h.writeUInt16LE(2, 32); h.writeUInt16LE(16, 34);
  h.write('data', 36); h.writeUInt32LE(data.length, 40);
  return Buffer.concat([h, data]);
}

export const sha256 = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');

export async function startUpstream(): Promise<Upstream> {
  const seen: SeenRequest[] = [];
  let release: () => void = () => undefined;
  let gate = new Promise<void>((r) => { release = r; });
  const server = createServer((req, res) => {
    const hash = createHash('sha256');
    let bytes = 0;
    let aborted = false;
    let firstDataAt: number | undefined;
    req.on('data', (c: Buffer) => { firstDataAt ??= Date.now(); hash.update(c); bytes += c.length; });
    res.on('close', () => { if (!res.writableFinished) aborted = true; record(); });
    let recorded = false;
    const record = () => {
      if (recorded) return;
      recorded = true;
      seen.push({ method: req.method!, url: req.url!, headers: req.headers, rawHeaders: req.rawHeaders, bodySha256: hash.copy().digest('hex'), bodyBytes: bytes, aborted, firstDataAt });
    };
    req.on('end', () => {
      const path = req.url!.split('?')[0];
      switch (path) {
        case '/json':
          res.writeHead(200, { 'content-type': 'application/json', 'x-custom': 'kept' }).end(JSON_BODY);
          return record();
        case '/echo':
          res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ sha256: hash.copy().digest('hex'), bytes }));
          return record();
        case '/gzip':
          res.writeHead(200, { 'content-type': 'application/json', 'content-encoding': 'gzip', 'content-length': GZIP_BODY.length }).end(GZIP_BODY);
          return record();
        case '/audio.wav': {
          const range = /^bytes=(\d+)-(\d*)$/.exec(String(req.headers.range ?? ''));
          if (range) {
            const start = Number(range[1]);
            const end = range[2] ? Math.min(Number(range[2]), WAV.length - 1) : WAV.length - 1;
            res.writeHead(206, { 'content-type': 'audio/wav', 'accept-ranges': 'bytes', 'content-range': `bytes ${start}-${end}/${WAV.length}`, 'content-length': end - start + 1 });
            res.end(WAV.subarray(start, end + 1));
          } else {
            res.writeHead(200, { 'content-type': 'audio/wav', 'accept-ranges': 'bytes', 'content-length': WAV.length }).end(WAV);
          }
          return record();
        }
        case '/sse':
        case '/sse/gated': {
          res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8' });
          res.write('data: {"msg":"estimation","rank":0}\n\n');
          const rest = async () => {
            if (path === '/sse/gated') await gate;
            for (let i = 0; i < 5; i++) {
              await new Promise((r) => setTimeout(r, 20));
              res.write(`data: {"msg":"process_generating","i":${i},"pad":"${'x'.repeat(i * 100)}"}\n\n`);
            }
            res.end('data: {"msg":"process_completed","success":true}\n\n');
          };
          void rest();
          return;
        }
        case '/hang':
          res.writeHead(200, { 'content-type': 'text/event-stream' });
          res.write('data: first\n\n');
          return; // never ends: used for client-abort tests
        case '/status/500':
          res.writeHead(500, { 'content-type': 'text/plain' }).end('boom');
          return record();
        default:
          res.writeHead(404).end('not found');
          return record();
      }
    });
  });
  const port = await freePort();
  await new Promise<void>((r) => server.listen(port, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${port}`, server, seen,
    releaseGate: () => { release(); gate = new Promise<void>((r) => { release = r; }); },
    close: () => new Promise((r) => { server.closeAllConnections(); server.close(() => r()); }),
  };
}
