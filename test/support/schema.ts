// The documented attribute schema (docs/tracing-schema.md) as a matcher for exported tag keys.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const DOC = fileURLToPath(new URL('../../../docs/tracing-schema.md', import.meta.url));
// Zipkin's own tags and the resource attributes the SDK adds to every span.
const NOT_OURS = /^(error|otel\.status_code|otel\.status_description|otel\.scope\.name|otel\.scope\.version|service\.name|telemetry\.sdk\.\w+)$/;

export function documentedKey(): (key: string) => boolean {
  const doc = readFileSync(DOC, 'utf8');
  const section = doc.slice(doc.indexOf('## Attributes'), doc.indexOf('\n## ', doc.indexOf('## Attributes') + 1));
  const patterns: RegExp[] = [];
  for (const line of section.split('\n')) {
    if (!line.startsWith('| `')) continue;
    for (const m of line.split('|')[1]!.matchAll(/`([^`]+)`/g)) {
      const re = m[1]!.replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replace('<name>', '[A-Za-z0-9_]+');
      patterns.push(new RegExp(`^${re}$`));
    }
  }
  return (key) => NOT_OURS.test(key) || patterns.some((p) => p.test(key));
}
