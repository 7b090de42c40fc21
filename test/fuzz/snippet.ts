// Prints a (shrunk) failing case as a ready-to-paste ava regression test. Long strings are
// written as runs (`'['.repeat(20000) + …`) so a 30,000-level JSON body stays one line.
import type { Failure } from './invariants.js';
import type { FuzzCase } from './model.js';

const MIN_RUN = 24;

/** A JS expression for `s`: literals and `.repeat()` runs of a unit of up to 8 characters. */
export function stringExpr(s: string): string {
  if (s.length < 200) return JSON.stringify(s);
  const parts: string[] = [];
  let literal = '';
  let p = 0;
  while (p < s.length) {
    let best: { unit: string; n: number } | undefined;
    for (let u = 1; u <= 8 && p + u <= s.length; u++) {
      const unit = s.slice(p, p + u);
      let n = 1;
      while (s.startsWith(unit, p + n * u)) n++;
      if (n * u >= MIN_RUN && (!best || n * u > best.n * best.unit.length)) best = { unit, n };
    }
    if (best) {
      if (literal) { parts.push(JSON.stringify(literal)); literal = ''; }
      parts.push(`${JSON.stringify(best.unit)}.repeat(${best.n})`);
      p += best.n * best.unit.length;
    } else {
      literal += s[p++];
    }
  }
  if (literal) parts.push(JSON.stringify(literal));
  return parts.join(' + ');
}

/** A JS expression for a plain-data value. */
export function valueExpr(v: unknown, indent = ''): string {
  if (typeof v === 'string') return stringExpr(v);
  if (Array.isArray(v)) {
    if (!v.length) return '[]';
    const inner = v.map((x) => valueExpr(x, `${indent}  `));
    const flat = `[${inner.join(', ')}]`;
    return flat.length < 100 && !flat.includes('\n') ? flat : `[\n${inner.map((x) => `${indent}  ${x}`).join(',\n')},\n${indent}]`;
  }
  if (v && typeof v === 'object') {
    const entries = Object.entries(v).map(([k, x]) => `${/^[A-Za-z_$][\w$]*$/.test(k) ? k : JSON.stringify(k)}: ${valueExpr(x, `${indent}  `)}`);
    const flat = `{ ${entries.join(', ')} }`;
    return flat.length < 100 && !flat.includes('\n') ? flat : `{\n${entries.map((e) => `${indent}  ${e}`).join(',\n')},\n${indent}}`;
  }
  return JSON.stringify(v);
}

export function regressionSnippet(c: FuzzCase, failure: Failure, repro: string): string {
  const title = failure.signature.replace(/'/g, '');
  return [
    `// ${failure.invariant}: ${failure.detail.split('\n')[0]}`,
    `// reproduce: ${repro}`,
    `import test from 'ava';`,
    `import { replayCase } from './harness.js';`,
    `import type { FuzzCase } from './model.js';`,
    ``,
    `test('fuzz regression: ${title}', async (t) => {`,
    `  const fuzzCase: FuzzCase = ${valueExpr(c, '  ')};`,
    `  t.deepEqual(await replayCase(fuzzCase, { zipkinUrl: process.env.ZIPKIN_URL }), []);`,
    `});`,
  ].join('\n');
}
