// The keep-alive agent to the app, with two extras. Its connections' idle clocks, free and busy,
// are kept by one sweep (idle-sweep.ts). And it hands over each ClientRequest http-proxy creates
// the moment it exists. http-proxy's own 'proxyReq' event fires only once a socket is
// assigned (and never with an Expect header); by then a small body may have ended, and a request
// trailer relayed on 'end' would come too late. ClientRequest calls agent.addRequest()
// synchronously from its constructor, and http-proxy builds it synchronously inside
// proxy.web()/proxy.ws(), so a hook armed around those calls is exact: no lookup table, no race.
// (Headers cannot be edited here: with Expect, Node has already sent them.)
import { Agent, type AgentOptions, type ClientRequest, type ClientRequestArgs } from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { IdleSweep } from './idle-sweep.js';

type AddRequest = (req: ClientRequest, options: unknown) => void;
type CreateConnection = (options: ClientRequestArgs, callback?: (err: Error | null, stream: Duplex) => void) => Duplex;

export interface OutgoingAgentOptions extends AgentOptions {
  /**
   * How long a pooled connection may sit idle before the proxy closes it (ms; 0: until the app
   * does). An app closes idle connections on its own clock (uvicorn: after 5 s), and a request
   * sent on one just as the app closes it is lost: a body cannot be sent again
   * (stale-connection.ts), so a POST got a 502 for nothing. nginx advises the same: an upstream
   * keepalive_timeout below the app's.
   */
  readonly idleMs?: number;
  /**
   * How long the app may stay silent on a connection with a request in flight (ms; 0: no limit):
   * the request then hears 'timeout' and is destroyed (--upstream-idle-timeout).
   */
  readonly busyIdleMs?: number;
}

export class OutgoingAgent extends Agent {
  private armed: ((req: ClientRequest) => void) | undefined;
  private readonly clocks: IdleSweep;

  constructor(options: OutgoingAgentOptions) {
    // Node's own options only: Agent copies what it is given into every request's options, a
    // dictionary-mode object, and two more keys there doubled its table (a rehash and about a
    // kilobyte per request).
    const { idleMs, busyIdleMs, ...agentOptions } = options;
    super(agentOptions);
    this.clocks = new IdleSweep(this, { freeMs: idleMs ?? 0, busyMs: busyIdleMs ?? 0 });
    const base = (Agent.prototype as unknown as { addRequest: AddRequest }).addRequest;
    (this as unknown as { addRequest: AddRequest }).addRequest = (req, options) => {
      const hook = this.armed;
      this.armed = undefined;
      hook?.(req);
      base.call(this, req, options);
    };
  }

  override createConnection(options: ClientRequestArgs, callback?: (err: Error | null, stream: Duplex) => void): Duplex {
    const socket = (Agent.prototype as unknown as { createConnection: CreateConnection }).createConnection.call(this, options, callback);
    this.clocks.created(socket as Socket);
    return socket;
  }

  override keepSocketAlive(socket: Duplex): boolean {
    // Node's own returns whether the socket may be kept (its typings say void).
    const kept = super.keepSocketAlive(socket) as unknown as boolean;
    if (kept !== false) this.clocks.freed(socket as Socket);
    return kept;
  }

  override reuseSocket(socket: Duplex, req: ClientRequest): void {
    this.clocks.reused(socket as Socket);
    super.reuseSocket(socket, req);
  }

  override destroy(): void {
    this.clocks.stop();
    super.destroy();
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
