// Real audio bytes made on the spot for tests: a sine tone as 16-bit PCM WAV.
export interface WavOptions {
  readonly seconds: number;
  readonly rate: number;
  readonly channels?: number;
  readonly freq?: number;
  /** Insert a LIST chunk between fmt and data, as many encoders do. */
  readonly listChunk?: boolean;
  /** Insert a JUNK chunk of this many bytes between fmt and data, as writers that reserve room for a larger header do. */
  readonly junkBytes?: number;
}

export function makeWav(o: WavOptions): Buffer {
  const channels = o.channels ?? 1;
  const frames = Math.round(o.seconds * o.rate);
  const data = Buffer.alloc(frames * channels * 2);
  for (let i = 0; i < frames; i++) {
    const v = Math.round(Math.sin((2 * Math.PI * (o.freq ?? 440) * i) / o.rate) * 12000);
    for (let c = 0; c < channels; c++) data.writeInt16LE(v, (i * channels + c) * 2);
  }
  const junk = Buffer.alloc(o.junkBytes ? 8 + o.junkBytes + (o.junkBytes & 1) : 0);
  if (o.junkBytes) { junk.write('JUNK', 0); junk.writeUInt32LE(o.junkBytes, 4); }
  const list = Buffer.concat([o.listChunk ? Buffer.concat([Buffer.from('LIST'), Buffer.from([10, 0, 0, 0]), Buffer.from('INFOISFT\0\0')]) : Buffer.alloc(0), junk]);
  const h = Buffer.alloc(36);
  h.write('RIFF', 0); h.writeUInt32LE(36 + list.length + 8 + data.length - 8 + 8, 4); h.write('WAVE', 8);
  h.write('fmt ', 12); h.writeUInt32LE(16, 16); h.writeUInt16LE(1, 20); h.writeUInt16LE(channels, 22);
  h.writeUInt32LE(o.rate, 24); h.writeUInt32LE(o.rate * channels * 2, 28); h.writeUInt16LE(channels * 2, 32); h.writeUInt16LE(16, 34);
  const dataHeader = Buffer.alloc(8);
  dataHeader.write('data', 0); dataHeader.writeUInt32LE(data.length, 4);
  return Buffer.concat([h, list, dataHeader, data]);
}
