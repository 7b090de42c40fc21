// What the proxy learns about the app from `GET /config` (and `GET {prefix}/info`): protocol
// generation, API prefix, and each dependency's input components, so positional `data[]` can be
// mapped to safe attributes (design §3 "Schema-aware inputs").
import { isLongString, type Captured } from './json-capture.js';
import { cleanKey, cleanName } from './names.js';

export interface InputComponent {
  readonly type: string;
  /** Attribute-safe name: the API parameter name, else a slug of the label, else `arg<i>`. */
  readonly name: string;
  /** Declared choice values (Radio, Dropdown, CheckboxGroup), as strings. */
  readonly choices?: readonly string[];
}

export interface Dependency {
  readonly fnIndex: number;
  /** As reported (cleaned and bounded: see names.ts); `byApiName` is keyed by the raw name. */
  readonly apiName?: string;
  readonly inputs: readonly InputComponent[];
}

export interface AppSchema {
  readonly version?: string;
  readonly protocol: string;
  readonly apiPrefix: string;
  readonly byFnIndex: ReadonlyMap<number, Dependency>;
  readonly byApiName: ReadonlyMap<string, Dependency>;
}

type Obj = { [k: string]: Captured };
const isObj = (v: Captured | undefined): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v) && !isLongString(v);
const str = (v: Captured | undefined): string | undefined => (typeof v === 'string' ? v : undefined);

export function slug(label: string): string {
  return label.toLowerCase().replace(/[^a-z0-9]+/g, '_').replace(/^_+|_+$/g, '').slice(0, 40);
}

/** `/echo` style: Gradio 4+ stores api names without the slash, clients use them with it. */
export function normalizeApiName(name: string): string {
  return name.startsWith('/') ? name : `/${name}`;
}

function choicesOf(props: Obj): string[] | undefined {
  const raw = props.choices;
  if (!Array.isArray(raw)) return undefined;
  const out: string[] = [];
  for (const c of raw) {
    // 4.x+: [label, value] pairs; 3.x: plain values.
    const v = Array.isArray(c) ? c[1] : c;
    if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') out.push(String(v));
  }
  return out;
}

/** Parameter names per api name from `/info` (4.x+ `named_endpoints[*].parameters[*].parameter_name`). */
export function parseInfo(info: Captured | undefined): Map<string, (string | undefined)[]> {
  const out = new Map<string, (string | undefined)[]>();
  if (!isObj(info) || !isObj(info.named_endpoints)) return out;
  for (const [api, ep] of Object.entries(info.named_endpoints)) {
    if (!isObj(ep) || !Array.isArray(ep.parameters)) continue;
    // `parameter_name` exists from Gradio 4.2x on; older /info gives labels only (the config has those).
    out.set(normalizeApiName(api), ep.parameters.map((p) => {
      const name = isObj(p) ? str(p.parameter_name) : undefined;
      return name === undefined ? undefined : cleanKey(name) || undefined;
    }));
  }
  return out;
}

export function parseConfig(config: Captured | undefined, params: ReadonlyMap<string, readonly (string | undefined)[]> = new Map()): AppSchema | undefined {
  if (!isObj(config) || !Array.isArray(config.dependencies)) return undefined;
  const components = new Map<number, Obj>();
  if (Array.isArray(config.components)) {
    for (const c of config.components) if (isObj(c) && typeof c.id === 'number') components.set(c.id, c);
  }
  const byFnIndex = new Map<number, Dependency>();
  const byApiName = new Map<string, Dependency>();
  config.dependencies.forEach((d, index) => {
    if (!isObj(d)) return;
    // 4.x+ dependencies carry their id (= fn_index); 3.x uses the list position.
    const fnIndex = typeof d.id === 'number' ? d.id : index;
    const api = str(d.api_name);
    const apiName = api ? normalizeApiName(api) : undefined;
    const names = apiName ? params.get(apiName) : undefined;
    let param = 0;
    const inputs: InputComponent[] = (Array.isArray(d.inputs) ? d.inputs : []).map((id, i) => {
      const c = typeof id === 'number' ? components.get(id) : undefined;
      const type = str(c?.type) ?? 'unknown';
      const props = isObj(c?.props) ? c!.props as Obj : {};
      // /info lists no parameter for gr.State inputs, so names are assigned to the others in order.
      const name = type === 'state' ? `state${i}` : names?.[param++] ?? (slug(str(props.label) ?? '') || `arg${i}`);
      return { type, name, choices: choicesOf(props) };
    });
    const dep: Dependency = { fnIndex, apiName: apiName === undefined ? undefined : cleanName(apiName), inputs };
    byFnIndex.set(fnIndex, dep);
    if (apiName) byApiName.set(apiName, dep);
  });
  return {
    // The app's own strings, but they become attributes: cleaned and bounded like any name.
    version: str(config.version) === undefined ? undefined : cleanName(str(config.version)!),
    protocol: cleanName(str(config.protocol) ?? 'ws'),
    apiPrefix: str(config.api_prefix) ?? '',
    byFnIndex,
    byApiName,
  };
}

/**
 * The latest schema per upstream. `/config` and `/info` may arrive in either order (or only one
 * of them), so both raw documents are kept (small: the config is parsed with the capture limits)
 * and the schema is rebuilt when either changes.
 */
export class SchemaStore {
  private config: Captured | undefined;
  private params = new Map<string, (string | undefined)[]>();
  private schema: AppSchema | undefined;
  learnedAt = 0;

  setConfig(config: Captured | undefined): void {
    const parsed = parseConfig(config, this.params);
    if (!parsed) return;
    this.config = config;
    this.schema = parsed;
    this.learnedAt = Date.now();
  }

  setInfo(info: Captured | undefined): void {
    const params = parseInfo(info);
    if (!params.size) return;
    this.params = params;
    if (this.config) this.schema = parseConfig(this.config, params);
  }

  get(): AppSchema | undefined {
    return this.schema;
  }

  hasInfo(): boolean {
    return this.params.size > 0;
  }
}
