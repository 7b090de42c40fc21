// The file the bench's downloads fetch: a generated utterance as a page fetches the speech it
// asked for (GET /gradio_api/file=…). Shared by the fake app that serves it and the checks that
// read it back.
import { makeWav } from '../test/support/audio.js';

/**
 * A 16-bit mono WAV at 16 kHz, 256 KiB of samples (8.192 s) behind its 44-byte header. Silent:
 * the load generator checks bodies as text (autocannon decodes them), and silence decodes one
 * character per byte, so the length check below holds.
 */
export const wavFile = (): Buffer => makeWav({ seconds: 8.192, rate: 16_000, freq: 0 });

export const WAV_FILE_BYTES = wavFile().length;

/** Whether a body read as text (invalid UTF-8 bytes become one replacement character each) is that file. */
export const isWavFile = (body: string): boolean => body.length === WAV_FILE_BYTES && body.startsWith('RIFF');
