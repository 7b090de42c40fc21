// The Node flags every shipped launch of the proxy uses (the image's ENTRYPOINT, scripts/demo.sh,
// the bin's shebang; test/compose/compose.test.ts checks they agree with this list).
//
// Why a heap limit: V8 sizes its old generation up to ~4x the live heap on a machine with this
// much memory, and under CPU starvation incremental marking runs long, so more survives each
// cycle and the limit climbs further. The proxy's live heap is ~15 MB plus its capped tables
// (docs/operations.md, "Memory"), yet a burst on a busy machine reached 317 MB resident. Below
// 2 GB V8 grows the heap by a smaller factor: a 10,000-request burst peaks near 115 MB instead of
// 150-320 MB. 384 MB is well above what the caps can hold.
//
// Why a fixed growing factor: below 2 GB V8 also picks its factor from its own speed estimates,
// and for the proxy's allocation pattern (~50 KB per request, nearly all of it dead by the next
// scavenge) it chose one so close to 1 that a full collection ran every 100-150 ms at 2,500 req/s:
// 13% of the CPU, and 15-20% of the throughput (bench, side by side). A factor of 2 (the next
// full collection at twice the live old generation) ran 2-2.5x fewer of them and keeps the
// bound the cap was for.
export const PROXY_NODE_FLAGS: readonly string[] = Object.freeze(['--max-old-space-size=384', '--heap-growing-percent=100']);
