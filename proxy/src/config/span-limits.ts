// The SDK's span limits, read from the same environment variables with the same precedence
// (OTEL_SPAN_* over OTEL_* over the spec's defaults), so that the proxy's own span recorder
// (spans/tracer.ts) bounds spans exactly as the OpenTelemetry SDK would.
import type { SpanLimits } from '@opentelemetry/sdk-trace-base';

export type ResolvedSpanLimits = Required<Pick<SpanLimits,
  'attributeCountLimit' | 'attributeValueLengthLimit' | 'eventCountLimit' | 'linkCountLimit' | 'attributePerEventCountLimit' | 'attributePerLinkCountLimit'>>;

/** A non-negative number from the first variable that holds one; blank or malformed ones are skipped, as the SDK does. */
function firstNumber(env: NodeJS.ProcessEnv, names: readonly string[], fallback: number): number {
  for (const name of names) {
    const raw = env[name]?.trim();
    if (!raw) continue;
    const n = Number(raw);
    if (!Number.isNaN(n)) return n;
  }
  return fallback;
}

export function spanLimitsFrom(env: NodeJS.ProcessEnv): ResolvedSpanLimits {
  return {
    attributeCountLimit: firstNumber(env, ['OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT', 'OTEL_ATTRIBUTE_COUNT_LIMIT'], 128),
    attributeValueLengthLimit: firstNumber(env, ['OTEL_SPAN_ATTRIBUTE_VALUE_LENGTH_LIMIT', 'OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT'], Infinity),
    eventCountLimit: firstNumber(env, ['OTEL_SPAN_EVENT_COUNT_LIMIT'], 128),
    linkCountLimit: firstNumber(env, ['OTEL_SPAN_LINK_COUNT_LIMIT'], 128),
    attributePerEventCountLimit: firstNumber(env, ['OTEL_SPAN_ATTRIBUTE_PER_EVENT_COUNT_LIMIT'], 128),
    attributePerLinkCountLimit: firstNumber(env, ['OTEL_SPAN_ATTRIBUTE_PER_LINK_COUNT_LIMIT'], 128),
  };
}
