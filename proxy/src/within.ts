// A bounded wait whose timer leaves with it. `Promise.race([p, sleep(ms)])` keeps its timer armed
// after `p` wins: one per request, thousands pending under load, and every timer the process sets
// pays for the longer list (timers were a few percent of a join's CPU in a profile).

/** Resolves once `p` settles or `ms` pass, whichever comes first; never rejects. */
export function within(p: Promise<unknown>, ms: number): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    timer.unref();
    const done = () => { clearTimeout(timer); resolve(); };
    p.then(done, done);
  });
}
