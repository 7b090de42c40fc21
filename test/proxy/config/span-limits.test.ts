import test from 'ava';
import { loadConfig } from '../../../proxy/src/config/load.js';
import { spanLimitsFrom } from '../../../proxy/src/config/span-limits.js';

test('span limits come from the environment with the SDK precedence', (t) => {
  t.deepEqual(spanLimitsFrom({}), {
    attributeCountLimit: 128, attributeValueLengthLimit: Infinity, eventCountLimit: 128, linkCountLimit: 128,
    attributePerEventCountLimit: 128, attributePerLinkCountLimit: 128,
  });
  const l = spanLimitsFrom({
    OTEL_ATTRIBUTE_COUNT_LIMIT: '10', OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT: ' 20 ', OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT: '64',
    OTEL_SPAN_ATTRIBUTE_VALUE_LENGTH_LIMIT: 'not a number', OTEL_SPAN_EVENT_COUNT_LIMIT: '5', OTEL_SPAN_LINK_COUNT_LIMIT: '',
    OTEL_SPAN_ATTRIBUTE_PER_EVENT_COUNT_LIMIT: '2', OTEL_SPAN_ATTRIBUTE_PER_LINK_COUNT_LIMIT: '3',
  });
  t.deepEqual(l, { attributeCountLimit: 20, attributeValueLengthLimit: 64, eventCountLimit: 5, linkCountLimit: 128, attributePerEventCountLimit: 2, attributePerLinkCountLimit: 3 });
  t.is(spanLimitsFrom({ OTEL_ATTRIBUTE_COUNT_LIMIT: '10' }).attributeCountLimit, 10);
});

test('the loaded config carries the limits from its environment', (t) => {
  t.is(loadConfig({}, { OTEL_SPAN_EVENT_COUNT_LIMIT: '7' }).spanLimits.eventCountLimit, 7);
  t.is(loadConfig({}, {}).spanLimits.attributeCountLimit, 128);
});
