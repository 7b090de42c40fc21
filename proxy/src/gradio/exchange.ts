// What every Gradio observer shares: the exchange record, schema learning, and the start and
// completion of prediction spans.
import type { Attributes } from '@opentelemetry/api';
import type { Agent, IncomingMessage } from 'node:http';
import { request } from 'node:http';
import { probeDataUrl } from '../audio/probe.js';
import type { ObservedRequest } from '../observer.js';
import * as A from '../spans/attributes.js';
import type { Dependency } from './app-config.js';
import { StartedHandle, type AppView, type EarlyMessages, type GradioContext, type Handle } from './context.js';
import { addArmAttributes } from '../spans/http.js';
import { describeInputs, describeInputsNow, type InputFacts } from './inputs.js';
import { checkRules } from './rules.js';
import { isLongString, JsonCapture, type Captured, type CaptureResult } from './json-capture.js';
import { decodingFeeder } from './decode.js';
import { findOutputFiles, probeOutput } from './outputs.js';
import { now, Prediction } from './prediction.js';
import { guard, guarded, guardedAsync, guardedListener, Site } from '../guard.js';
import { within } from '../within.js';
import { MAX_DEPTH, type CaptureLimits } from './json-capture.js';
import { cleanName, resolveApiName } from './names.js';

type Obj = { [k: string]: Captured };
export const isObj = (v: Captured | undefined): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v) && !isLongString(v);

export const CONFIG_LIMITS: CaptureLimits = { maxString: 4096, headChars: 256, maxNodes: 500_000, maxDepth: MAX_DEPTH };

/** Everything one observed request needs. */
export interface Exchange {
  readonly g: GradioContext;
  readonly state: ObservedRequest;
  readonly req: IncomingMessage;
  /** Route template without the /gradio_api prefix, e.g. `/queue/join`. */
  readonly family: string;
  readonly startedAt: number;
  /** The app replica this request went to. */
  readonly app: AppView;
}

export function parseError(x: Exchange, kind: string): void {
  x.g.counters.parseError(kind);
  x.state.found.set({ [A.ATTR_GRADIO_PARSE_ERROR]: kind });
}

/** Records on the span what kept a captured body from being read whole (the span itself survives). */
export function captureProblems(x: Exchange, r: CaptureResult): string | undefined {
  const kind = r.invalid ? 'invalid_json' : r.tooDeep ? 'too_deep' : r.truncated ? 'truncated' : undefined;
  if (kind) parseError(x, kind);
  return kind;
}

/**
 * Captures a JSON request body. The capture itself: its value so far (`partial()`) is the settled
 * value once the body has ended, and a small body has its result (`settled`) in the turn it ends.
 */
export function requestJson(): JsonCapture {
  return new JsonCapture();
}

/** Captures a JSON response body, decoding Content-Encoding on the side. */
export function responseJson(limits?: ConstructorParameters<typeof JsonCapture>[0]) {
  const c = new JsonCapture(limits);
  let feeder: { feed(c: Buffer): void; end(): void } | undefined;
  return {
    get result() { return c.result; },
    start(res: IncomingMessage) { feeder = decodingFeeder(res.headers['content-encoding'] as string | undefined, (b) => c.feed(b), () => c.end(), () => c.wantsMore, () => c.truncate()); },
    feed(b: Buffer) { feeder?.feed(b); },
    end() { if (feeder) feeder.end(); else c.end(); },
  };
}

// ---- schema: learnt from /config and /info as they pass, fetched once when missing ----------

function getJson(url: URL, timeoutMs: number, agent: Agent | undefined): Promise<Captured | undefined> {
  return new Promise((resolve) => {
    const req = request(url, { timeout: timeoutMs, headers: { accept: 'application/json' }, agent }, guarded(Site.FETCH, (res: IncomingMessage) => {
      res.on('error', () => resolve(undefined));
      if (res.statusCode !== 200) { res.resume(); resolve(undefined); return; }
      const c = new JsonCapture(CONFIG_LIMITS);
      const f = decodingFeeder(res.headers['content-encoding'] as string | undefined, (b) => c.feed(b), () => c.end(), () => c.wantsMore, () => c.truncate());
      guardedListener(res, 'data', Site.FETCH, (b: Buffer) => f.feed(b));
      guardedListener(res, 'end', Site.FETCH, () => f.end());
      c.result.then((r) => resolve(r.value), () => resolve(undefined));
    }));
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(undefined));
    // However the exchange goes (even if a guarded listener failed), the caller gets an answer.
    setTimeout(() => { req.destroy(); resolve(undefined); }, 2 * timeoutMs).unref();
    req.end();
  });
}

