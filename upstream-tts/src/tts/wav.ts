// Canonical 44-byte RIFF/WAVE header for mono 16-bit PCM, little-endian (what Python's `wave`
// module and Piper's wavfile.hpp write).
import { endianness } from 'node:os';

// WAV samples are little-endian; on a little-endian host an Int16Array's bytes already are.
const HOST_IS_LE = endianness() === 'LE';

export const WAV_HEADER_BYTES = 44;

export function wavHeader(dataBytes: number, sampleRate: number): Buffer {
  const h = Buffer.alloc(WAV_HEADER_BYTES);
  h.write('RIFF', 0, 'ascii');
  h.writeUInt32LE(36 + dataBytes, 4);
  h.write('WAVE', 8, 'ascii');
  h.write('fmt ', 12, 'ascii');
  h.writeUInt32LE(16, 16); // fmt chunk size
  h.writeUInt16LE(1, 20); // PCM
  h.writeUInt16LE(1, 22); // mono
  h.writeUInt32LE(sampleRate, 24);
  h.writeUInt32LE(sampleRate * 2, 28); // byte rate
  h.writeUInt16LE(2, 32); // block align
  h.writeUInt16LE(16, 34); // bits per sample
  h.write('data', 36, 'ascii');
  h.writeUInt32LE(dataBytes, 40);
  return h;
}

/** A WAV file from PCM chunks, with `silenceSamples` of silence between consecutive chunks. */
export function encodeWav(chunks: readonly Int16Array[], sampleRate: number, silenceSamples = 0): Buffer {
  const gaps = Math.max(0, chunks.length - 1) * silenceSamples;
  const samples = chunks.reduce((n, c) => n + c.length, 0) + gaps;
  const out = Buffer.alloc(WAV_HEADER_BYTES + samples * 2);
  wavHeader(samples * 2, sampleRate).copy(out, 0);
  let offset = WAV_HEADER_BYTES;
  chunks.forEach((chunk, i) => {
    if (i > 0) offset += silenceSamples * 2; // Buffer.alloc is zero-filled: silence
    if (HOST_IS_LE) {
      out.set(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength), offset);
      offset += chunk.byteLength;
    } else {
      for (let j = 0; j < chunk.length; j++, offset += 2) out.writeInt16LE(chunk[j]!, offset);
    }
  });
  return out;
}

export interface WavInfo {
  readonly sampleRate: number;
  readonly channels: number;
  readonly bitsPerSample: number;
  readonly dataBytes: number;
  readonly seconds: number;
}

/** Parses a canonical header and checks its sizes against the buffer; throws on any mismatch. */
export function parseWav(buf: Buffer): WavInfo {
  if (buf.length < WAV_HEADER_BYTES) throw new Error(`WAV too short: ${buf.length} bytes`);
  if (buf.toString('ascii', 0, 4) !== 'RIFF' || buf.toString('ascii', 8, 12) !== 'WAVE') throw new Error('not a RIFF/WAVE file');
  if (buf.readUInt32LE(4) !== buf.length - 8) throw new Error(`RIFF size ${buf.readUInt32LE(4)} != file size - 8 (${buf.length - 8})`);
  if (buf.toString('ascii', 12, 16) !== 'fmt ' || buf.readUInt16LE(20) !== 1) throw new Error('not PCM');
  const channels = buf.readUInt16LE(22);
  const sampleRate = buf.readUInt32LE(24);
  const bitsPerSample = buf.readUInt16LE(34);
  if (buf.readUInt32LE(28) !== sampleRate * channels * (bitsPerSample / 8)) throw new Error('byte rate inconsistent');
  if (buf.toString('ascii', 36, 40) !== 'data') throw new Error('no data chunk at offset 36');
  const dataBytes = buf.readUInt32LE(40);
  if (dataBytes !== buf.length - WAV_HEADER_BYTES) throw new Error(`data size ${dataBytes} != ${buf.length - WAV_HEADER_BYTES}`);
  return { sampleRate, channels, bitsPerSample, dataBytes, seconds: dataBytes / (sampleRate * channels * (bitsPerSample / 8)) };
}

/** The samples of a mono 16-bit WAV. */
export function wavSamples(buf: Buffer): Int16Array {
  const info = parseWav(buf);
  const out = new Int16Array(info.dataBytes / 2);
  for (let i = 0; i < out.length; i++) out[i] = buf.readInt16LE(WAV_HEADER_BYTES + i * 2);
  return out;
}
