// A fake app that answers every request with what it received (method, target, raw headers,
// trailers, body digest), so a test can compare the forwarded request byte for byte.
import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Received {
  readonly method: string;
  readonly url: string;
  readonly httpVersion: string;
  readonly rawHeaders: string[];
  readonly rawTrailers: string[];
  readonly body: string;
}

export interface EchoUpstream {
  readonly url: string;
  readonly port: number;
  readonly received: Received[];
  close(): Promise<void>;
}

/**
 * Routes: `/trailers` answers chunked with a trailer; `/trailer-without-chunks` announces a
 * Trailer on a Content-Length body (the raw head is written by hand); `/overlong` sends more
 * than its Content-Length; `/refuse-upgrade` answers 403 chunked; `/hang` never answers; `/refuse-upgrade-short` dies
 * mid-body; `/slow` echoes after 300 ms; `/repeated` answers with repeated Server, ETag and Content-Type lines; `/big` with 4 MiB;
 * anything else echoes.
 */
function echo(res: ServerResponse, got: Received): void {
  const body = JSON.stringify(got);
  res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

export async function startEchoUpstream(): Promise<EchoUpstream> {
  const received: Received[] = [];
  const server: Server = createServer((req: IncomingMessage, res) => {
    const parts: Buffer[] = [];
    req.on('data', (c: Buffer) => parts.push(c));
    req.on('end', () => {
      const got: Received = {
        method: req.method ?? '', url: req.url ?? '', httpVersion: req.httpVersion,
        rawHeaders: req.rawHeaders, rawTrailers: req.rawTrailers, body: Buffer.concat(parts).toString('latin1'),
      };
      received.push(got);
      if (req.url === '/hang') return;
      if (req.url === '/slow') return void setTimeout(() => echo(res, got), 300);
      if (req.url === '/big') return void res.writeHead(200, { 'content-type': 'text/plain', 'content-length': String(4 << 20) }).end(Buffer.alloc(4 << 20, 'x'));
      if (req.url === '/repeated') {
        // Fields whose repeats Node's parser keeps only the first of (IncomingMessage.headers).
        res.writeHead(200, [['Server', 'one'], ['Server', 'two'], ['ETag', '"a"'], ['ETag', '"b"'], ['Content-Type', 'text/plain'], ['Content-Type', 'text/html'], ['Content-Length', '2']].flat());
        return void res.end('ok');
      }
      if (req.url === '/trailer-without-chunks') {
        // Announces a trailer on a Content-Length body, where none can follow (seen from the fuzzer).
        // Node's own server refuses to write such a head, so it goes out raw; the socket is not reused.
        req.socket.end('HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 4\r\nTrailer: X-Sum\r\nConnection: close\r\n\r\nbody');
        return;
      }
      if (req.url === '/overlong') {
        // More body than the Content-Length says; the excess is garbage on the keep-alive socket.
        req.socket.write('HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n[]{"extra":true}');
        return;
      }
      if (req.url === '/refuse-upgrade-short') {
        // A refusal whose body falls short of its Content-Length: the app dies mid-body.
        req.socket.end('HTTP/1.1 403 Forbidden\r\nContent-Type: text/plain\r\nContent-Length: 10\r\n\r\nno');
        return;
      }
      if (req.url === '/refuse-upgrade') {
        // A websocket handshake answered with an ordinary chunked body.
        res.writeHead(403, { 'content-type': 'text/plain', 'x-latin': '\xfb\xab' });
        res.write('no');
        return void setTimeout(() => res.end(' way'), 20);
      }
      if (req.url === '/trailers') {
        res.writeHead(200, { 'content-type': 'text/plain', trailer: 'x-checksum' });
        res.write('part one;');
        res.addTrailers({ 'x-checksum': 'sha256=' + createHash('sha256').update('part one;').digest('hex') });
        return void res.end();
      }
      echo(res, got);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`, port, received,
    close: () => new Promise((r) => { server.closeAllConnections(); server.close(() => r()); }),
  };
}
