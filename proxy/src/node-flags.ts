// The Node flags every shipped launch of the proxy uses (the image's ENTRYPOINT, scripts/demo.sh,
// the bin's shebang; test/compose/compose.test.ts checks they agree with this list).
//
// Why a fixed growing factor: V8 lets the old generation grow to a multiple of the live heap
// before a full collection, and picks that multiple itself: up to ~4x on a machine with this much
// memory (under CPU starvation incremental marking runs long, more survives each cycle, and a
// 10,000-request burst reached 150-320 MB resident), and from its own speed estimates on a small
// heap, where for the proxy's allocation pattern (~50 KB per request, nearly all of it dead by
// the next scavenge) it chose a factor so close to 1 that a full collection ran every 100-150 ms
// at 2,500 req/s (13% of the CPU). A factor of 2 bounds the heap by itself: the same burst peaks
// near 120 MB, beside stress-ng too (test/e2e/sampling-bad-input.test.ts).
//
// Why a 2 GB ceiling and not less: with any old-space limit below 2 GB, V8 manages the heap as a
// small one and the proxy's JavaScript ran 10-15% slower across the board (bench, side by side,
// with the same collection counts: 384 MB and 1 GB alike, 2 GB and no limit alike). The ceiling
// is there so that a leak ends the process at 2 GB rather than at a quarter of the machine.
export const PROXY_NODE_FLAGS: readonly string[] = Object.freeze(['--max-old-space-size=2048', '--heap-growing-percent=100']);
