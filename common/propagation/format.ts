import type { Context, TextMapGetter } from '@opentelemetry/api';
import type { IncomingHttpHeaders } from 'node:http';

/** One inbound context format: which headers announce it, and how to read them. */
export interface PropagationFormat {
  readonly name: string;
  /** Header names (lower case) this format reads; used to decide "present but malformed". */
  readonly headers: readonly string[];
  /** When present, refines `headers`: a header can be there and valid without announcing a parent. */
  readonly announces?: (headers: IncomingHttpHeaders) => boolean;
  /**
   * Returns a context holding a valid remote span context, or the input context when it could not
   * parse one. `report` names a part that was malformed and dropped while the parent was kept.
   */
  extract(parent: Context, headers: IncomingHttpHeaders, report?: (part: string) => void): Context;
}

/**
 * A getter that only exposes `allowed` headers: each format is parsed in isolation so that,
 * e.g., a malformed `b3` header cannot be rescued by X-B3-* headers and be counted as valid.
 */
export function restrictedGetter(allowed: readonly string[]): TextMapGetter<IncomingHttpHeaders> {
  return {
    keys: (carrier) => Object.keys(carrier).filter((k) => allowed.includes(k)),
    get: (carrier, key) => {
      const k = key.toLowerCase();
      return allowed.includes(k) ? carrier[k] : undefined;
    },
  };
}

export function isPresent(format: PropagationFormat, headers: IncomingHttpHeaders): boolean {
  return format.headers.some((h) => headers[h] !== undefined) && (format.announces?.(headers) ?? true);
}
