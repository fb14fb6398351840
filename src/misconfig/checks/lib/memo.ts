/** How many answers a memo keeps before it starts over, so that a long-lived process does not grow it without end. */
const MAX_REMEMBERED = 10_000;

/**
 * `compute(text)`, answered from `cache` when the same text was asked before: a scan meets the same few
 * hundred label keys, values and quantities on every resource. `undefined` answers are remembered too.
 */
export function remembered<T>(cache: Map<string, T>, text: string, compute: (text: string) => T): T {
  let v = cache.get(text);
  if (v === undefined && !cache.has(text)) {
    if (cache.size >= MAX_REMEMBERED) cache.clear();
    v = compute(text);
    cache.set(text, v);
  }
  return v as T;
}
