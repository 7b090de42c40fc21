// One way to check a finished span in unit tests: its name, kind, status and the attributes named
// (an `undefined` value asserts the attribute is absent). Attributes not named are not checked.
import type { ExecutionContext } from 'ava';
import type { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';

export interface ExpectedSpan {
  readonly name?: string;
  readonly kind?: SpanKind;
  readonly status?: SpanStatusCode;
  readonly attributes?: Readonly<Record<string, unknown>>;
}

export function assertSpan(t: ExecutionContext, span: ReadableSpan | undefined, want: ExpectedSpan): void {
  if (!span) return void t.fail(`no span (expected ${want.name ?? 'one'})`);
  const where = `span ${span.name}`;
  if (want.name !== undefined) t.is(span.name, want.name, `${where}: name`);
  if (want.kind !== undefined) t.is(span.kind, want.kind, `${where}: kind`);
  if (want.status !== undefined) t.is(span.status.code, want.status, `${where}: status`);
  for (const [k, v] of Object.entries(want.attributes ?? {})) t.deepEqual(span.attributes[k], v, `${where}: ${k}`);
}
