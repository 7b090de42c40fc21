// The keep-alive agent to the app, with one extra: it hands over each ClientRequest http-proxy
// creates the moment it exists. http-proxy's own 'proxyReq' event fires only once a socket is
// assigned (and never with an Expect header); by then a small body may have ended, and a request
// trailer relayed on 'end' would come too late. ClientRequest calls agent.addRequest()
// synchronously from its constructor, and http-proxy builds it synchronously inside
// proxy.web()/proxy.ws(), so a hook armed around those calls is exact: no lookup table, no race.
// (Headers cannot be edited here: with Expect, Node has already sent them.)
import { Agent, type AgentOptions, type ClientRequest } from 'node:http';

type AddRequest = (req: ClientRequest, options: unknown) => void;

export class OutgoingAgent extends Agent {
  private armed: ((req: ClientRequest) => void) | undefined;

  constructor(options: AgentOptions) {
    super(options);
    const base = (Agent.prototype as unknown as { addRequest: AddRequest }).addRequest;
    (this as unknown as { addRequest: AddRequest }).addRequest = (req, options) => {
      const hook = this.armed;
      this.armed = undefined;
      hook?.(req);
      base.call(this, req, options);
    };
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
