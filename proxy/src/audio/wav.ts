// RIFF/WAVE header reader for the streaming paths (uploads, base64 heads, file probes), where
// only the first bytes and the total size are known. Written by hand because the duration of a
// WAV must come from the bytes that really exist, not from the header's data-chunk size, which
// streaming writers set to 0 or 0xFFFFFFFF and a lying file sets to anything.

export interface WavInfo {
  readonly format: 'wav';
  readonly codec: string;
  readonly sampleRate: number;
  readonly channels: number;
  readonly bitsPerSample: number;
  /** Offset of the first sample byte. */
  readonly dataOffset: number;
  /** Data-chunk size as declared in the header (may be wrong). */
  readonly declaredDataBytes: number;
  readonly byteRate: number;
}

const CODECS: Readonly<Record<number, string>> = { 1: 'pcm', 3: 'pcm_float', 6: 'alaw', 7: 'mulaw', 0xfffe: 'extensible' };

/** Returns undefined when `head` does not start a valid WAV or the header needs more bytes. */
export function parseWavHeader(head: Buffer): WavInfo | undefined {
  if (head.length < 12 || head.toString('latin1', 0, 4) !== 'RIFF' || head.toString('latin1', 8, 12) !== 'WAVE') return undefined;
  let off = 12;
  let fmt: Omit<WavInfo, 'dataOffset' | 'declaredDataBytes' | 'format'> | undefined;
  while (off + 8 <= head.length) {
    const id = head.toString('latin1', off, off + 4);
    const size = head.readUInt32LE(off + 4);
    const body = off + 8;
    if (id === 'fmt ') {
      if (body + 16 > head.length) return undefined;
      const tag = head.readUInt16LE(body);
      const channels = head.readUInt16LE(body + 2);
      const sampleRate = head.readUInt32LE(body + 4);
      const byteRate = head.readUInt32LE(body + 8);
      const bitsPerSample = head.readUInt16LE(body + 14);
      if (!channels || !sampleRate || !byteRate) return undefined;
      fmt = { codec: CODECS[tag] ?? `0x${tag.toString(16)}`, channels, sampleRate, byteRate, bitsPerSample };
    } else if (id === 'data') {
      if (!fmt) return undefined;
      return { format: 'wav', ...fmt, dataOffset: body, declaredDataBytes: size };
    }
    // Chunks are word-aligned; a corrupt size that runs off the head ends the walk.
    off = body + size + (size & 1);
  }
  return undefined;
}

/** Duration from the bytes that exist: min(declared, actual) data bytes over the byte rate. */
export function wavDurationSeconds(info: WavInfo, totalBytes: number): number {
  const actual = Math.max(0, totalBytes - info.dataOffset);
  const declared = info.declaredDataBytes === 0 || info.declaredDataBytes === 0xffffffff ? actual : info.declaredDataBytes;
  return Math.min(actual, declared) / info.byteRate;
}
