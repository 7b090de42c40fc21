// Composition root: builds every part from the frozen config and wires the routes.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { randomInt } from 'node:crypto';
import { makeLogger, type Logger } from '../../common/logger.js';
import { makeExtractor } from '../../common/propagation/extract.js';
import type { WorkerConfig } from './config/load.js';
import { TtsError } from './errors.js';
import { FileStore } from './files/file-store.js';
import { handleCallPost, CallStreams } from './gradio-api/call.js';
import { API_NAME, API_PREFIX, apiInfo, appConfig } from './gradio-api/config.js';
import { serveFile } from './gradio-api/files.js';
import { serveHeartbeat } from './gradio-api/heartbeat.js';
import { internalServerError, rootUrl, sendJson } from './gradio-api/http.js';
import { pageHtml } from './gradio-api/page.js';
import { handleCancel, handleData, handleJoin, handleStatus, type QueueRouteDeps } from './gradio-api/queue.js';
import { SessionStreams } from './gradio-api/sessions.js';
import { makeSubmitter } from './gradio-api/submit.js';
import { EventLoopMonitor, healthBody } from './health.js';
import { JobQueue } from './jobs/job-queue.js';
import { makeSynthesisProcessor, type SynthesisEvent } from './jobs/synthesis-job.js';
import { WorkerPool } from './pool/pool.js';
import { buildTracing, type Tracing } from './tracing/provider.js';
import { loadVoiceConfig, type VoiceConfig } from './tts/voice.js';

export interface WorkerApp {
  readonly server: Server;
  readonly pool: WorkerPool;
  readonly voice: VoiceConfig;
  readonly logger: Logger;
  readonly tracing: Tracing;
  /** Stop accepting, fail what waits, let running events end up to `deadlineMs`, flush spans. */
  shutdown(deadlineMs: number): Promise<void>;
}

// Sessions and unread call results are kept this long (the clients read them within seconds),
// and at most this many (each holds at most SESSION_BUFFER_BYTES of unread messages).
const IDLE_TTL_MS = 5 * 60_000;
const SESSION_BUFFER_BYTES = 1 << 20;
const MAX_STREAMS = 10_000;

/** Loads the voice and starts the inference threads; rejects with a clear TtsError when it cannot. */
export async function buildWorker(config: WorkerConfig): Promise<WorkerApp> {
  const logger = makeLogger(config.logLevel);
  const voice = loadVoiceConfig(config.voice);
  const pool = await WorkerPool.start(config.workers, {
    modelPath: voice.modelPath, configPath: voice.configPath, mode: config.executionProvider,
    intraOpThreads: config.threads, nice: config.inferenceNice,
  }, logger);
  if (pool.provider === 'cpu' && config.executionProvider === 'cuda') {
    logger.log('warn', 'CUDA was requested but cannot be used; running on CPU', { reason: pool.cudaError });
  }
  logger.log('info', 'voice loaded', {
    voice: voice.name, sample_rate: voice.sampleRate, espeak_voice: voice.espeakVoice, execution_provider: pool.provider,
    ...(pool.provider === 'cpu' && config.executionProvider === 'auto' ? { cuda: pool.cudaError } : {}),
    workers: config.workers, intra_op_threads: config.threads,
  });

  const tracing = buildTracing(config);
  const tracer = tracing.provider.getTracer('upstream-tts');
  const files = new FileStore({ dir: config.filesDir, maxFiles: config.maxFiles, ttlMs: config.fileTtlS * 1000 });
  const heartbeatMs = config.heartbeatIntervalS * 1000;
  const sessions = new SessionStreams({ heartbeatMs, idleTtlMs: IDLE_TTL_MS, maxBufferBytes: SESSION_BUFFER_BYTES, maxSessions: MAX_STREAMS });
  const calls = new CallStreams({ heartbeatMs, unreadTtlMs: IDLE_TTL_MS, maxCalls: MAX_STREAMS });
  const queue = new JobQueue<SynthesisEvent>(
    { concurrency: config.concurrency, maxSize: config.maxQueueSize },
    makeSynthesisProcessor({ pool, files, voice, sentenceSilenceS: config.sentenceSilenceS }),
  );
  const provider = (): string => pool.provider;
  const submit = makeSubmitter({
    voice, queue, tracer, extract: makeExtractor(config.propagators), provider,
    maxTextChars: config.maxTextChars, rootPath: config.rootPath,
  });
  const queueDeps: QueueRouteDeps = { submit, sessions, queue };
  const loop = new EventLoopMonitor();
  const appId = String(randomInt(2 ** 47));

  const route = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const path = url.pathname;
    const method = req.method ?? 'GET';
    const get = method === 'GET' || method === 'HEAD';
    if (get && path === '/') {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      res.end(method === 'HEAD' ? undefined : pageHtml(voice, pool.provider));
      return;
    }
    if (get && (path === '/config' || path === '/config/')) return sendJson(res, 200, appConfig(voice, rootUrl(req, config.rootPath), appId));
    if (get && path === '/healthz') {
      return sendJson(res, 200, healthBody({
        pool: () => pool.stats(), provider, voice: voice.name, files: () => files.size, sessions: () => sessions.count,
        queue: () => ({ waiting: queue.size, running: queue.active }),
      }, loop, url.searchParams.get('reset') === '1'));
    }
    if (!path.startsWith(`${API_PREFIX}/`)) return sendJson(res, 404, { detail: 'Not Found' });
    const sub = path.slice(API_PREFIX.length);
    if (get && (sub === '/info' || sub === '/info/')) return sendJson(res, 200, apiInfo(voice, rootUrl(req, config.rootPath)));
    if (get && sub === '/app_id') return sendJson(res, 200, { app_id: appId });
    if (get && sub.startsWith('/file=')) return serveFile(req, res, sub.slice('/file='.length), files);
    if (method === 'POST' && sub === '/queue/join') return handleJoin(req, res, queueDeps);
    if (get && sub === '/queue/data') return handleData(url, res, queueDeps);
    if (get && sub === '/queue/status') return handleStatus(res, queueDeps);
    if (method === 'POST' && (sub === '/cancel' || sub === '/reset')) return handleCancel(req, res, queueDeps);
    if (get && sub.startsWith('/heartbeat/')) return serveHeartbeat(res, heartbeatMs);
    const call = /^\/call\/(v2\/)?([^/]+)(?:\/([^/]+))?$/.exec(sub);
    if (call) {
      const [, v2, api, eventId] = call;
      if (api !== API_NAME) return internalServerError(res);
      if (method === 'POST' && !eventId) return handleCallPost(req, res, v2 !== undefined, { submit, calls });
      if (get && eventId) return calls.open(eventId, res);
    }
    sendJson(res, 404, { detail: 'Not Found' });
  };

  const server = createServer((req, res) => {
    route(req, res).catch((err: unknown) => {
      logger.log('error', 'request failed', { path: req.url?.split('?')[0], message: (err as Error).message });
      if (!res.headersSent) internalServerError(res);
      else res.destroy();
    });
  });
  // SSE streams stay open for minutes; Node's default request timeout would cut them.
  server.requestTimeout = 0;

  return {
    server, pool, voice, logger, tracing,
    async shutdown(deadlineMs) {
      server.close();
      queue.drain(new TtsError('cancelled', 'server shutting down'));
      const deadline = Date.now() + deadlineMs;
      while (queue.active > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      sessions.close();
      calls.close();
      server.closeAllConnections();
      await pool.close();
      loop.close();
      files.close();
      await tracing.flush(Math.max(1000, deadline - Date.now()));
    },
  };
}
