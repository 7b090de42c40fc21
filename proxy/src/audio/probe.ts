// Audio metadata from the first bytes of a file plus its total size: the only view a streaming
// proxy has. WAV is read by hand (audio/wav.ts); everything else by music-metadata, which
// estimates MP3 duration from the frame header and file size, and reads FLAC's STREAMINFO.
import { parseBuffer } from 'music-metadata';
import { parseWavHeader, wavDurationSeconds } from './wav.js';

export interface AudioMeta {
  readonly format: string;
  readonly codec?: string;
  readonly durationS?: number;
  readonly sampleRate?: number;
  readonly channels?: number;
  readonly bytes: number;
}

/** How many leading bytes callers should keep for probing. */
export const PROBE_HEAD_BYTES = 256 * 1024;

function sniff(head: Buffer): string | undefined {
  const tag = head.toString('latin1', 0, 4);
  if (tag === 'RIFF' && head.toString('latin1', 8, 12) === 'WAVE') return 'wav';
  if (tag === 'fLaC') return 'flac';
  if (tag === 'OggS') return 'ogg';
  if (head.toString('latin1', 0, 3) === 'ID3' || (head[0] === 0xff && ((head[1] ?? 0) & 0xe0) === 0xe0 && ((head[1] ?? 0) & 0x06) !== 0)) {
    // ADTS AAC also starts 0xFFF, with layer bits 00 (MPEG audio layers are non-zero).
    return 'mp3';
  }
  if (head[0] === 0xff && ((head[1] ?? 0) & 0xf6) === 0xf0) return 'aac';
  if (head.toString('latin1', 4, 8) === 'ftyp') return 'm4a';
  if (head.toString('latin1', 0, 4) === '\x1aE\xdf\xa3') return 'webm';
  return undefined;
}

const MIME: Readonly<Record<string, string>> = {
  mp3: 'audio/mpeg', flac: 'audio/flac', ogg: 'audio/ogg', aac: 'audio/aac', m4a: 'audio/mp4', webm: 'audio/webm',
};

/** Never throws: unknown or corrupt input yields the bytes and whatever could be read. */
export async function probeAudio(head: Buffer, totalBytes: number): Promise<AudioMeta | undefined> {
  const format = sniff(head);
  if (!format) return undefined;
  if (format === 'wav') {
    const w = parseWavHeader(head);
    if (!w) return { format, bytes: totalBytes };
    return { format, codec: w.codec, sampleRate: w.sampleRate, channels: w.channels, durationS: wavDurationSeconds(w, totalBytes), bytes: totalBytes };
  }
  try {
    const m = await parseBuffer(head, { mimeType: MIME[format], size: totalBytes }, { duration: false, skipCovers: true, skipPostHeaders: true });
    const complete = head.length >= totalBytes;
    const f = m.format;
    // Ogg/WebM durations need the end of the stream; trust them only when all bytes were seen.
    const durationOk = f.duration !== undefined && Number.isFinite(f.duration) && (complete || format === 'mp3' || format === 'flac' || format === 'm4a');
    return {
      format,
      codec: f.codec?.toLowerCase(),
      sampleRate: f.sampleRate,
      channels: f.numberOfChannels,
      durationS: durationOk ? f.duration : undefined,
      bytes: totalBytes,
    };
  } catch {
    return { format, bytes: totalBytes };
  }
}

/**
 * 3.x inline audio: `data:audio/wav;base64,…`. Only the head is decoded; the total byte count
 * follows from the base64 length, so the duration needs no full decode.
 */
export async function probeDataUrl(head: string, totalChars: number): Promise<AudioMeta | undefined> {
  const m = /^data:([^;,]*)(;[^,]*)?;base64,/.exec(head);
  if (!m) return undefined;
  const b64Chars = totalChars - m[0].length;
  const bytes = Math.floor((b64Chars * 3) / 4) - (head.endsWith('==') ? 2 : head.endsWith('=') ? 1 : 0);
  const body = head.slice(m[0].length);
  const decoded = Buffer.from(body.slice(0, body.length - (body.length % 4)), 'base64');
  return probeAudio(decoded, Math.max(bytes, decoded.length));
}
