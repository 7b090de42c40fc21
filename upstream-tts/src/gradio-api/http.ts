// Small request/response helpers shared by the route handlers.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { TtsError } from '../errors.js';

/** Request bodies are JSON of a few KB (the text limit is a few thousand characters). */
export const MAX_BODY_BYTES = 1 << 20;

export class BodyError extends Error {
  constructor(readonly status: number, readonly detail: unknown) {
    super(typeof detail === 'string' ? detail : JSON.stringify(detail));
  }
}

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

/** Reads a JSON object body; errors are shaped like FastAPI's 422 so clients show them as Gradio's. */
export async function readJsonObject(req: IncomingMessage): Promise<Record<string, unknown>> {
  const parts: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) throw new BodyError(413, { detail: `Request body larger than ${MAX_BODY_BYTES} bytes.` });
    parts.push(chunk);
  }
  let value: unknown;
  try {
    value = JSON.parse(Buffer.concat(parts).toString('utf8'));
  } catch (err) {
    throw new BodyError(422, {
      detail: [{ type: 'json_invalid', loc: ['body', 0], msg: 'JSON decode error', input: {}, ctx: { error: (err as Error).message } }],
    });
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new BodyError(422, { detail: [{ type: 'model_attributes_type', loc: ['body'], msg: 'Input should be a valid dictionary', input: value }] });
  }
  return value as Record<string, unknown>;
}

export function missingField(field: string, input: unknown): BodyError {
  return new BodyError(422, { detail: [{ type: 'missing', loc: ['body', field], msg: 'Field required', input }] });
}

function firstValue(header: string | string[] | undefined): string | undefined {
  const v = Array.isArray(header) ? header[0] : header;
  return v?.split(',')[0]?.trim() || undefined;
}

/**
 * The public base URL of the app as the client sees it, for absolute file URLs (Gradio 4.18+):
 * a reverse proxy's X-Forwarded-Host/-Proto win over Host, then the configured root path.
 */
export function rootUrl(req: IncomingMessage, rootPath: string): string {
  const host = firstValue(req.headers['x-forwarded-host']) ?? req.headers.host ?? 'localhost';
  const proto = firstValue(req.headers['x-forwarded-proto']) ?? 'http';
  return `${proto}://${host}${rootPath}`;
}

/** Gradio answers an unknown fn_index or api_name with an uncaught KeyError: plain-text 500. */
export function internalServerError(res: ServerResponse): void {
  res.writeHead(500, { 'content-type': 'text/plain; charset=utf-8', 'content-length': 21 });
  res.end('Internal Server Error');
}

/**
 * Answers a refused request: a bad body (FastAPI-style 4xx) or a full queue (503, Gradio's
 * wording). Anything else is a fault of ours, rethrown for the router's 500.
 */
export function sendBodyError(res: ServerResponse, err: unknown): void {
  if (err instanceof BodyError) sendJson(res, err.status, err.detail);
  else if (err instanceof TtsError && err.code === 'queue_full') sendJson(res, 503, { detail: err.message });
  else throw err;
}
