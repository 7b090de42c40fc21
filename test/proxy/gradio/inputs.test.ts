import test from 'ava';
import fc from 'fast-check';
import { parseConfig, parseInfo } from '../../../proxy/src/gradio/app-config.js';
import type { Captured } from '../../../proxy/src/gradio/json-capture.js';
import { codePointLength, describeInputs, describeInputsNow, scriptClass } from '../../../proxy/src/gradio/inputs.js';

// The shape of CosyVoice's generate_audio (gradio-protocol.md §7), as /config and /info give it.
const config = {
  version: '5.4.0', protocol: 'sse_v3', api_prefix: '/gradio_api',
  components: [
    { id: 3, type: 'textbox', props: { label: '输入合成文本' } },
    { id: 5, type: 'radio', props: { label: '选择推理模式', choices: [['预训练音色', '预训练音色'], ['3s极速复刻', '3s极速复刻']] } },
    { id: 7, type: 'dropdown', props: { label: '选择预训练音色', choices: [['中文女', '中文女']] } },
    { id: 16, type: 'audio', props: { label: '选择prompt音频文件' } },
    { id: 12, type: 'number', props: { label: '随机推理种子' } },
    { id: 8, type: 'radio', props: { label: '是否流式推理', choices: [['否', false], ['是', true]] } },
  ],
  dependencies: [{ id: 1, api_name: 'generate_audio', inputs: [3, 5, 7, 16, 12, 8] }],
};
const info = { named_endpoints: { '/generate_audio': { parameters: [
  { parameter_name: 'tts_text' }, { parameter_name: 'mode_checkbox_group' }, { parameter_name: 'sft_dropdown' },
  { parameter_name: 'prompt_wav_upload' }, { parameter_name: 'seed' }, { parameter_name: 'stream' },
] } } };

const schema = parseConfig(config as unknown as Captured, parseInfo(info as unknown as Captured))!;
const prompt = { format: 'wav', durationS: 3.5, sampleRate: 16000, channels: 1, bytes: 112044, codec: 'pcm' };
const resolvers = { fileMeta: (p: string) => (p === '/tmp/gradio/abc/prompt.wav' ? prompt : undefined), dataUrlMeta: async () => undefined };

test('the schema maps fn_index and api_name to named inputs', (t) => {
  t.is(schema.apiPrefix, '/gradio_api');
  t.is(schema.byFnIndex.get(1)?.apiName, '/generate_audio');
  t.deepEqual(schema.byApiName.get('/generate_audio')?.inputs.map((i) => i.name), ['tts_text', 'mode_checkbox_group', 'sft_dropdown', 'prompt_wav_upload', 'seed', 'stream']);
});

test('inputs become metadata only: lengths, declared choices, numbers, audio facts', async (t) => {
  const text = '我是通义实验室语音团队全新推出的生成式语音大模型';
  const facts = await describeInputs([text, '3s极速复刻', 'not-a-declared-speaker', { path: '/tmp/gradio/abc/prompt.wav', meta: { _type: 'gradio.FileData' } }, 42, false], schema.byFnIndex.get(1), resolvers);
  t.deepEqual(facts.attributes, {
    'gradio.input.count': 6,
    'gradio.input.tts_text.length': [...text].length,
    'gradio.input.tts_text.script': 'han',
    'gradio.input.mode_checkbox_group.value': '3s极速复刻',
    'gradio.input.sft_dropdown.type': 'string',
    'gradio.input.prompt_wav_upload.type': 'file',
    'gradio.input.seed.value': 42,
    'gradio.input.stream.value': false,
    'audio.input.format': 'wav', 'audio.input.bytes': 112044, 'audio.input.duration_s': 3.5,
    'audio.input.sample_rate': 16000, 'audio.input.channels': 1, 'audio.input.codec': 'pcm',
  });
  t.false(JSON.stringify(facts.attributes).includes(text));
  t.false(JSON.stringify(facts.attributes).includes('not-a-declared-speaker'));
});

test('without a schema, names are positional and strings are treated as text', async (t) => {
  const facts = await describeInputs(['hello', 3], undefined, resolvers);
  t.is(facts.attributes['gradio.input.arg0.length'], 5);
  t.is(facts.attributes['gradio.input.arg1.value'], 3);
});

test('/call/v2 keyword bodies map by parameter name', async (t) => {
  const facts = await describeInputs({ tts_text: 'hi there', seed: 1 }, schema.byApiName.get('/generate_audio'), resolvers);
  t.is(facts.attributes['gradio.input.tts_text.length'], 8);
  t.is(facts.attributes['gradio.input.seed.value'], 1);
});

test('script classes and code-point lengths', (t) => {
  t.is(scriptClass('Hello, world'), 'latin');
  t.is(scriptClass('你好，世界'), 'han');
  t.is(scriptClass('Hello 你好世界啊'), 'mixed');
  t.is(scriptClass('12345 !!'), 'none');
  t.is(codePointLength('😀a'), 2);
});

