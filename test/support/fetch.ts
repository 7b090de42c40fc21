// fetch as a browser behaves on a kept-alive connection. A server may close an idle connection
// at the moment the client reuses it (uvicorn and Node both time idle connections out after 5 s;
// a client whose timers run late on a busy machine sends into the closing socket). Browsers
// resend a request that failed on a reused connection before any answer byte; undici's fetch
// does not, so a test would fail for a race that is not the server's fault.

const STALE = new Set(['UND_ERR_SOCKET', 'ECONNRESET', 'EPIPE', 'UND_ERR_CLOSED']);

/** The error code under fetch's TypeError('fetch failed'), if any. */
export const causeCode = (err: unknown): string | undefined => {
  const cause = (err as { cause?: { code?: unknown } } | undefined)?.cause;
  return typeof cause?.code === 'string' ? cause.code : undefined;
};

/** fetch, resent once when the connection failed before the answer began (the body must be replayable). */
export async function fetchResending(url: string, init: RequestInit = {}): Promise<Response> {
  try {
    return await fetch(url, init);
  } catch (err) {
    const code = causeCode(err);
    if (!code || !STALE.has(code) || init.signal?.aborted) throw err;
    if (init.body !== undefined && init.body !== null && typeof init.body !== 'string') throw err;
    return fetch(url, init);
  }
}
