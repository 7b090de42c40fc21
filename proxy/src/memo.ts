// A pure function of a string key, remembered for keys that recur (peers, hops, session hashes).
// Client-chosen keys must not grow memory: past `max` entries the memory starts over, which costs a
// recomputation, never a wrong answer.
export function boundedMemo<V>(max: number, compute: (key: string) => V): (key: string) => V {
  const known = new Map<string, V>();
  return (key) => {
    let v = known.get(key);
    if (v === undefined) {
      v = compute(key);
      if (known.size >= max) known.clear();
      known.set(key, v);
    }
    return v;
  };
}
