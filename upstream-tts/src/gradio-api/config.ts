// GET /config and GET /gradio_api/info: the app as a Gradio 6 Blocks app with one queued
// generator event, `synthesize(text, speed, noise_scale, noise_w) -> audio`. The shapes follow
// what Gradio 6.31 answers for test/upstream-tts/reference_app.py (same components, same
// order); the wire-parity test compares the two. Both official clients read these to find the
// endpoint, its parameters and defaults, and the protocol (`sse_v3`, prefix `/gradio_api`).
import type { VoiceConfig } from '../tts/voice.js';
import { NOISE_RANGE, SPEED_RANGE } from './inputs.js';

/** The Gradio release whose wire format this app speaks (clients gate features on `version`). */
export const GRADIO_COMPAT_VERSION = '6.31.0';
export const PROTOCOL = 'sse_v3';
export const API_PREFIX = '/gradio_api';
export const API_NAME = 'synthesize';
export const FN_INDEX = 0;
export const APP_TITLE = 'upstream-tts';

// Gradio identifies component classes by a hash of the class; the JS client only uses it to
// label run history. These are the values Gradio 6.31 reports for the same classes.
const CLASS_ID = {
  textbox: 'f31444950ca2b675649a70d428d775c223fb3fb8d9b90071666610e77711ab79',
  slider: 'bd899175f0d2b99a221be82d02873b1f08c19cc115c94bc8309bf9ea3f7b1005',
  audio: '29f6710f09c12182aaee5dae527e26643e3adaa1038aa943decb8fe82fa8668a',
  button: '31e5fd0bdbbb9c7f5bde1a8ffb12295db2de546fb73e6623b5141673a8240c8f',
  form: 'c95df10e75dae4a1005eeaeaa83df1a11629bab90c9e1355dfea557bbe5e37bb',
} as const;

const FILE_DATA_SCHEMA = {
  $defs: {
    FileDataMeta: {
      properties: { _type: { const: 'gradio.FileData', title: 'Type', type: 'string' } },
      required: ['_type'], title: 'FileDataMeta', type: 'object',
    },
  },
  properties: {
    path: { title: 'Path', type: 'string' },
    url: { anyOf: [{ type: 'string' }, { type: 'null' }], default: null, title: 'Url' },
    size: { anyOf: [{ type: 'integer' }, { type: 'null' }], default: null, title: 'Size' },
    orig_name: { anyOf: [{ type: 'string' }, { type: 'null' }], default: null, title: 'Orig Name' },
    mime_type: { anyOf: [{ type: 'string' }, { type: 'null' }], default: null, title: 'Mime Type' },
    is_stream: { default: false, title: 'Is Stream', type: 'boolean' },
    meta: { $ref: '#/$defs/FileDataMeta' },
  },
  required: ['path'], title: 'FileData', type: 'object',
};

interface Param {
  readonly id: number;
  readonly name: string;
  readonly component: 'Textbox' | 'Slider';
  readonly props: Record<string, unknown>;
  readonly apiType: Record<string, unknown>;
  readonly pythonType: string;
  readonly default?: number;
  readonly example: unknown;
}

/** A float as Python's str() prints it (Gradio writes these descriptions with f-strings). */
const pyFloat = (n: number): string => (Number.isInteger(n) ? `${n}.0` : String(n));

function params(voice: VoiceConfig): Param[] {
  const slider = (id: number, name: string, range: { min: number; max: number; step: number }, value: number): Param => ({
    id, name, component: 'Slider', pythonType: 'float', default: value, example: range.min,
    props: { minimum: range.min, maximum: range.max, value, step: range.step, label: name },
    apiType: { type: 'number', description: `numeric value between ${pyFloat(range.min)} and ${pyFloat(range.max)}` },
  });
  return [
    {
      id: 1, name: 'text', component: 'Textbox', pythonType: 'str', example: 'Hello!!',
      props: { type: 'text', lines: 3, label: 'text' }, apiType: { type: 'string' },
    },
    slider(2, 'speed', SPEED_RANGE, SPEED_RANGE.default),
    slider(3, 'noise_scale', NOISE_RANGE, voice.noiseScale),
    slider(4, 'noise_w', NOISE_RANGE, voice.noiseW),
  ];
}

const AUDIO_ID = 5;
const BUTTON_ID = 6;
const FORM_ID = 7;

function component(id: number, type: string, props: Record<string, unknown>, apiInfo?: Record<string, unknown>, example?: unknown) {
  return {
    id, type,
    props: { ...props, name: type, _selectable: false },
    skip_api: apiInfo === undefined,
    component_class_id: CLASS_ID[type as keyof typeof CLASS_ID],
    key: null,
    ...(apiInfo === undefined ? {} : {
      api_info: apiInfo, api_info_as_input: apiInfo, api_info_as_output: apiInfo, example_inputs: example,
    }),
  };
}

