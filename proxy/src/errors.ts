import { ErrorType, type ErrorTypeValue } from './spans/attributes.js';

export interface Classified {
  readonly errorType: ErrorTypeValue;
  readonly status: number;
  readonly message: string;
}

const UNAVAILABLE = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'EADDRNOTAVAIL']);
const RESET = new Set(['ECONNRESET', 'EPIPE', 'ECONNABORTED', 'HPE_INVALID_CONSTANT', 'ERR_STREAM_PREMATURE_CLOSE']);

/** Maps an upstream failure to the error.type and status the user gets (design §5). */
export function classify(err: unknown, timedOut: boolean): Classified {
  const code = (err as { code?: string } | null)?.code ?? '';
  if (timedOut || code === 'ETIMEDOUT' || code === 'ESOCKETTIMEDOUT') {
    return { errorType: ErrorType.UPSTREAM_TIMEOUT, status: 504, message: 'upstream timed out' };
  }
  if (UNAVAILABLE.has(code)) return { errorType: ErrorType.UPSTREAM_UNAVAILABLE, status: 502, message: 'upstream unavailable' };
  if (RESET.has(code) || code.startsWith('HPE_')) return { errorType: ErrorType.UPSTREAM_RESET, status: 502, message: 'upstream connection reset' };
  return { errorType: ErrorType.UPSTREAM_UNAVAILABLE, status: 502, message: 'upstream error' };
}
