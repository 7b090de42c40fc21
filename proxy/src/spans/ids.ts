// Span and trace ids for the proxy's tracer. Every request makes two to four spans, so ids are
// drawn from a pool of random bytes kept as lower-case hex: an id is one native slice of it.
// The SDK's RandomIdGenerator draws Math.random two to four times per id and writes each draw
// into a buffer before converting it, which a CPU profile of the join put at about 0.3 µs per id
// (issue 10); here one fill of the pool serves 512 span ids, from the operating system's CSPRNG.
//
// What it hands out is valid by construction (lower hex of the exact length, never all zero),
// so the tracer need not check again the ids it generated itself (tracer.ts, `idsTrusted`).
import { randomFillSync } from 'node:crypto';
import type { IdGenerator } from '@opentelemetry/sdk-trace-base';

const POOL_BYTES = 4096;
const ZEROS: Record<number, string> = { 16: '0'.repeat(16), 32: '0'.repeat(32) };

export class PooledIdGenerator implements IdGenerator {
  private readonly raw = Buffer.allocUnsafe(POOL_BYTES);
  /** `raw` as hex text, one byte per character. */
  private readonly hex = Buffer.allocUnsafe(POOL_BYTES * 2);
  private at = this.hex.length;

  /** `fill`: the random source (tests pass their own). */
  constructor(private readonly fill: (b: Buffer) => void = randomFillSync) {}

  generateTraceId(): string {
    return this.take(32);
  }

  generateSpanId(): string {
    return this.take(16);
  }

  private take(chars: number): string {
    for (;;) {
      if (this.at + chars > this.hex.length) this.refill();
      const id = this.hex.toString('latin1', this.at, this.at + chars);
      this.at += chars;
      // An all-zero id is invalid everywhere; its odds are 2^-64 per draw, but never hand it out.
      if (id !== ZEROS[chars]) return id;
    }
  }

  private refill(): void {
    this.fill(this.raw);
    this.hex.write(this.raw.toString('hex'), 0, 'latin1');
    this.at = 0;
  }
}
