// A minimal Zipkin-compatible span sink: accepts POST /api/v2/spans (Zipkin v2 JSON, the format
// the proxy's exporter sends), answers 202 like Zipkin, and counts spans. It runs inside the
// bench's orchestrating process, which is otherwise idle while a measurement runs (the load
// generator is its own child process), so the sink's parsing does not disturb the load
// generator's event loop; its CPU still comes out of the same 2 cores, as a real local Zipkin's
// would, and the bench reports it.
import { createServer, type Server } from 'node:http';

export interface SpanSink {
  /** Base URL; the exporter endpoint is `${url}/api/v2/spans`. */
  readonly url: string;
  /** Spans received so far. */
  spans(): number;
  /** POST batches received so far. */
  batches(): number;
  /** Bodies that were not a JSON array (answered 400). */
  rejected(): number;
  close(): Promise<void>;
}

export function startSink(): Promise<SpanSink> {
  let spans = 0;
  let batches = 0;
  let rejected = 0;
  const server: Server = createServer((req, res) => {
    if (req.method !== 'POST' || !req.url?.startsWith('/api/v2/spans')) {
      res.writeHead(404).end();
      return;
    }
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      // Parse for real (not a substring count): a batch that is not a span list should show.
      let parsed: unknown;
      try {
        parsed = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      } catch {
        parsed = undefined;
      }
      if (!Array.isArray(parsed)) {
        rejected += 1;
        res.writeHead(400).end();
        return;
      }
      spans += parsed.length;
      batches += 1;
      res.writeHead(202).end();
    });
  });
  server.keepAliveTimeout = 65_000;
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      resolve({
        url: `http://127.0.0.1:${port}`,
        spans: () => spans,
        batches: () => batches,
        rejected: () => rejected,
        close: () =>
          new Promise<void>((done) => {
            server.close(() => done());
            server.closeAllConnections();
          }),
      });
    });
  });
}
