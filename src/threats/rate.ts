import { z } from 'zod';
import { LruMap } from './lru.js';

/** Window, threshold and memory cap of a rate counter. */
export interface RateOptions {
  /** Sliding window length. */
  windowMs: number;
  /** Events (or distinct items) within the window that make a burst. */
  threshold: number;
  /** Keys (sources, identities) remembered at most, least recently active forgotten first. */
  maxKeys: number;
}

interface Entry {
  /** Times of the events in the window (at most `threshold` kept), oldest first. */
  times: number[];
  /** Distinct items seen in the window with their last time, when counting distinct items. */
  items: Map<string, number>;
  /** Time of the last burst reported; a new burst is reported only after a full quiet window. */
  reported: number | undefined;
}

const savedSchema = z.object({
  v: z.literal(1),
  keys: z.array(z.tuple([z.string(), z.array(z.number()), z.array(z.tuple([z.string(), z.number()])), z.number().nullable()])),
});

/** A burst just reached: the key, how many in the window and since when. */
export interface Burst {
  count: number;
  since: number;
  /** The distinct items of the window (when counting items), most recent last, at most 10. */
  sample: string[];
}

/**
 * Counts events (or distinct items such as secret names) per key in a sliding window of event time and reports a
 * burst once when the count reaches the threshold; the same key reports again only after its count has fallen
 * to zero for a whole window (one alert per burst, not one per event). Memory: at most `maxKeys` keys, each with
 * at most `threshold` times or items. The state round-trips through JSON.
 */
export class RateCounter {
  private readonly keys: LruMap<string, Entry>;

  constructor(
    readonly options: RateOptions,
    saved?: unknown,
  ) {
    this.keys = new LruMap(options.maxKeys);
    const parsed = savedSchema.safeParse(saved);
    if (parsed.success) for (const [k, times, items, reported] of parsed.data.keys) this.keys.set(k, { times: times.slice(-options.threshold), items: new Map(items.slice(-options.threshold)), reported: reported ?? undefined });
  }

  get size(): number {
    return this.keys.size;
  }

  /** Counts one event for `key` at `t`; with `item`, counts distinct items instead of events. */
  add(key: string, t: number, item?: string): Burst | undefined {
    const { windowMs, threshold } = this.options;
    // Keys whose last event left the window long ago carry nothing: drop them (least recently active first).
    this.keys.sweep((e) => t - lastTime(e) > windowMs && (e.reported === undefined || t - e.reported > windowMs));
    let e = this.keys.get(key);
    if (!e) {
      e = { times: [], items: new Map(), reported: undefined };
      this.keys.set(key, e);
    }
    const from = t - windowMs;
    let count: number;
    let since: number;
    if (item === undefined) {
      while (e.times.length > 0 && e.times[0]! < from) e.times.shift();
      e.times.push(t);
      if (e.times.length > threshold) e.times.shift();
      count = e.times.length;
      since = e.times[0]!;
    } else {
      for (const [k, at] of e.items) if (at < from) e.items.delete(k);
      e.items.delete(item);
      e.items.set(item, t);
      if (e.items.size > threshold) e.items.delete(e.items.keys().next().value as string);
      count = e.items.size;
      since = Math.min(...e.items.values());
    }
    if (e.reported !== undefined && t - e.reported <= windowMs) {
      // Still the same burst: push the quiet period forward.
      e.reported = t;
      return undefined;
    }
    if (count < threshold) return undefined;
    e.reported = t;
    return { count, since, sample: [...e.items.keys()].slice(-10) };
  }

  /** The counters as JSON. */
  save(): unknown {
    return { v: 1, keys: [...this.keys.entries()].map(([k, e]) => [k, e.times, [...e.items], e.reported ?? null]) } satisfies z.infer<typeof savedSchema>;
  }
}

function lastTime(e: Entry): number {
  let last = e.times.at(-1) ?? -Infinity;
  for (const at of e.items.values()) if (at > last) last = at;
  return last;
}
