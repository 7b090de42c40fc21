// The proxy's root Context (OpenTelemetry API): a context here is a chain of (key, value) links.
// The API's own implementation copies a Map of every entry on each setValue. A request derives
// three or four contexts (the extracted parent, the SERVER span's, the CLIENT span's for the
// trace headers, each prediction's), and a prediction keeps its own for as long as it waits, so
// each copy was an allocation of a few hundred bytes that often outlived a young-generation
// collection (issue 10). A lookup walks the chain, which is as long as the values set on the way
// to it: a handful. Behaviour is the API's (test/proxy/spans/context.test.ts checks it against
// ROOT_CONTEXT on random sequences of operations).
import type { Context } from '@opentelemetry/api';

/** What a deleted key reads as further down the chain. */
const DELETED: unique symbol = Symbol('deleted');

class LinkedContext implements Context {
  constructor(
    private readonly parent: LinkedContext | undefined,
    private readonly key: symbol | undefined,
    private readonly value: unknown,
  ) {}

  getValue(key: symbol): unknown {
    for (let c: LinkedContext | undefined = this; c !== undefined; c = c.parent) {
      if (c.key === key) return c.value === DELETED ? undefined : c.value;
    }
    return undefined;
  }

  setValue(key: symbol, value: unknown): Context {
    return new LinkedContext(this, key, value);
  }

  deleteValue(key: symbol): Context {
    return new LinkedContext(this, key, DELETED);
  }
}

/** The empty context every request's contexts derive from. */
export const ROOT: Context = new LinkedContext(undefined, undefined, undefined);
