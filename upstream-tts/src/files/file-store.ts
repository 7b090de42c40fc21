// Generated WAVs on disk, served by /gradio_api/file=. Like Gradio, a file lives at
// <dir>/<sha256 of its bytes>/<name>, and only paths this store wrote are ever served. The
// table is bounded by count and age; evicted files are deleted.
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

export interface StoredFile {
  readonly path: string;
  readonly size: number;
  readonly createdMs: number;
  readonly mimeType: string;
}

export interface FileStoreOptions {
  /** '' = a new temporary directory, removed by close(). */
  readonly dir: string;
  readonly maxFiles: number;
  readonly ttlMs: number;
}

export class FileStore {
  readonly dir: string;
  private readonly ownsDir: boolean;
  // Insertion order = age order: eviction takes from the front.
  private readonly files = new Map<string, StoredFile>();
  private readonly sweeper: NodeJS.Timeout;
  evictions = 0;

  constructor(private readonly options: FileStoreOptions) {
    this.ownsDir = options.dir === '';
    if (this.ownsDir) {
      this.dir = mkdtempSync(join(tmpdir(), 'upstream-tts-'));
    } else {
      this.dir = options.dir;
      mkdirSync(this.dir, { recursive: true });
    }
    this.sweeper = setInterval(() => this.sweep(), Math.min(options.ttlMs, 60_000)).unref();
  }

  /** Writes `bytes` as `<dir>/<sha256>/<name>` and returns its record. */
  async put(bytes: Buffer, name: string, mimeType: string): Promise<StoredFile> {
    const hash = createHash('sha256').update(bytes).digest('hex');
    const path = join(this.dir, hash, name);
    const existing = this.files.get(path);
    if (existing) {
      // Same bytes again (e.g. a one-sentence text's only chunk is also its whole WAV): refresh age.
      this.files.delete(path);
      const refreshed = { ...existing, createdMs: Date.now() };
      this.files.set(path, refreshed);
      return refreshed;
    }
    await mkdir(dirname(path), { recursive: true });
    await writeFile(path, bytes);
    const file: StoredFile = { path, size: bytes.length, createdMs: Date.now(), mimeType };
    this.files.set(path, file);
    while (this.files.size > this.options.maxFiles) this.evict(this.files.keys().next().value!);
    return file;
  }

  /** The record of a path this store wrote and still keeps, else undefined. */
  get(path: string): StoredFile | undefined {
    const file = this.files.get(path);
    if (file && Date.now() - file.createdMs > this.options.ttlMs) {
      this.evict(path);
      return undefined;
    }
    return file;
  }

  get size(): number {
    return this.files.size;
  }

  private evict(path: string): void {
    this.files.delete(path);
    this.evictions++;
    void rm(dirname(path), { recursive: true, force: true }).catch(() => undefined);
  }

  private sweep(): void {
    const cutoff = Date.now() - this.options.ttlMs;
    for (const [path, file] of this.files) {
      if (file.createdMs > cutoff) break;
      this.evict(path);
    }
  }

  close(): void {
    clearInterval(this.sweeper);
    if (this.ownsDir) rmSync(this.dir, { recursive: true, force: true });
  }
}
