// The rest of a request's body once its exchange with the app has failed. Node pauses a request
// whose last pipe goes (the upstream request's error removes http-proxy's), and nothing resumed
// it: once more of the body than the stream buffers had arrived, Node stopped reading the client
// connection, and every request pipelined behind waited for good (found by the fuzzer). As nginx
// does (ngx_http_discard_request_body), the rest is read and dropped, and the connection goes on.
import type { IncomingMessage } from 'node:http';

export function discardRest(req: IncomingMessage): void {
  if (req.complete || req.destroyed) return;
  req.on('error', () => undefined);
  req.resume();
}
