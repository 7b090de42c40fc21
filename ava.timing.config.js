// The tests that measure latency and memory of the proxy under load run after the rest, one file
// at a time, so that other test files do not share the two cores with them (scripts/test.sh).
export default {
  files: ['dist/test/e2e/export-resilience.test.js', 'dist/test/e2e/sampling-bad-input.test.js'],
  timeout: '5m',
  concurrency: 1,
  workerThreads: false,
};
