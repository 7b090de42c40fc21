// Node's parser keeps only the first line of some repeated header fields (the list in
// IncomingMessage.headers' documentation), and http-proxy forwards that object, so the app or the
// client would lose the other lines. nginx forwards every line as it came. The lines are restored
// from rawHeaders as an array, which Node writes back as one line each (found by the fuzzer).
// Host and Content-Length are not among them: a repeated one is refused, or is framing.
import type { IncomingHttpHeaders } from 'node:http';

const FIRST_ONLY_NAMES = [
  'age', 'authorization', 'content-type', 'etag', 'expires', 'from', 'if-modified-since', 'if-unmodified-since',
  'last-modified', 'location', 'max-forwards', 'proxy-authorization', 'referer', 'retry-after', 'server', 'user-agent',
] as const;
// Each name's bit: finding whether any of them repeats needs no allocation (nearly every answer
// carries a few of them once: Content-Type, Server, ETag).
const BIT: ReadonlyMap<string, number> = new Map(FIRST_ONLY_NAMES.map((n, i) => [n, 1 << i]));

/**
 * Puts every line of a repeated first-only field back into `headers`; a field already removed
 * (hop-by-hop, private) stays removed. Allocates nothing unless such a field repeats.
 */
export function restoreRepeatedFields(headers: IncomingHttpHeaders, raw: readonly string[]): void {
  let seen = 0;
  let repeated = false;
  for (let i = 0; i + 1 < raw.length && !repeated; i += 2) {
    const bit = BIT.get(raw[i]!) ?? BIT.get(raw[i]!.toLowerCase());
    if (bit === undefined) continue;
    repeated = (seen & bit) !== 0;
    seen |= bit;
  }
  if (!repeated) return;
  const lines = new Map<string, string[]>();
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = raw[i]!.toLowerCase();
    if (!BIT.has(name)) continue;
    const values = lines.get(name);
    if (values) values.push(raw[i + 1]!);
    else lines.set(name, [raw[i + 1]!]);
  }
  for (const [name, values] of lines) {
    if (values.length > 1 && headers[name] !== undefined) (headers as Record<string, string | string[]>)[name] = values;
  }
}
