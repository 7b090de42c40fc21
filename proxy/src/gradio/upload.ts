// Streaming multipart reader for Gradio's `/upload` (busboy), fed by the request tee. For each
// file part it keeps the first bytes for an audio probe and counts the rest; the file name is
// dropped (only its extension could matter, and the server path in the response identifies it).
import busboy from 'busboy';
import type { IncomingHttpHeaders } from 'node:http';
import { probeAudio, PROBE_HEAD_BYTES, type AudioMeta } from '../audio/probe.js';
import { guarded, guardedListener, Site } from '../guard.js';

export interface UploadedPart {
  readonly bytes: number;
  readonly meta?: AudioMeta;
}

export class UploadParser {
  readonly result: Promise<{ parts: UploadedPart[]; error?: string }>;
  private readonly bb?: busboy.Busboy;
  private failed?: string;
  private ended = false;

  constructor(headers: IncomingHttpHeaders) {
    let resolve!: (r: { parts: UploadedPart[]; error?: string }) => void;
    this.result = new Promise((r) => { resolve = r; });
    const probes: Promise<UploadedPart>[] = [];
    try {
      this.bb = busboy({ headers, limits: { files: 1000, parts: 2000, fieldSize: 64 * 1024, headerPairs: 100 } });
    } catch {
      this.failed = 'invalid_multipart';
      resolve({ parts: [], error: this.failed });
      return;
    }
    // busboy calls these from its own parsing, outside the tee's hook: each one is guarded.
    guardedListener(this.bb, 'file', Site.UPLOAD_PART, (_field: string, stream: NodeJS.ReadableStream) => {
      const head: Buffer[] = [];
      let kept = 0;
      let bytes = 0;
      probes.push(new Promise((done) => {
        // Always drained, even if counting fails: busboy waits for a file stream to be read.
        stream.on('data', guarded(Site.UPLOAD_PART, (c: Buffer) => {
          bytes += c.length;
          if (kept < PROBE_HEAD_BYTES) {
            const take = c.subarray(0, PROBE_HEAD_BYTES - kept);
            head.push(take);
            kept += take.length;
          }
        }));
        let finished = false;
        const finish = () => {
          if (finished) return;
          finished = true;
          probeAudio(Buffer.concat(head), bytes).then((meta) => done({ bytes, meta }), () => done({ bytes }));
        };
        guardedListener(stream as unknown as NodeJS.EventEmitter, 'close', Site.UPLOAD_PART, finish);
        // A form cut short errors its open file stream; unhandled, that would kill the process.
        guardedListener(stream as unknown as NodeJS.EventEmitter, 'error', Site.UPLOAD_PART, () => { this.failed = 'invalid_multipart'; finish(); });
      }));
    });
    const finish = () => { void Promise.all(probes).then((parts) => resolve({ parts, error: this.failed })); };
    guardedListener(this.bb, 'close', Site.UPLOAD_PART, finish);
    guardedListener(this.bb, 'error', Site.UPLOAD_PART, () => { this.failed = 'invalid_multipart'; finish(); });
  }

  feed(chunk: Buffer): void {
    if (!this.bb || this.failed) return;
    try {
      this.bb.write(chunk);
    } catch {
      this.failed = 'invalid_multipart';
    }
  }

  end(): void {
    if (!this.bb || this.ended) return;
    this.ended = true;
    try {
      this.bb.end();
    } catch {
      this.failed = 'invalid_multipart';
    }
  }
}
