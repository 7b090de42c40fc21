// Names that end up in span names, attribute keys and metric labels. A client chooses the
// `<name>` of `/call/<name>` and the keys of a `/call/v2` body, so none of that is used as a
// name: API and input names come from the app's own schema (/config, /info), anything else is
// `other`, and even the app's names are cleaned and bounded before they are used.
import type { AppSchema, Dependency } from './app-config.js';
import { cleanText } from '../spans/bounded.js';

/** The stand-in for every api name the app's schema does not declare. */
export const OTHER = 'other';

/** Longest api name kept (an app's names are short; a longer one is cut). */
export const MAX_NAME_CHARS = 128;

/** A name safe for a span name or label: no control or bidi characters, bounded length. */
export function cleanName(name: string): string {
  return cleanText(name, MAX_NAME_CHARS);
}

/** An attribute-key-safe input name: letters, digits and `_` only, at most 40 characters. */
export function cleanKey(name: string): string {
  return name.replace(/[^A-Za-z0-9_]/g, '_').slice(0, 40);
}

/** decodeURIComponent that returns undefined for a malformed escape instead of throwing. */
export function decodeSegment(raw: string): string | undefined {
  try {
    return decodeURIComponent(raw);
  } catch {
    return undefined;
  }
}

/** The `/<name>` a client addressed in a URL path segment (undefined when malformed). */
export function apiNameFromSegment(segment: string | undefined): string | undefined {
  if (segment === undefined) return undefined;
  const decoded = decodeSegment(segment);
  return decoded === undefined ? OTHER_REQUEST : `/${decoded}`;
}

/** A request that named an api by a malformed segment: looked up, it matches nothing. */
const OTHER_REQUEST = '\u0000malformed';

/** The dependency and the name to report for a client-given api name: the schema's, or `other`. */
export function resolveApiName(schema: AppSchema | undefined, requested: string): { dep?: Dependency; name: string } {
  const dep = schema?.byApiName.get(requested);
  return dep?.apiName ? { dep, name: dep.apiName } : { name: OTHER };
}
