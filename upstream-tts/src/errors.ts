// Every failure the worker reports has a stable code; `classify` maps anything thrown to one.
// Codes double as the `error.type` span attribute, so they stay low-cardinality.

export const ERROR_CODES = [
  'text_empty', 'text_too_long', 'text_control_chars', 'text_emoji', 'text_unsupported_chars',
  'text_unspeakable', 'input_invalid', 'voice_invalid', 'phonemizer_failed', 'inference_failed',
  'worker_crashed', 'cancelled', 'queue_full', 'internal',
] as const;
export type ErrorCode = (typeof ERROR_CODES)[number];

/** Errors caused by the request (the user can fix them); everything else is the server's. */
const USER_ERRORS: ReadonlySet<ErrorCode> = new Set([
  'text_empty', 'text_too_long', 'text_control_chars', 'text_emoji', 'text_unsupported_chars',
  'text_unspeakable', 'input_invalid',
]);

export class TtsError extends Error {
  override readonly name = 'TtsError';
  constructor(readonly code: ErrorCode, message: string) {
    super(message);
  }
  get isUserError(): boolean {
    return USER_ERRORS.has(this.code);
  }
}

export function classify(err: unknown): TtsError {
  if (err instanceof TtsError) return err;
  return new TtsError('internal', err instanceof Error ? err.message : String(err));
}
