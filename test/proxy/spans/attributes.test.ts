import test from 'ava';
import { readFileSync } from 'node:fs';
import { ALL_ATTRIBUTE_KEYS, ALL_EVENT_NAMES, ErrorType } from '../../../proxy/src/spans/attributes.js';

const doc = readFileSync(new URL('../../../../docs/tracing-schema.md', import.meta.url), 'utf8');

function section(title: string): string {
  const start = doc.indexOf(`## ${title}`);
  const end = doc.indexOf('\n## ', start + 1);
  return doc.slice(start, end === -1 ? undefined : end);
}

/** Backticked names in the first column of a section's table. */
function firstColumn(title: string): Set<string> {
  const out = new Set<string>();
  for (const line of section(title).split('\n')) {
    if (!line.startsWith('| `')) continue;
    const cell = line.split('|')[1]!;
    for (const m of cell.matchAll(/`([^`]+)`/g)) out.add(m[1]!);
  }
  return out;
}

test('every attribute key in the code is documented, and every documented key exists', (t) => {
  t.deepEqual([...firstColumn('Attributes')].sort(), [...new Set(ALL_ATTRIBUTE_KEYS)].sort());
});

test('every error.type value is documented, and every documented value exists', (t) => {
  const documented = [...firstColumn('`error.type`')].filter((v) => !/^\d/.test(v) && v !== '…');
  t.deepEqual(documented.sort(), Object.values(ErrorType).sort());
});

test('every span event is documented, and every documented event exists', (t) => {
  t.deepEqual([...firstColumn('Span events')].sort(), [...ALL_EVENT_NAMES].sort());
});
