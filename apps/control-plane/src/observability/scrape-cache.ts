/**
 * Wraps a loader so that scrapes within `ttlMs` of the last load share its result (several gauges read one
 * snapshot per scrape, and several Prometheus servers may scrape). A failed load is not cached.
 */
export function cachedFor<T>(ttlMs: number, load: () => Promise<T>, now: () => number = Date.now): () => Promise<T> {
  let cached: { at: number; value: Promise<T> } | undefined;
  return () => {
    const t = now();
    if (cached && t - cached.at < ttlMs) return cached.value;
    const value = load();
    const entry = { at: t, value };
    cached = entry;
    value.catch(() => {
      if (cached === entry) cached = undefined;
    });
    return value;
  };
}
