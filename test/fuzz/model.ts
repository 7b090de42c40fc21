// The shape of one fuzz case: what the clients send and what the hostile upstream answers.
// Plain data only (no functions), so a shrunk case can be printed as a regression test.

export type Header = readonly [name: string, value: string];

/** How a request body is framed on the wire. */
export type RequestFraming = 'none' | 'length' | 'chunked';

export interface FuzzRequest {
  readonly method: string;
  /** Request target as written on the request line (origin-form, or `*`). */
  readonly target: string;
  readonly version: '1.1' | '1.0';
  /** Header fields as sent, in order (duplicates allowed); framing and the case id are added by the wire. */
  readonly headers: readonly Header[];
  /** Body bytes as latin1 text (so a case prints and replays exactly). */
  readonly body: string;
  readonly framing: RequestFraming;
  /** Number of chunks the body is split into (chunked framing). */
  readonly chunks: number;
  readonly trailers: readonly Header[];
  /** Adds `Connection: close` (only ever on the last request of a connection). */
  readonly close: boolean;
  /**
   * Content-Length claims this many more bytes than are sent, and the client then stops writing
   * (only on the last request): the upstream can never see it complete.
   */
  readonly truncatedBy: number;
  /** False when a strict HTTP/1.1 server may refuse it (and close without an answer). */
  readonly valid: boolean;
}

/** What goes wrong with an answer from the upstream; `none` is a well-formed HTTP/1.1 answer. */
export type Fault =
  | 'none'
  | 'reset-before' // the socket is reset before a byte is written
  | 'garbage' // bytes that are not HTTP, then close
  | 'reset-after-headers'
  | 'reset-mid-body'
  | 'short-length' // Content-Length larger than the body, then close
  | 'long-length' // Content-Length smaller than the body (the rest poisons the connection)
  | 'endless'; // after the body, heartbeats forever (chunked)

export type ResponseFraming = 'length' | 'chunked' | 'eof';

export interface Reply {
  readonly status: number;
  readonly reason: string;
  readonly headers: readonly Header[];
  /** Body as latin1 text, before gzip. */
  readonly body: string;
  readonly gzip: boolean;
  readonly framing: ResponseFraming;
  readonly trailers: readonly Header[];
  /** The body is written in this many pieces… */
  readonly pieces: number;
  /** …with this many ms between them (a slow trickle). */
  readonly delayMs: number;
  readonly fault: Fault;
  /** Garbage bytes for `garbage` (latin1). */
  readonly garbage: string;
}

export interface Exchange {
  readonly request: FuzzRequest;
  readonly reply: Reply;
}

export type WriteMode = 'whole' | 'per-request' | 'trickle';

export interface Connection {
  readonly exchanges: readonly Exchange[];
  readonly write: WriteMode;
  /** Byte offsets (per mille of the total) where a trickled write is cut. */
  readonly cuts: readonly number[];
}

export interface FuzzCase {
  readonly connections: readonly Connection[];
  /** What the upstream answers to requests the proxy makes by itself (GET /config, /info, files). */
  readonly appConfig: Reply;
  /** Websockets alongside the connections (absent in cases printed before they were generated). */
  readonly websockets?: readonly WsSession[];
}

/** Who ends a websocket session, and how: a close (FIN) after its bytes, or a reset. */
export type WsEnd = 'client-end' | 'server-end' | 'client-reset' | 'server-reset';

/**
 * One websocket through the proxy (Gradio 3.x's queue runs on one): a handshake the app accepts,
 * then frames both ways, valid and not, and one side ending it.
 */
export interface WsSession {
  /** Request target of the handshake (the observed `/queue/join` routes, and one that is not). */
  readonly path: string;
  /** Extra handshake fields (propagation and the like); the upgrade fields and the id are added by the client. */
  readonly headers: readonly Header[];
  /** The 101's Sec-WebSocket-Extensions value ('' for none): what decides whether messages are read compressed. */
  readonly extensions: string;
  /** Bytes the client sends after the handshake (latin1): frames, masked or not, valid or not. */
  readonly clientBytes: string;
  /** Bytes the app sends after its 101 (latin1). */
  readonly serverBytes: string;
  /** The client sends its first piece right behind the handshake, before the 101 arrives. */
  readonly eager: boolean;
  /** This many of the app's bytes go out in the same write as its 101. */
  readonly withHead: number;
  readonly clientPieces: number;
  readonly serverPieces: number;
  /** ms between pieces. */
  readonly delayMs: number;
  readonly end: WsEnd;
}
