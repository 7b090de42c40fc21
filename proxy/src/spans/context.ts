// The proxy's root Context (OpenTelemetry API): a context here is a chain of (key, value) links.
// The API's own implementation copies a Map of every entry on each setValue. A request derives
// three or four contexts (the extracted parent, the SERVER span's, the CLIENT span's for the
// trace headers, each prediction's), and a prediction keeps its own for as long as it waits, so
// each copy was an allocation of a few hundred bytes that often outlived a young-generation
// collection (issue 10). A lookup walks the chain, which holds each key at most once: a handful
// of links. A value replaced or deleted is not kept by the new context (the chain is rebuilt
// without it, as the API's copy leaves it out): a prediction's context must not hold its
// submitting request's SERVER span. Behaviour is the API's (test/proxy/spans/context.test.ts
// checks it against ROOT_CONTEXT on random sequences of operations).
import type { Context } from '@opentelemetry/api';

class LinkedContext implements Context {
  constructor(
    readonly parent: LinkedContext | undefined,
    readonly key: symbol | undefined,
    readonly value: unknown,
  ) {}

  getValue(key: symbol): unknown {
    for (let c: LinkedContext | undefined = this; c !== undefined; c = c.parent) {
      if (c.key === key) return c.value;
    }
    return undefined;
  }

  setValue(key: symbol, value: unknown): Context {
    return new LinkedContext(without(this, key), key, value);
  }

  deleteValue(key: symbol): Context {
    return without(this, key);
  }
}

const ROOT_LINK = new LinkedContext(undefined, undefined, undefined);

/** `c` without `key`: `c` itself when it does not hold it, else its other links rebuilt. */
function without(c: LinkedContext, key: symbol): LinkedContext {
  // A chain holds each key once, so a key at the head leaves the rest as it is: the usual case (a
  // span's context replaced by its child's: the SERVER span's by a prediction's) builds nothing.
  if (c.key === key) return c.parent!;
  let holds = false;
  for (let l: LinkedContext | undefined = c; l !== undefined; l = l.parent) {
    if (l.key === key) { holds = true; break; }
  }
  if (!holds) return c;
  const kept: LinkedContext[] = [];
  for (let l: LinkedContext = c; l.parent !== undefined; l = l.parent) if (l.key !== key) kept.push(l);
  let out = ROOT_LINK;
  for (let i = kept.length - 1; i >= 0; i--) out = new LinkedContext(out, kept[i]!.key, kept[i]!.value);
  return out;
}

/** The number of values a context holds (tests: a replaced value is not kept). */
export function valueCount(ctx: Context): number {
  let n = 0;
  for (let l = ctx instanceof LinkedContext ? ctx : undefined; l?.parent !== undefined; l = l.parent) n++;
  return n;
}

/** The empty context every request's contexts derive from. */
export const ROOT: Context = ROOT_LINK;
