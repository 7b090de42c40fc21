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
//
// Why a 64 MB floor under the old generation's limit (`--initial-old-space-size`, which V8 also
// keeps as the limit's minimum): body bytes pass through in buffers outside V8's heap, and V8
// counts those allocated since its last full collection against that limit, as if they were old
// objects. Twice a ~14 MB live heap left ~12 MB for them before V8 starts marking (it keeps a
// young generation's worth, 16 MB, in reserve), so answers of 64 KB and more (audio files, the
// product's main download) set off a full collection every 60-100 ms: half the proxy's CPU per
// 256 KB answer, and 0.6 of the rate it reaches without them (test/e2e/body-gc.test.ts). The
// floor changes nothing once the live heap is larger: 1,000 streams and a 20 MiB upload peak as
// before (bench).
export const PROXY_NODE_FLAGS: readonly string[] = Object.freeze(['--max-old-space-size=2048', '--heap-growing-percent=100', '--initial-old-space-size=64']);