const COMMON_PROPS = { show_label: true, container: true, min_width: 160, visible: true, elem_classes: [], preserved_by_key: ['value'] };

export function appConfig(voice: VoiceConfig, root: string, appId: string) {
  const ps = params(voice);
  const components = [
    ...ps.map((p) => component(p.id, p.component.toLowerCase(), { ...p.props, ...COMMON_PROPS }, p.apiType, p.example)),
    component(AUDIO_ID, 'audio', {
      streamable: false, sources: ['upload', 'microphone'], type: 'filepath', label: 'audio', ...COMMON_PROPS,
      streaming: false, autoplay: false, editable: true, buttons: ['download', 'share'], loop: false, recording: false,
    }, FILE_DATA_SCHEMA, { path: 'audio.wav', meta: { _type: 'gradio.FileData' }, orig_name: 'audio.wav' }),
    component(BUTTON_ID, 'button', {
      value: 'generate', variant: 'primary', size: 'lg', visible: true, interactive: true, elem_classes: [], preserved_by_key: ['value'],
    }),
    component(FORM_ID, 'form', { scale: 0, min_width: 0, preserved_by_key: [] }),
  ];
  const dependency = {
    id: FN_INDEX, targets: [[BUTTON_ID, 'click']], inputs: ps.map((p) => p.id), outputs: [AUDIO_ID],
    backend_fn: true, js: null, queue: true, api_name: API_NAME, api_description: null, scroll_to_output: false,
    show_progress: 'full', show_progress_on: null, batch: false, max_batch_size: 4, cancels: [],
    types: { generator: true, cancel: false }, collects_event_data: false, trigger_after: null,
    trigger_only_on_success: false, trigger_only_on_failure: false, trigger_mode: 'once', api_visibility: 'public',
    rendered_in: null, render_id: null, connection: 'sse', time_limit: null, stream_every: 0.5,
    event_specific_args: null, component_prop_inputs: [], js_implementation: null,
  };
  const layout = { id: 0, children: [{ id: FORM_ID, children: ps.map((p) => ({ id: p.id })) }, { id: AUDIO_ID }, { id: BUTTON_ID }] };
  return {
    version: GRADIO_COMPAT_VERSION, api_prefix: API_PREFIX, mode: 'blocks', app_id: appId, dev_mode: false,
    vibe_mode: false, analytics_enabled: false, components, css: null,
    // No gr.State and no unload event: clients need not hold a heartbeat stream open.
    connect_heartbeat: false,
    js: null, head: null, title: APP_TITLE, space_id: null, enable_queue: true, show_error: true,
    footer_links: ['api'], run_history: false, is_colab: false, max_file_size: null, stylesheets: [], theme: 'default',
    protocol: PROTOCOL, body_css: null, fill_height: false, fill_width: false, theme_hash: null, pwa: false,
    layout, dependencies: [dependency], pages: [['', 'Home', true]],
    page: { '': { layout, components: components.map((c) => c.id), dependencies: [FN_INDEX] } },
    mcp_server: false, i18n_translations: null, username: null, root,
  };
}

export function apiInfo(voice: VoiceConfig, root: string) {
  const ps = params(voice);
  const example = ps.map((p) => `\t${p.name}=${p.name === 'text' ? '"Hello!!"' : String(p.default)},`).join('\n');
  return {
    named_endpoints: {
      [`/${API_NAME}`]: {
        parameters: ps.map((p) => ({
          label: p.name, parameter_name: p.name, parameter_has_default: p.default !== undefined,
          parameter_default: p.default ?? null, type: p.apiType, python_type: { type: p.pythonType, description: '' },
          component: p.component, example_input: p.example,
        })),
        returns: [{
          label: 'audio', type: FILE_DATA_SCHEMA, python_type: { type: 'filepath', description: '' }, component: 'Audio',
        }],
        api_visibility: 'public',
        description: `Speak the text with the ${voice.name} Piper voice; one process_generating step per sentence.`,
        code_snippets: {
          python: `from gradio_client import Client\n\nclient = Client("${root}")\nresult = client.predict(\n${example}\n\tapi_name="/${API_NAME}",\n)\nprint(result)`,
          javascript: `import { Client } from "@gradio/client";\n\nconst client = await Client.connect("${root}");\nconst result = await client.predict("/${API_NAME}", {\n\t\ttext: "Hello!!",\n});\n\nconsole.log(result.data);`,
          bash: `curl -X POST ${root}${API_PREFIX}/call/${API_NAME} -s -H "Content-Type: application/json" -d '{"data": ["Hello!!"]}' \\\n  | awk -F'"' '{ print $4}' \\\n  | read EVENT_ID; curl -N ${root}${API_PREFIX}/call/${API_NAME}/$EVENT_ID`,
        },
      },
    },
    unnamed_endpoints: {},
  };
}
