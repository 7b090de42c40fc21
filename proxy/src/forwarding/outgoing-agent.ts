// The keep-alive agent to the app, with one extra: it hands over each ClientRequest http-proxy
// creates the moment it exists. http-proxy's own 'proxyReq' event fires only once a socket is
// assigned (and never with an Expect header); by then a small body may have ended, and a request
// trailer relayed on 'end' would come too late. ClientRequest calls agent.addRequest()
// synchronously from its constructor, and http-proxy builds it synchronously inside
// proxy.web()/proxy.ws(), so a hook armed around those calls is exact: no lookup table, no race.
// (Headers cannot be edited here: with Expect, Node has already sent them.)
import { Agent, type AgentOptions, type ClientRequest } from 'node:http';
import type { Duplex } from 'node:stream';

type AddRequest = (req: ClientRequest, options: unknown) => void;

export interface OutgoingAgentOptions extends AgentOptions {
  /**
   * How long a pooled connection may sit idle before the proxy closes it (ms; 0: until the app
   * does). An app closes idle connections on its own clock (uvicorn: after 5 s), and a request
   * sent on one just as the app closes it is lost: a body cannot be sent again
   * (stale-connection.ts), so a POST got a 502 for nothing. nginx advises the same: an upstream
   * keepalive_timeout below the app's.
   */
  readonly idleMs?: number;
}

export class OutgoingAgent extends Agent {
  private armed: ((req: ClientRequest) => void) | undefined;
  private readonly idleMs: number;

  constructor(options: OutgoingAgentOptions) {
    super(options);
    this.idleMs = options.idleMs ?? 0;
    const base = (Agent.prototype as unknown as { addRequest: AddRequest }).addRequest;
    (this as unknown as { addRequest: AddRequest }).addRequest = (req, options) => {
      const hook = this.armed;
      this.armed = undefined;
      hook?.(req);
      base.call(this, req, options);
    };
  }

  // Node's agent destroys a pooled socket that times out while free; the clock runs only while
  // it is free (reuse stops it before the request's own timeouts are armed).
  override keepSocketAlive(socket: Duplex): boolean {
    // Node's own returns whether the socket may be kept (its typings say void).
    const kept = super.keepSocketAlive(socket) as unknown as boolean;
    const s = socket as Duplex & { timeout?: number; setTimeout(ms: number): void };
    // A shorter clock Node took from the app's own Keep-Alive hint stands.
    if (kept !== false && this.idleMs > 0 && !(s.timeout && s.timeout < this.idleMs)) s.setTimeout(this.idleMs);
    return kept;
  }

  override reuseSocket(socket: Duplex, req: ClientRequest): void {
    if (this.idleMs > 0) (socket as Duplex & { setTimeout(ms: number): void }).setTimeout(0);
    super.reuseSocket(socket, req);
  }

  /** Calls `forward()`; the ClientRequest it creates (if any) goes to `hook` before a byte is written. */
  creating<T>(hook: (req: ClientRequest) => void, forward: () => T): T {
    this.armed = hook;
    try {
      return forward();
    } finally {
      this.armed = undefined;
    }
  }
}