/** Makes sure a schema is known, fetching /config and /info from the app at most every 30 s. */
export function ensureSchema(app: AppView): Promise<void> {
  const f = app.fetch;
  if (app.schemas.get() && app.schemas.hasInfo()) return Promise.resolve();
  if (f.inflight) return f.inflight;
  if (Date.now() - f.last < 30_000) return Promise.resolve();
  f.last = Date.now();
  f.inflight = guardedAsync(Site.SCHEMA_FETCH, async () => {
    const config = await getJson(new URL('/config', app.upstream), 3000, app.agent);
    app.schemas.setConfig(config);
    const prefix = app.schemas.get()?.apiPrefix ?? '';
    app.schemas.setInfo(await getJson(new URL(`${prefix}/info`, app.upstream), 3000, app.agent));
  }).then(() => { f.inflight = undefined; });
  return f.inflight;
}

/** Whether a prediction must wait for the schema: a fetch from the app is under way (just started, maybe). */
function schemaComing(app: AppView): boolean {
  void ensureSchema(app);
  return app.fetch.inflight !== undefined;
}

async function schemaSoon(app: AppView): Promise<void> {
  const known = ensureSchema(app);
  // Known, or fetched lately: nothing to wait for.
  if (app.fetch.inflight) await within(known, 3000);
}

// ---- predictions ----------------------------------------------------------------------------

export interface Submission {
  /** The api name the client addressed (`/<decoded path segment>`); reported only if the schema has it. */
  readonly apiName?: string;
  readonly fnIndex?: number;
  readonly data?: Captured;
  readonly sessionHash?: string;
  readonly eventId?: string;
  readonly queued: boolean;
  readonly transport: string;
}

function dependencyOf(app: AppView, sub: Pick<Submission, 'fnIndex' | 'apiName'>): Dependency | undefined {
  const schema = app.schemas.get();
  return sub.fnIndex !== undefined ? schema?.byFnIndex.get(sub.fnIndex) : sub.apiName !== undefined ? resolveApiName(schema, sub.apiName).dep : undefined;
}

const resolversOf = (g: GradioContext) => ({ fileMeta: (path: string) => g.files.get(path), dataUrlMeta: (head: string, length: number) => probeDataUrl(head, length) });

/** The dependency a submission targets and what its inputs are, from the learnt schema. */
export async function analyseSubmission(g: GradioContext, app: AppView, sub: Pick<Submission, 'fnIndex' | 'apiName' | 'data'>): Promise<{ dep?: Dependency; facts: InputFacts }> {
  await schemaSoon(app);
  const dep = dependencyOf(app, sub);
  return { dep, facts: await describeInputs(sub.data, dep, resolversOf(g)) };
}

/**
 * The gradio.predict span for a submission, started now, when nothing needs waiting for: the
 * schema is known (or not coming) and no input is inline audio to probe. That is the usual join,
 * and it then costs no promise chain (issue 10). Undefined otherwise: `startPrediction` waits.
 */
export function startPredictionNow(x: Exchange, sub: Submission): Prediction | undefined {
  if (schemaComing(x.app)) return undefined;
  const dep = dependencyOf(x.app, sub);
  const facts = describeInputsNow(sub.data, dep, (path) => x.g.files.get(path));
  return facts && newPrediction(x, sub, dep, facts);
}

/** Creates the gradio.predict span for a submission, with input attributes and rule checks. */
export async function startPrediction(x: Exchange, sub: Submission): Promise<Prediction> {
  return startPredictionNow(x, sub) ?? startPredictionLater(x, sub);
}

/** The span once the schema and the inputs' probes are in: for a submission `startPredictionNow` could not start. */
export async function startPredictionLater(x: Exchange, sub: Submission): Promise<Prediction> {
  const { dep, facts } = await analyseSubmission(x.g, x.app, sub);
  return newPrediction(x, sub, dep, facts);
}

