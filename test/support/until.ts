// Waits for progress, not for a deadline: the bound only stops a test that would otherwise hang,
// and is generous because a shared, busy machine (CI, stress-ng beside the suite) may stall a
// process for seconds. Never use it to assert speed; that belongs in the bench.
export async function until(cond: () => boolean, ms = 60_000, pollMs = 5): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`condition not met in ${ms} ms`);
    await new Promise((r) => setTimeout(r, pollMs));
  }
}
