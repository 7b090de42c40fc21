// GET|HEAD /gradio_api/file=<path>: generated WAVs, with single byte ranges (audio players seek
// with them). Only paths the file store wrote are served; anything else is 403 like Gradio.
import { createReadStream } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { FileStore } from '../files/file-store.js';
import { sendJson } from './http.js';

export type ByteRange = { start: number; end: number } | 'unsatisfiable' | undefined;

/**
 * Parses a Range header against a file of `size` bytes (RFC 9110 §14.1.2). Returns undefined
 * when the header is absent or not one byte range (then the whole file is sent, as the RFC
 * allows), or 'unsatisfiable' for a range that starts past the end.
 */
export function parseRange(header: string | undefined, size: number): ByteRange {
  if (!header) return undefined;
  const m = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!m || (m[1] === '' && m[2] === '')) return undefined;
  if (m[1] === '') {
    // Suffix range: the last N bytes.
    const n = Number(m[2]);
    if (n === 0) return 'unsatisfiable';
    return { start: Math.max(0, size - n), end: size - 1 };
  }
  const start = Number(m[1]);
  const end = m[2] === '' ? size - 1 : Math.min(Number(m[2]), size - 1);
  if (start >= size) return 'unsatisfiable';
  if (end < start) return undefined;
  return { start, end };
}

export function serveFile(req: IncomingMessage, res: ServerResponse, rawPath: string, files: FileStore): void {
  let path: string;
  try {
    path = decodeURIComponent(rawPath);
  } catch {
    path = rawPath;
  }
  const file = files.get(path);
  if (!file) {
    sendJson(res, 403, { detail: `File not allowed: ${path}.` });
    return;
  }
  const common = {
    'content-type': file.mimeType,
    'accept-ranges': 'bytes',
    'content-disposition': `inline; filename="${path.slice(path.lastIndexOf('/') + 1)}"`,
    'last-modified': new Date(file.createdMs).toUTCString(),
    // The path contains the content's sha256: the bytes behind a URL never change.
    etag: `"${path.split('/').at(-2)}"`,
  };
  const range = parseRange(req.headers.range, file.size);
  if (range === 'unsatisfiable') {
    res.writeHead(416, { 'content-range': `bytes */${file.size}`, 'content-length': 0 });
    res.end();
    return;
  }
  const { start, end } = range ?? { start: 0, end: file.size - 1 };
  const headers: Record<string, string | number> = { ...common, 'content-length': end - start + 1 };
  if (range) headers['content-range'] = `bytes ${start}-${end}/${file.size}`;
  res.writeHead(range ? 206 : 200, headers);
  if (req.method === 'HEAD' || file.size === 0) {
    res.end();
    return;
  }
  const stream = createReadStream(path, { start, end });
  // Evicted between lookup and read: the headers are out, so all that is left is to cut it short.
  stream.on('error', () => res.destroy());
  stream.pipe(res);
}
