import test from 'ava';
import { parseConfig, parseInfo } from '../../../proxy/src/gradio/app-config.js';
import { apiNameFromSegment, cleanName, OTHER, resolveApiName } from '../../../proxy/src/gradio/names.js';

const schema = parseConfig({
  dependencies: [{ id: 0, api_name: 'echo', inputs: [] }, { id: 1, api_name: 'bad\u001b[31mname\u202e', inputs: [] }],
}, new Map());

test('a client-given api name is the schema\'s name or other', (t) => {
  t.is(resolveApiName(schema, '/echo').name, '/echo');
  t.is(resolveApiName(schema, '/made_up').name, OTHER);
  t.is(resolveApiName(undefined, '/echo').name, OTHER, 'no schema, no names');
});

test('a malformed percent-encoding is no api name, and does not throw', (t) => {
  t.notThrows(() => apiNameFromSegment('%E0'));
  t.is(resolveApiName(schema, apiNameFromSegment('%E0')!).name, OTHER);
  t.is(apiNameFromSegment('ec%68o'), '/echo');
});

test('even the app\'s names lose control and bidi characters and are bounded', (t) => {
  const dep = schema!.byFnIndex.get(1)!;
  t.false(/[\u0000-\u001f\u202e]/.test(dep.apiName ?? 'x'));
  t.is(resolveApiName(schema, '/bad\u001b[31mname\u202e').name, dep.apiName ?? '');
  t.is(cleanName('x'.repeat(1000)).length, 128);
  t.deepEqual(parseInfo({ named_endpoints: { '/echo': { parameters: [{ parameter_name: 'te xt\n' }] } } }).get('/echo'), ['te_xt_']);
});
