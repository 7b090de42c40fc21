// The file the bench's downloads fetch: a generated utterance as a page fetches the speech it
// asked for (GET /gradio_api/file=…). Shared by the fake app that serves it and the checks that
// read it back.

/** A 16-bit mono WAV of 256 KiB: about 6 s at 22,050 Hz. */
export const WAV_FILE_BYTES = 256 << 10;

export function wavFile(): Buffer {
  const wav = Buffer.alloc(WAV_FILE_BYTES);
  wav.write('RIFF', 0, 'latin1');
  wav.writeUInt32LE(WAV_FILE_BYTES - 8, 4);
  wav.write('WAVEfmt ', 8, 'latin1');
  wav.writeUInt32LE(16, 16);
  wav.writeUInt16LE(1, 20); // PCM
  wav.writeUInt16LE(1, 22); // mono
  wav.writeUInt32LE(22_050, 24);
  wav.writeUInt32LE(44_100, 28); // bytes per second
  wav.writeUInt16LE(2, 32);
  wav.writeUInt16LE(16, 34);
  wav.write('data', 36, 'latin1');
  wav.writeUInt32LE(WAV_FILE_BYTES - 44, 40);
  return wav;
}

/** Whether a body read as text (invalid UTF-8 bytes become one replacement character each) is that file. */
export const isWavFile = (body: string): boolean => body.length === WAV_FILE_BYTES && body.startsWith('RIFF');
