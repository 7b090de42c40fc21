// Server-sent-event framing as Gradio writes it: `data: <json>` + blank line on queue/data
// (pydantic's compact JSON), `event: <name>` + `data: <json>` on call/ streams (Python's
// json.dumps: ", " and ": " separators, non-ASCII escaped).
import type { ServerResponse } from 'node:http';

/** Starts an SSE response with the headers Gradio 6 sends (content type only). */
export function openSse(res: ServerResponse): void {
  res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8' });
  res.flushHeaders();
}

export function dataFrame(message: unknown): string {
  return `data: ${JSON.stringify(message)}\n\n`;
}

export function namedFrame(event: string, data: unknown): string {
  return `event: ${event}\ndata: ${pythonJson(data)}\n\n`;
}

/** JSON text as Python's `json.dumps(value)` with default arguments prints it. */
export function pythonJson(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  if (typeof value === 'string') {
    return JSON.stringify(value).replace(/[\u0080-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
  }
  if (typeof value === 'number' || typeof value === 'boolean') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(pythonJson).join(', ')}]`;
  const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined);
  return `{${entries.map(([k, v]) => `${pythonJson(k)}: ${pythonJson(v)}`).join(', ')}}`;
}
