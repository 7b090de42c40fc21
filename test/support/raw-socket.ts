// Raw HTTP/1.x over a TCP socket: for framing the Node client would refuse or normalise
// (pipelining, duplicate headers, odd request targets, trailers) and to see when the peer closes.
import { connect } from 'node:net';

export interface RawExchange {
  /** Everything the peer sent, as latin1 (byte-preserving). */
  readonly text: string;
  /** The peer closed its side before `waitMs` ran out. */
  readonly closed: boolean;
  /** Parsed status lines, in order. */
  readonly statuses: number[];
}

/** Writes `bytes`, reads until the peer closes or `waitMs` passes (then ends the socket itself). */
export function rawExchange(port: number, bytes: string | Buffer, waitMs = 10_000, host = '127.0.0.1'): Promise<RawExchange> {
  return new Promise((resolve, reject) => {
    const sock = connect(port, host);
    const parts: Buffer[] = [];
    let settled = false;
    const done = (closed: boolean) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      sock.destroy();
      const text = Buffer.concat(parts).toString('latin1');
      // Not anchored to a line start: a body without a final newline runs into the next status line.
      const statuses = [...text.matchAll(/HTTP\/1\.[01] (\d{3}) [^\r\n]*\r\n/g)].map((m) => Number(m[1]));
      resolve({ text, closed, statuses });
    };
    const timer = setTimeout(() => done(false), waitMs);
    sock.on('connect', () => sock.write(bytes));
    sock.on('data', (c: Buffer) => parts.push(c));
    sock.on('end', () => done(true));
    sock.on('close', () => done(true));
    sock.on('error', (err: NodeJS.ErrnoException) => (err.code === 'ECONNRESET' ? done(true) : settled || reject(err)));
  });
}

/** Header value of the `index`-th response in a raw exchange (lower-cased name), or undefined. */
export function headerOf(text: string, name: string, index = 0): string | undefined {
  const heads = text.split(/(?=HTTP\/1\.[01] \d{3} [^\r\n]*\r\n)/);
  const head = heads[index]?.split('\r\n\r\n')[0] ?? '';
  const m = head.match(new RegExp(`^${name}:[ \\t]*(.*)$`, 'im'));
  return m?.[1]?.trim();
}
