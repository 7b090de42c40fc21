// A size-capped directory of encoded batches (design §5): where batches go when the backend is
// down and memory is full, or when a batch ran out of attempts, and from where they are replayed,
// oldest first, once the backend answers again. Files are written to a temporary name and
// renamed, so a crash leaves whole batches or nothing; batches left by an earlier run are
// replayed too. When full, the oldest batches are deleted first (they are counted as dropped).
// One directory per exporter per replica: a lock file refuses a second live process.
import { closeSync, mkdirSync, openSync, readdirSync, readFileSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { readFile, rename, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

export interface SpoolEntry {
  readonly name: string;
  readonly bytes: number;
  readonly spans: number;
  attempts: number;
  /**
   * An attempt went out whole and got no answer, so the backend may hold it already. Kept in the
   * file name (`u` after the attempts) when spooled so; one learnt during replay lives in memory.
   */
  maybeDelivered: boolean;
  readonly ext: string;
  /** Being sent: never evicted while busy. */
  busy: boolean;
}

export type SpoolDropReason = 'spool_full' | 'spool_error';

export class SpoolLockedError extends Error {
  readonly code = 'TTS_PROXY_ERR_SPOOL_LOCKED';
}

const NAME = /^(\d{16})-(\d+)-(\d+)(u?)\.([a-z.]+)$/;

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export class Spool {
  private readonly entries: SpoolEntry[] = [];
  private total = 0;
  private seq = 0;
  private chain: Promise<unknown> = Promise.resolve();
  private readonly lockPath: string;

  /** Opens (creating) `dir`, takes its lock, and indexes batches left by an earlier run. */
  constructor(readonly dir: string, readonly maxBytes: number, private readonly onDrop: (spans: number, reason: SpoolDropReason, maybeDelivered: boolean) => void) {
    mkdirSync(dir, { recursive: true });
    this.lockPath = join(dir, '.lock');
    this.lock();
    for (const f of readdirSync(dir).sort()) {
      if (f.endsWith('.tmp')) { try { unlinkSync(join(dir, f)); } catch { /* gone */ } continue; }
      const m = NAME.exec(f);
      if (!m) continue;
      const bytes = statSync(join(dir, f)).size;
      this.entries.push({ name: f, bytes, spans: Number(m[2]), attempts: Number(m[3]), maybeDelivered: m[4] === 'u', ext: m[5]!, busy: false });
      this.total += bytes;
      this.seq = Math.max(this.seq, Number(m[1]));
    }
  }

  private lock(): void {
    try {
      const fd = openSync(this.lockPath, 'wx');
      writeSync(fd, String(process.pid));
      closeSync(fd);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const pid = Number(readFileSync(this.lockPath, 'utf8').trim());
      if (pid && pid !== process.pid && alive(pid)) throw new SpoolLockedError(`spool ${this.dir} is in use by process ${pid}`);
      // A stale lock from a process that is gone: take it over.
      unlinkSync(this.lockPath);
      this.lock();
    }
  }

  get bytes(): number { return this.total; }
  get spans(): number { return this.entries.reduce((n, e) => n + e.spans, 0); }
  get size(): number { return this.entries.length; }

  /** File operations run one at a time, in call order. */
  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.chain.then(fn, fn);
    this.chain = next.catch(() => undefined);
    return next;
  }

  /** Stores a batch; false when it could not be stored (it was counted as dropped). */
  put(body: Uint8Array, spans: number, attempts: number, ext: string, maybeDelivered = false): Promise<boolean> {
    return this.serial(async () => {
      if (body.byteLength > this.maxBytes) {
        this.onDrop(spans, 'spool_full', maybeDelivered);
        return false;
      }
      // Oldest first, skipping a batch that is being sent right now.
      while (this.total + body.byteLength > this.maxBytes) {
        const i = this.entries.findIndex((e) => !e.busy);
        if (i < 0) break;
        const [old] = this.entries.splice(i, 1);
        this.total -= old!.bytes;
        await unlink(join(this.dir, old!.name)).catch(() => undefined);
        this.onDrop(old!.spans, 'spool_full', old!.maybeDelivered);
      }
      if (this.total + body.byteLength > this.maxBytes) {
        this.onDrop(spans, 'spool_full', maybeDelivered);
        return false;
      }
      const name = `${String(++this.seq).padStart(16, '0')}-${spans}-${attempts}${maybeDelivered ? 'u' : ''}.${ext}`;
      const tmp = join(this.dir, `${name}.tmp`);
      try {
        await writeFile(tmp, body);
        await rename(tmp, join(this.dir, name));
      } catch {
        await unlink(tmp).catch(() => undefined);
        this.onDrop(spans, 'spool_error', maybeDelivered);
        return false;
      }
      this.entries.push({ name, bytes: body.byteLength, spans, attempts, maybeDelivered, ext, busy: false });
      this.total += body.byteLength;
      return true;
    });
  }

  /** The oldest batch that is not being sent, marked busy, with its bytes. */
  take(): Promise<{ entry: SpoolEntry; body: Uint8Array } | undefined> {
    return this.serial(async () => {
      for (;;) {
        const entry = this.entries.find((e) => !e.busy);
        if (!entry) return undefined;
        try {
          const body = await readFile(join(this.dir, entry.name));
          entry.busy = true;
          return { entry, body };
        } catch {
          this.forget(entry);
          this.onDrop(entry.spans, 'spool_error', entry.maybeDelivered);
        }
      }
    });
  }

  /** The batch was delivered (or given up): delete it. */
  remove(entry: SpoolEntry): Promise<void> {
    return this.serial(async () => {
      this.forget(entry);
      await unlink(join(this.dir, entry.name)).catch(() => undefined);
    });
  }

  /** The batch failed again: keep it, not busy, with one more attempt recorded in memory. */
  release(entry: SpoolEntry): void {
    entry.busy = false;
    entry.attempts++;
  }

  private forget(entry: SpoolEntry): void {
    const i = this.entries.indexOf(entry);
    if (i < 0) return;
    this.entries.splice(i, 1);
    this.total -= entry.bytes;
  }

  /** Waits for pending writes and releases the lock; the batches stay for the next run. */
  async close(): Promise<void> {
    await this.serial(async () => undefined);
    try { unlinkSync(this.lockPath); } catch { /* gone */ }
  }
}
