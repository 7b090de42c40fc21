// The `file` exporter: spans appended to one file that stays a valid Zipkin v2 JSON array, so
// Zipkin's UI ("Upload JSON") or its API can load it later — the demo's fallback when no Java
// runs a Zipkin. Writes are queued and asynchronous: never on a request's path.
import { open, type FileHandle } from 'node:fs/promises';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import type { Codec } from './codecs.js';

export class ZipkinFileSink {
  private chain: Promise<void>;
  private handle?: FileHandle;
  /** Bytes in the file; the closing `]` is always the last one. */
  private size = 0;

  constructor(private readonly path: string, private readonly codec: Codec, private readonly onError: (err: unknown) => void) {
    this.chain = this.init();
  }

  private async init(): Promise<void> {
    this.handle = await open(this.path, 'w');
    await this.handle.write('[]', 0);
    this.size = 2;
  }

  add(spans: ReadableSpan[]): void {
    if (!spans.length) return;
    const array = Buffer.from(this.codec.encode(spans)); // "[{…},{…}]"
    this.chain = this.chain.then(async () => {
      if (!this.handle) return;
      const inner = array.subarray(1, array.length - 1);
      const piece = Buffer.concat([Buffer.from(this.size > 2 ? ',' : ''), inner, Buffer.from(']')]);
      await this.handle.write(piece, 0, piece.length, this.size - 1);
      this.size += piece.length - 1;
    }).catch(this.onError);
  }

  async close(): Promise<void> {
    await this.chain;
    await this.handle?.close();
    this.handle = undefined;
  }
}