test('issue 9: /call/v2 keys the schema does not declare are counted, never named', async (t) => {
  const dep = { fnIndex: 0, apiName: '/tts', inputs: [{ type: 'textbox', name: 'text' }] };
  const r = { fileMeta: () => undefined, dataUrlMeta: async () => undefined };
  const facts = await describeInputs({ text: 'hi', 'evil\nkey': 'x', made_up: 1 }, dep, r);
  t.is(facts.attributes['gradio.input.count'], 3);
  t.is(facts.attributes['gradio.input.text.length'], 2);
  t.deepEqual(Object.keys(facts.attributes).filter((k) => /evil|made_up/.test(k)), []);
  const unknown = await describeInputs({ anything: 'x' }, undefined, r);
  t.deepEqual(Object.keys(unknown.attributes), ['gradio.input.count']);
});

test('issue 9: positional inputs without a schema get at most 32 attribute names', async (t) => {
  const facts = await describeInputs(Array.from({ length: 5000 }, () => 1), undefined, { fileMeta: () => undefined, dataUrlMeta: async () => undefined });
  t.is(facts.attributes['gradio.input.count'], 5000);
  t.is(Object.keys(facts.attributes).filter((k) => k.endsWith('.value')).length, 32);
});

// The ASCII fast path must classify exactly as the Unicode property regexes do.
test('property: scriptClass agrees with a per-character Unicode-property reference', (t) => {
  const scripts: [string, RegExp][] = [
    ['han', /\p{Script=Han}/u], ['latin', /\p{Script=Latin}/u], ['cyrillic', /\p{Script=Cyrillic}/u],
    ['arabic', /\p{Script=Arabic}/u], ['kana', /[\p{Script=Hiragana}\p{Script=Katakana}]/u], ['hangul', /\p{Script=Hangul}/u],
    ['devanagari', /\p{Script=Devanagari}/u], ['greek', /\p{Script=Greek}/u], ['hebrew', /\p{Script=Hebrew}/u], ['thai', /\p{Script=Thai}/u],
  ];
  const reference = (text: string): string => {
    const counts = new Map<string, number>();
    let letters = 0;
    for (const ch of text.slice(0, 4096)) {
      if (!/\p{L}/u.test(ch)) continue;
      letters++;
      const s = scripts.find(([, re]) => re.test(ch))?.[0] ?? 'other';
      counts.set(s, (counts.get(s) ?? 0) + 1);
    }
    if (!letters) return 'none';
    const [top, n] = [...counts.entries()].sort((a, b) => b[1] - a[1])[0]!;
    return n / letters >= 0.8 ? top : 'mixed';
  };
  const mixed = fc.array(fc.oneof(fc.string({ unit: 'grapheme-ascii' }), fc.string({ unit: 'binary' }), fc.constantFrom('Привет', 'こんにちは', 'ñandú', 'Ωmega', 'ß', 'ǅ')), { maxLength: 8 }).map((a) => a.join(''));
  fc.assert(fc.property(mixed, (text) => scriptClass(text) === reference(text)), { numRuns: 2000 });
  // The loop reads UTF-16 units (issue 10): astral letters, and a pair the 4,096-unit window cuts.
  const astral = fc.array(fc.constantFrom('a', '1', '你', '𠀀', '𝐀', '\ud800', '\udc00', 'я', 'ⅷ'), { maxLength: 40 }).map((a) => a.join(''));
  fc.assert(fc.property(astral, (text) => scriptClass(text) === reference(text)), { numRuns: 1000 });
  for (const text of ['1'.repeat(4095) + '𠀀', '1'.repeat(4094) + '𠀀', '你'.repeat(5000), 'a'.repeat(3000) + '你'.repeat(2000)]) {
    t.is(scriptClass(text), reference(text), `length ${text.length}`);
  }
});

// The join path describes inputs in the turn its answer passes when nothing needs probing (issue
// 10): that description must be the asynchronous one, and it must step aside for inline audio.
test('inputs described at once are what the asynchronous description gives; an inline data URL needs the asynchronous one', async (t) => {
  const value = fc.oneof(fc.string(), fc.integer(), fc.boolean(), fc.constant(null), fc.constantFrom('中文女', '3s极速复刻'),
    fc.constant({ path: '/tmp/gradio/abc/prompt.wav' }), fc.constant({ name: '/tmp/x.wav', is_file: true }), fc.array(fc.integer(), { maxLength: 3 }));
  await fc.assert(fc.asyncProperty(fc.array(value, { maxLength: 8 }), fc.boolean(), async (data, known) => {
    const dep = known ? schema.byFnIndex.get(1) : undefined;
    const now = describeInputsNow(data as Captured, dep, resolvers.fileMeta);
    const later = await describeInputs(data as Captured, dep, resolvers);
    const dataUrl = data.some((v) => typeof v === 'string' && v.startsWith('data:'));
    if (dataUrl && !known) t.is(now, undefined);
    else t.deepEqual(now, later);
  }), { numRuns: 300 });
  const wav = `data:audio/wav;base64,${Buffer.from('RIFF').toString('base64')}`;
  t.is(describeInputsNow(['hello', wav], undefined, resolvers.fileMeta), undefined, 'an inline audio is probed asynchronously');
  t.is(describeInputsNow(['hello', { data: wav }], undefined, resolvers.fileMeta), undefined);
  t.truthy(describeInputsNow(['hello', 3], undefined, resolvers.fileMeta));
});

