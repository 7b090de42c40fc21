// What the proxy does to every answer from the app before http-proxy copies it to the client,
// observed or not: hop-by-hop fields go, repeated fields come back, trailers are relayed where
// the client can take them, the client connection's own keep-alive is stated, and an answer the
// app cut short cuts the client's connection too.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { connectionFieldFor } from './connection-end.js';
import { keepsResponseTrailer, responseFieldsToForward } from './hop-by-hop.js';
import { restoreRepeatedFields } from './repeated-fields.js';
import { relayResponseTrailers } from './trailers.js';

/** `onCut` runs when the app's answer ends before its body, just before the client's is closed. */
export function applyResponsePolicy(proxyRes: IncomingMessage, req: IncomingMessage, res: ServerResponse, onCut?: () => void): void {
  // A new object (IncomingMessage.headers has a setter): what http-proxy reads and copies from here on.
  proxyRes.headers = responseFieldsToForward(proxyRes.headers, keepsResponseTrailer(proxyRes.headers, req.httpVersion));
  restoreRepeatedFields(proxyRes.headers, proxyRes.rawHeaders);
  // Our connection with the client is not the app's; http-proxy copies this field into the answer.
  proxyRes.headers.connection = connectionFieldFor(res);
  // For an HTTP/1.0 client http-proxy copies the client's own Connection value into the answer
  // (tokens it lists, and `keep-alive` beside `close`, included); it reads it from here.
  if (req.httpVersion === '1.0') req.headers.connection = proxyRes.headers.connection;
  relayResponseTrailers(proxyRes, res);
  // http-proxy's pipe would leave the client waiting, or with a Content-Length it can never
  // reach, so the client's connection is closed too.
  proxyRes.on('close', () => {
    if (proxyRes.complete) return;
    onCut?.();
    res.destroy();
  });
}
