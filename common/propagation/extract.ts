import { ROOT_CONTEXT, trace, type Context } from '@opentelemetry/api';
import type { IncomingHttpHeaders } from 'node:http';
import { isPresent, type PropagationFormat } from './format.js';
import { w3c } from './w3c.js';
import { b3Single } from './b3-single.js';
import { b3Multi } from './b3-multi.js';

const FORMATS: Readonly<Record<string, PropagationFormat>> = { tracecontext: w3c, b3: b3Single, b3multi: b3Multi };

export interface Extracted {
  readonly context: Context;
  /** Format the parent came from, or undefined for a new root. */
  readonly format?: string;
  /** Formats whose headers were present but could not be parsed (or `tracestate`: dropped, parent kept). */
  readonly invalid: readonly string[];
}

/**
 * Tries the configured formats in order and takes the first valid one. A present but
 * malformed header is reported (to be counted) and otherwise ignored: a new root starts,
 * never an error for the user (design §2.1). Contexts derive from `root` (the proxy's own, see
 * proxy/src/spans/context.ts).
 */
export function makeExtractor(order: readonly string[], root: Context = ROOT_CONTEXT): (headers: IncomingHttpHeaders) => Extracted {
  const formats = order.map((n) => FORMATS[n]).filter((f): f is PropagationFormat => f !== undefined);
  return (headers) => {
    const invalid: string[] = [];
    for (const f of formats) {
      if (!isPresent(f, headers)) continue;
      const dropped: string[] = [];
      const ctx = f.extract(root, headers, (part) => dropped.push(part));
      if (trace.getSpanContext(ctx) !== undefined) {
        return { context: ctx, format: f.name, invalid: [...invalid, ...dropped] };
      }
      invalid.push(f.name);
    }
    return { context: root, invalid };
  };
}
