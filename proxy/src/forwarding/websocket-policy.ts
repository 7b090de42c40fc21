// What the proxy does to every websocket handshake's upstream request, observed or not, the
// moment it exists: ahead of http-proxy's own 'response' listener, which copies a refusal's
// fields out to the client.
import type { ClientRequest, IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { reframeRefusedUpgrade } from './hop-by-hop.js';
import { lingeringClose } from './linger.js';
import { restoreRepeatedFields } from './repeated-fields.js';
import { writeStringsAsLatin1 } from './upgrade-head.js';

export function onWebsocketUpstreamRequest(proxyReq: ClientRequest, socket: Duplex): void {
  writeStringsAsLatin1(socket);
  proxyReq.on('response', (r: IncomingMessage & { upgrade?: boolean }) => {
    if (r.upgrade) return;
    reframeRefusedUpgrade(r.headers);
    restoreRepeatedFields(r.headers, r.rawHeaders);
    // An app dying mid-body never ends http-proxy's pipe: the client would wait for the rest.
    r.on('close', () => { if (!r.complete) socket.destroy(); });
    // The refusal says `Connection: close`: whatever the client pipelined behind is discarded.
    lingeringClose(socket);
  });
}
