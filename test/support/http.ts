// Raw HTTP client for byte-level comparisons: no decompression, no redirects, chunk timings kept.
import { request, type IncomingHttpHeaders, type OutgoingHttpHeaders } from 'node:http';
import type { Readable } from 'node:stream';

export interface RawResponse {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: Buffer;
  readonly chunks: number;
}

export interface RawOptions {
  readonly method?: string;
  readonly headers?: OutgoingHttpHeaders;
  readonly body?: Buffer | Readable;
  /** Called with each response chunk as it arrives. */
  readonly onChunk?: (chunk: Buffer) => void;
  /** Connect to this unix socket instead of the URL's host (the URL still gives the path). */
  readonly socketPath?: string;
}

export function raw(url: string, opts: RawOptions = {}): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: opts.method ?? (opts.body ? 'POST' : 'GET'), headers: opts.headers, agent: false, socketPath: opts.socketPath }, (res) => {
      const parts: Buffer[] = [];
      res.on('data', (c: Buffer) => { parts.push(c); opts.onChunk?.(c); });
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(parts), chunks: parts.length }));
      res.on('error', reject);
    });
    req.on('error', reject);
    if (!opts.body) req.end();
    else if (Buffer.isBuffer(opts.body)) req.end(opts.body);
    else opts.body.pipe(req);
  });
}
