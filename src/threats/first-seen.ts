import { z } from 'zod';
import { LruMap } from './lru.js';

/** Limits and windows of a first-seen memory. */
export interface FirstSeenOptions {
  /** How long after a principal is first seen its behaviour is learned silently. */
  learningMs: number;
  /** Principals remembered at most (least recently active forgotten first). */
  maxPrincipals: number;
  /** Keys remembered per principal at most (oldest forgotten first). */
  maxKeysPerPrincipal: number;
  /** A principal idle this long is forgotten (and learns again when it comes back). */
  forgetAfterMs: number;
}

interface Principal {
  start: number;
  last: number;
  keys: Set<string>;
}

const savedSchema = z.object({
  v: z.literal(1),
  principals: z.array(z.tuple([z.string(), z.number(), z.number(), z.array(z.string())])),
});

/** What `observe` concluded about a (principal, key) pair. */
export type FirstSeenVerdict = 'learning' | 'known' | 'new';

/**
 * Remembers, per principal (a service account), the keys (operations, user agents) it was seen with. Each principal
 * has its own learning window starting at its first event; after it, a key never seen before is `new` (once: it is
 * remembered from then on). Time is the events' own time, never the clock, so replaying a log gives the same
 * answers. Memory is bounded by `maxPrincipals x maxKeysPerPrincipal`; the state round-trips through JSON.
 */
export class FirstSeenMemory {
  private readonly principals: LruMap<string, Principal>;

  constructor(
    readonly options: FirstSeenOptions,
    saved?: unknown,
  ) {
    this.principals = new LruMap(options.maxPrincipals);
    const parsed = savedSchema.safeParse(saved);
    if (parsed.success) for (const [name, start, last, keys] of parsed.data.principals) this.principals.set(name, { start, last, keys: new Set(keys.slice(-options.maxKeysPerPrincipal)) });
  }

  /** Number of principals remembered. */
  get size(): number {
    return this.principals.size;
  }

  /** Records that `principal` was seen with `key` at `t` (ms) and says whether that is new after learning. */
  observe(principal: string, key: string, t: number): FirstSeenVerdict {
    const o = this.options;
    // Forget principals idle for longer than the TTL (the least recently active come first).
    this.principals.sweep((p) => t - p.last > o.forgetAfterMs);
    let p = this.principals.get(principal);
    if (!p) {
      p = { start: t, last: t, keys: new Set() };
      this.principals.set(principal, p);
    }
    if (t > p.last) p.last = t;
    if (p.keys.has(key)) return 'known';
    p.keys.add(key);
    if (p.keys.size > o.maxKeysPerPrincipal) p.keys.delete(p.keys.values().next().value as string);
    return t - p.start < o.learningMs ? 'learning' : 'new';
  }

  /** The memory as JSON (least recently active principal first). */
  save(): unknown {
    return { v: 1, principals: [...this.principals.entries()].map(([name, p]) => [name, p.start, p.last, [...p.keys]]) } satisfies z.infer<typeof savedSchema>;
  }
}
