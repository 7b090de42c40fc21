// Which layer may import which (docs/architecture.md, "Code layout"). Run by the test command
// (`npm run lint:deps`); a wrong-way import fails it. There is no list of tolerated violations.
/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'common-imports-no-program',
      comment: 'common/ is what the proxy and the worker share; it may not depend on either, nor on tests.',
      severity: 'error',
      from: { path: '^common/' },
      to: { path: '^(proxy|upstream-tts|test|bench)/' },
    },
    {
      name: 'worker-not-proxy',
      comment: 'The worker shares code with the proxy only through common/.',
      severity: 'error',
      from: { path: '^upstream-tts/src/' },
      to: { path: '^proxy/' },
    },
    {
      name: 'proxy-not-worker',
      severity: 'error',
      from: { path: '^proxy/src/' },
      to: { path: '^upstream-tts/' },
    },
    {
      name: 'source-not-tests',
      severity: 'error',
      from: { path: '^(common|proxy/src|upstream-tts/src)/' },
      to: { path: '^(test|bench)/' },
    },
    {
      name: 'metrics-not-lifecycle',
      comment: 'Metrics take plain values and keys; they never read the request state or the lifecycle.',
      severity: 'error',
      from: { path: '^proxy/src/(metrics|prediction-metrics|exposition)\\.ts$' },
      to: { path: '^proxy/src/(request-state|pipeline|server|finish|lifecycle|websocket-lifecycle)\\.ts$' },
    },
    {
      name: 'lifecycle-not-observers',
      comment: 'The request state and the pipeline know observers only through proxy/src/observer.ts.',
      severity: 'error',
      from: { path: '^proxy/src/(request-state|pipeline|lifecycle|websocket-lifecycle|finish)\\.ts$' },
      to: { path: '^proxy/src/(gradio|audio)/' },
    },
    {
      name: 'observers-not-lifecycle',
      comment: 'Observers (gradio/, audio/, sampling/, export/, spans/, forwarding/) do not reach back into the lifecycle.',
      severity: 'error',
      from: { path: '^proxy/src/(gradio|audio|sampling|export|spans|forwarding|report|config)/' },
      to: { path: '^proxy/src/(request-state|pipeline|server|finish|lifecycle|websocket-lifecycle|main)\\.ts$' },
    },
    {
      name: 'no-circular',
      comment: 'No import cycle at run time (a cycle closed by an `import type` costs nothing and is allowed).',
      severity: 'error',
      from: {},
      to: { circular: true, viaOnly: { dependencyTypesNot: ['type-only'] } },
    },
  ],
  options: {
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^(node_modules|dist)/' },
  },
};
