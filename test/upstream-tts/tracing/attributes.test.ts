import test from 'ava';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '../../support/proc.js';
import { ERROR_CODES } from '../../../upstream-tts/src/errors.js';
import { ALL_ATTRIBUTE_KEYS, ALL_SPAN_NAMES } from '../../../upstream-tts/src/tracing/attributes.js';

const doc = readFileSync(join(repoRoot, 'docs', 'upstream-tts.md'), 'utf8');

function section(title: string): string {
  const start = doc.indexOf(`\n## ${title}\n`);
  if (start < 0) throw new Error(`docs/upstream-tts.md has no section "## ${title}"`);
  const end = doc.indexOf('\n## ', start + 1);
  return doc.slice(start, end === -1 ? undefined : end);
}

/** Backticked names in the first column of a section's tables. */
function firstColumn(title: string): string[] {
  const out = new Set<string>();
  for (const line of section(title).split('\n')) {
    if (!line.startsWith('| `')) continue;
    for (const m of line.split('|')[1]!.matchAll(/`([^`]+)`/g)) out.add(m[1]!);
  }
  return [...out].sort();
}

test('every span name in the code is documented, and every documented one exists', (t) => {
  t.deepEqual(firstColumn('Spans'), [...ALL_SPAN_NAMES].sort());
});

test('every attribute key in the code is documented, and every documented one exists', (t) => {
  t.deepEqual(firstColumn('Attributes'), [...new Set(ALL_ATTRIBUTE_KEYS)].sort());
});

test('every error.type value is documented, and every documented one exists', (t) => {
  t.deepEqual(firstColumn('`error.type`'), [...ERROR_CODES].sort());
});
