// Chooses where a worker's ORT session runs. onnxruntime-node does not fall back by itself: a
// session asked for CUDA throws when the CUDA provider libraries (an optional download at
// install time) or a GPU are missing. So CUDA is tried on its own first and CPU taken on failure.
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import ort from 'onnxruntime-node';
import type { ExecutionProvider, ExecutionProviderMode } from './provider-modes.js';

export interface SessionChoice {
  readonly session: ort.InferenceSession;
  readonly provider: ExecutionProvider;
  /** Why CUDA was not used, when it was tried. */
  readonly cudaError?: string;
}

export interface SessionSettings {
  readonly intraOpThreads: number;
}

function options(provider: ExecutionProvider, settings: SessionSettings): ort.InferenceSession.SessionOptions {
  return {
    executionProviders: provider === 'cuda'
      // The Node binding takes only deviceId for CUDA (onnxruntime-common's typed options).
      ? [{ name: 'cuda', deviceId: 0 }]
      : ['cpu'],
    graphOptimizationLevel: 'all',
    intraOpNumThreads: settings.intraOpThreads,
    interOpNumThreads: 1,
    executionMode: 'sequential',
    logSeverityLevel: 3,
  };
}

/**
 * Whether onnxruntime-node's install script put the CUDA provider next to its binding (it does so
 * only with ONNXRUNTIME_NODE_INSTALL=cuda12; see docs/upstream-tts.md). In `auto` mode CUDA is
 * tried only then: without the library the attempt fails anyway, and ORT prints a native error
 * to stderr on the way that would look like a fault to someone reading the logs.
 */
export function cudaProviderInstalled(): boolean {
  const pkg = dirname(createRequire(import.meta.url).resolve('onnxruntime-node/package.json'));
  return existsSync(join(pkg, 'bin', 'napi-v6', process.platform, process.arch, 'libonnxruntime_providers_cuda.so'));
}

export async function createSession(
  model: Uint8Array, mode: ExecutionProviderMode, settings: SessionSettings,
): Promise<SessionChoice> {
  let cudaError: string | undefined;
  if (mode === 'auto' && !cudaProviderInstalled()) {
    cudaError = 'CUDA provider library not installed';
  } else if (mode !== 'cpu') {
    try {
      return { session: await ort.InferenceSession.create(model, options('cuda', settings)), provider: 'cuda' };
    } catch (err) {
      cudaError = err instanceof Error ? err.message : String(err);
    }
  }
  return { session: await ort.InferenceSession.create(model, options('cpu', settings)), provider: 'cpu', cudaError };
}
