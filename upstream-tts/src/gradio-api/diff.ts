// sse_v2+ sends each process_generating after the first of an event as edits against the
// previous value of every output (Gradio utils.diff; applied by both official clients).
// Edits are [action, path, value] with actions replace, append (string suffix), add, delete.

export type Edit = [action: 'replace' | 'append' | 'add' | 'delete', path: (string | number)[], value: unknown];

function kind(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'list';
  // Python distinguishes int from float, and so does the type check in Gradio's diff.
  if (typeof v === 'number') return Number.isInteger(v) ? 'int' : 'float';
  return typeof v;
}

function equal(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

export function diff(old: unknown, next: unknown, path: (string | number)[] = []): Edit[] {
  if (equal(old, next)) return [];
  if (kind(old) !== kind(next)) return [['replace', path, next]];
  if (typeof old === 'string' && (next as string).startsWith(old)) return [['append', path, (next as string).slice(old.length)]];
  if (Array.isArray(old)) {
    const n = next as unknown[];
    const edits: Edit[] = [];
    const common = Math.min(old.length, n.length);
    for (let i = 0; i < common; i++) edits.push(...diff(old[i], n[i], [...path, i]));
    // Deletes of trailing items come last, each index shifted by the deletes before it.
    for (let i = common, shift = 0; i < old.length; i++, shift++) edits.push(['delete', [...path, i - shift], null]);
    for (let i = common; i < n.length; i++) edits.push(['add', [...path, i], n[i]]);
    return edits;
  }
  if (kind(old) === 'object') {
    const o = old as Record<string, unknown>;
    const n = next as Record<string, unknown>;
    const edits: Edit[] = [];
    for (const key of Object.keys(o)) {
      if (key in n) edits.push(...diff(o[key], n[key], [...path, key]));
      else edits.push(['delete', [...path, key], null]);
    }
    for (const key of Object.keys(n)) if (!(key in o)) edits.push(['add', [...path, key], n[key]]);
    return edits;
  }
  return [['replace', path, next]];
}