function newPrediction(x: Exchange, sub: Submission, dep: Dependency | undefined, facts: InputFacts): Prediction {
  const g = x.g;
  const schema = x.app.schemas.get();
  // Never the client's string: the schema's name for the dependency, or `other`.
  const apiName = sub.apiName !== undefined && sub.fnIndex === undefined ? resolveApiName(schema, sub.apiName).name : dep?.apiName;
  // The facts' attributes are this call's own: the span takes them as they are.
  const attributes: Attributes = addArmAttributes(facts.attributes, x.state);
  attributes[A.ATTR_GRADIO_TRANSPORT] = sub.transport;
  if (schema?.version) attributes[A.ATTR_GRADIO_VERSION] = schema.version;
  if (schema) attributes[A.ATTR_GRADIO_PROTOCOL] = schema.protocol;
  if (apiName) attributes[A.ATTR_GRADIO_API_NAME] = apiName;
  const fnIndex = sub.fnIndex ?? dep?.fnIndex;
  if (fnIndex !== undefined) attributes[A.ATTR_GRADIO_FN_INDEX] = fnIndex;
  if (sub.eventId) attributes[A.ATTR_GRADIO_EVENT_ID] = cleanName(sub.eventId);
  if (sub.sessionHash) attributes[A.ATTR_GRADIO_SESSION] = g.session(sub.sessionHash);
  const violations = checkRules(facts, g.options);
  if (violations.length) attributes[A.ATTR_TTS_RULE_VIOLATIONS] = violations.map((v) => v.rule);
  return new Prediction({
    tracer: g.tracer,
    parent: x.state.serverContext ?? x.state.parentContext,
    startedAt: x.startedAt,
    apiName,
    attributes,
    queued: sub.queued,
    app: x.app,
    sessionKey: sub.sessionHash,
    eventId: sub.eventId,
  });
}

/**
 * Inputs that arrive after their prediction began (4.0-4.8's POST queue/data, 3.x's send_data
 * answer): described against the dependency `fnIndex` names and set on the prediction.
 */
export async function describeLateInputs(x: Pick<Exchange, 'g' | 'app'>, p: Prediction, fnIndex: number | undefined, data: Captured | undefined): Promise<void> {
  const dep = fnIndex !== undefined ? x.app.schemas.get()?.byFnIndex.get(fnIndex) : undefined;
  p.set((await describeInputs(data, dep, resolversOf(x.g))).attributes);
}

/**
 * error.type for a submission the app refused with an HTTP status (gradio-protocol §6). A 404 on
 * a path that names an api (`/call/<name>`, `/run/<name>`) means there is no such endpoint; only
 * the queue's 404 is about the session.
 */
export function statusErrorType(status: number, namesApi = false): string {
  if (status === 503) return A.ErrorType.QUEUE_FULL;
  if (status === 422 || status === 400) return A.ErrorType.VALIDATION_ERROR;
  if (status === 404) return namesApi ? A.ErrorType.API_NOT_FOUND : A.ErrorType.SESSION_NOT_FOUND;
  return String(status);
}

/**
 * Completion: output probes (awaited before the span ends), then the end itself. `at`: when the
 * completion passed the proxy, not when its turn to be handled came.
 */
export function complete(x: Pick<Exchange, 'g' | 'req'>, p: Prediction, success: boolean, output: Captured | undefined, errorType: string = A.ErrorType.APP_ERROR, at = now()): void {
  const data = isObj(output) ? output.data : output;
  const files = findOutputFiles(data);
  // The replica that ran the prediction holds its output.
  const app = p.app;
  if (success && files[0] && x.g.options.probeOutputs) {
    const cookie = x.req.headers.cookie;
    const file = files[0];
    p.waitFor(guardedAsync(Site.OUTPUT_PROBE, async () => {
      const r = await probeOutput(file, {
        upstream: app.upstream, apiPrefix: app.schemas.get()?.apiPrefix ?? '', timeoutMs: 3000,
        headers: cookie ? { cookie } : {}, agent: app.agent,
      });
      if (!r) return;
      p.set(r.attributes);
      p.outputDurationS = r.durationS;
    }));
  }
  void p.finish(success ? A.EndReason.COMPLETED : A.EndReason.FAILED, success ? undefined : errorType, undefined, at);
}

/**
 * Registers an event_id synchronously, before its span may exist (`now`: it does, and `ready` is
 * not needed); messages that arrived for it early are replayed in order once it does.
 */
export function register(x: Exchange, eventId: string, sessionHash: string | undefined, ready: Promise<Prediction | undefined> | undefined, replay: (p: Prediction, msg: Obj, at: number) => void, now?: Prediction): Handle {
  const h: Handle = now ? new StartedHandle(eventId, sessionHash, now) : { eventId, sessionKey: sessionHash, ready: ready ?? Promise.resolve(undefined), prediction: undefined };
  x.g.predictions.set(eventId, h);
  const early = x.g.early.size ? x.g.early.delete(eventId) : undefined;
  if (now) {
    if (early) guard(Site.STREAM_MESSAGE, () => replayEarly(now, early, replay));
    return h;
  }
  void guardedAsync(Site.STREAM_MESSAGE, async () => {
    const p = await h.ready;
    if (!p) return void x.g.predictions.delete(eventId);
    h.prediction = p;
    if (early) replayEarly(p, early, replay);
  });
  return h;
}

function replayEarly(p: Prediction, early: EarlyMessages, replay: (p: Prediction, msg: Obj, at: number) => void): void {
  for (const e of early.messages) if (!p.isEnded) replay(p, e.msg as Obj, e.at);
}
