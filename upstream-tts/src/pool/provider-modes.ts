// What the worker's execution-provider option can say, apart from the code that acts on it:
// the config reads these before (and whether or not) onnxruntime-node is installed.
export const EXECUTION_PROVIDER_MODES = ['auto', 'cpu', 'cuda'] as const;
export type ExecutionProviderMode = (typeof EXECUTION_PROVIDER_MODES)[number];
export type ExecutionProvider = 'cpu' | 'cuda';
