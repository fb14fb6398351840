/**
 * Background work (scans, connector syncs, feed updates) goes through one small queue interface, so the
 * single-process server and a fleet of workers sharing PostgreSQL run the same code.
 *
 * - SQLite (one process): {@link InProcessQueue}, below: jobs live in memory and run on this process with
 *   bounded concurrency; a `singletonKey` drops duplicates of a job still waiting.
 * - PostgreSQL (several processes): an adapter over pg-boss 10 (`new PgBoss(DATABASE_URL)`; `send(name,
 *   data, { singletonKey, startAfter })` for {@link JobQueue.enqueue}, `work(name, { batchSize: 1 }, h)`
 *   for {@link JobQueue.register}, `start()` / `stop({ graceful: true })`). pg-boss 10 needs Node >= 20
 *   and keeps its tables in its own `pgboss` schema, apart from the store's migrations. It is not a
 *   dependency until that adapter exists.
 */

/** A job handler; throwing marks the attempt failed (retried by the queue up to `retryLimit`). */
export type JobHandler<T> = (data: T, job: { id: string; name: string; attempt: number }) => Promise<void>;

/** Options of one job. */
export interface EnqueueOptions {
  /** At most one waiting job with this key per queue name (e.g. `scan:<digest>`). */
  singletonKey?: string;
  /** Not before this time. */
  startAfter?: Date;
  /** Retries after the first failure (default 2). */
  retryLimit?: number;
}

/** The queue port. */
export interface JobQueue {
  register<T>(name: string, handler: JobHandler<T>): void;
  /** Returns the job id, or undefined when a job with the same singletonKey is already waiting. */
  enqueue<T>(name: string, data: T, opts?: EnqueueOptions): Promise<string | undefined>;
  start(): Promise<void>;
  /** Stops taking jobs and waits for running ones. */
  stop(): Promise<void>;
  /** Resolves when nothing is waiting or running (tests, graceful shutdown). */
  idle(): Promise<void>;
}

interface QueuedJob {
  id: string;
  name: string;
  data: unknown;
  attempt: number;
  retryLimit: number;
  runAt: number;
  singletonKey?: string;
}

/** A queue in this process's memory: for the single-process (SQLite) server. */
export class InProcessQueue implements JobQueue {
  private readonly handlers = new Map<string, JobHandler<unknown>>();
  private readonly waiting: QueuedJob[] = [];
  private running = 0;
  private started = false;
  private seq = 0;
  private timer: NodeJS.Timeout | undefined;
  private idleWaiters: Array<() => void> = [];

  constructor(
    private readonly concurrency = 2,
    private readonly onError: (job: { id: string; name: string; attempt: number }, e: unknown) => void = () => undefined,
  ) {}

  register<T>(name: string, handler: JobHandler<T>): void {
    this.handlers.set(name, handler as JobHandler<unknown>);
  }

  async enqueue<T>(name: string, data: T, opts: EnqueueOptions = {}): Promise<string | undefined> {
    if (opts.singletonKey && this.waiting.some((j) => j.name === name && j.singletonKey === opts.singletonKey)) return undefined;
    const id = `job-${++this.seq}`;
    this.waiting.push({ id, name, data, attempt: 1, retryLimit: opts.retryLimit ?? 2, runAt: opts.startAfter?.getTime() ?? 0, singletonKey: opts.singletonKey });
    this.pump();
    return id;
  }

  async start(): Promise<void> {
    this.started = true;
    this.pump();
  }

  async stop(): Promise<void> {
    this.started = false;
    if (this.timer) clearTimeout(this.timer);
    while (this.running > 0) await new Promise((r) => setTimeout(r, 10));
  }

  idle(): Promise<void> {
    if (this.running === 0 && this.waiting.length === 0) return Promise.resolve();
    return new Promise((r) => this.idleWaiters.push(r));
  }

  private pump(): void {
    if (!this.started) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    const now = Date.now();
    while (this.running < this.concurrency) {
      const i = this.waiting.findIndex((j) => j.runAt <= now && this.handlers.has(j.name));
      if (i < 0) break;
      const [job] = this.waiting.splice(i, 1);
      this.running++;
      void this.execute(job);
    }
    const next = this.waiting.filter((j) => this.handlers.has(j.name)).reduce((m, j) => Math.min(m, j.runAt), Infinity);
    if (next !== Infinity && this.running < this.concurrency) this.timer = setTimeout(() => this.pump(), Math.max(0, next - now));
    if (this.running === 0 && this.waiting.length === 0) for (const w of this.idleWaiters.splice(0)) w();
  }

  private async execute(job: QueuedJob): Promise<void> {
    try {
      await this.handlers.get(job.name)!(job.data, { id: job.id, name: job.name, attempt: job.attempt });
    } catch (e) {
      this.onError(job, e);
      if (job.attempt <= job.retryLimit) this.waiting.push({ ...job, attempt: job.attempt + 1, runAt: Date.now() + 100 * 2 ** job.attempt });
    } finally {
      this.running--;
      this.pump();
    }
  }
}

/**
 * Mutual exclusion by key: `run(key, fn)` waits until no other `fn` of the same key runs. The scheduler's
 * syncs and the on-demand syncs of the API take the same lock (`connector:<id>`), so one connector is never
 * read twice at once.
 */
export interface KeyedLock {
  run<T>(key: string, fn: () => Promise<T>): Promise<T>;
}

/** A {@link KeyedLock} of this process (SQLite: the only process). Waiters run in arrival order. */
export class InProcessLock implements KeyedLock {
  private readonly tails = new Map<string, { tail: Promise<void>; count: number }>();

  async run<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const entry = this.tails.get(key) ?? { tail: Promise.resolve(), count: 0 };
    const before = entry.tail;
    let release!: () => void;
    entry.tail = new Promise<void>((r) => (release = r));
    entry.count++;
    this.tails.set(key, entry);
    try {
      await before;
      return await fn();
    } finally {
      release();
      if (--entry.count === 0) this.tails.delete(key);
    }
  }

  /** How many holders and waiters the key has (tests, diagnostics). */
  queued(key: string): number {
    return this.tails.get(key)?.count ?? 0;
  }
}
