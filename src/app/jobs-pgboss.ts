/**
 * The {@link JobQueue} of servers sharing one PostgreSQL: pg-boss 10 (Node >= 20; its tables live in their own
 * `pgboss` schema, apart from the store's migrations). Jobs are rows that workers claim with `SELECT ... FOR
 * UPDATE SKIP LOCKED`, so however many processes work a queue, each job runs once; a job whose process dies
 * is retried after it expires.
 */
import { randomUUID } from 'node:crypto';
import PgBoss from 'pg-boss';
import type { EnqueueOptions, JobHandler, JobQueue } from './jobs.js';

/** Settings of {@link PgBossQueue}. */
export interface PgBossQueueOptions {
  connectionString: string;
  /** Schema of pg-boss's tables (default `pgboss`). */
  schema?: string;
  /** How often an idle worker asks for a job (default 2 s; pg-boss's minimum is 0.5 s). */
  pollingIntervalSeconds?: number;
  /** Jobs one process runs at once, per queue name (default 2, as the in-process queue). */
  concurrency?: number;
  /** A failed attempt (the handler threw). */
  onError?: (job: { id: string; name: string; attempt: number }, e: unknown) => void;
}

/**
 * pg-boss behind the {@link JobQueue} port. Each name is a pg-boss queue with the `stately` policy: with a
 * `singletonKey`, at most one job of a key waits and one runs, across every process, which is what keeps two
 * replicas from syncing one connector at once.
 */
export class PgBossQueue implements JobQueue {
  private readonly boss: PgBoss;
  private readonly handlers = new Map<string, JobHandler<unknown>>();
  private readonly queues = new Map<string, Promise<void>>();
  private started = false;
  private booting?: Promise<void>;

  constructor(private readonly opts: PgBossQueueOptions) {
    this.boss = new PgBoss({ connectionString: opts.connectionString, schema: opts.schema, schedule: false, application_name: 'palisade-jobs' });
    // Connection trouble is reported here too; pg-boss retries by itself.
    this.boss.on('error', (e) => opts.onError?.({ id: '-', name: 'pg-boss', attempt: 0 }, e));
  }

  register<T>(name: string, handler: JobHandler<T>): void {
    this.handlers.set(name, handler as JobHandler<unknown>);
    if (this.started) void this.work(name);
  }

  async enqueue<T>(name: string, data: T, opts: EnqueueOptions = {}): Promise<string | undefined> {
    await this.queue(name);
    const id = await this.boss.send(name, (data ?? {}) as object, {
      // `stately` allows one job per state and key; a job without a key gets one of its own.
      singletonKey: opts.singletonKey ?? `job:${randomUUID()}`,
      startAfter: opts.startAfter,
      retryLimit: opts.retryLimit ?? 2,
      retryDelay: 1,
      retryBackoff: true,
    });
    return id ?? undefined;
  }

  async start(): Promise<void> {
    await this.boot();
    this.started = true;
    for (const name of this.handlers.keys()) await this.work(name);
  }

  async stop(): Promise<void> {
    this.started = false;
    if (!this.booting) return;
    await this.booting.catch(() => undefined);
    await this.boss.stop({ graceful: true, wait: true, close: true, timeout: 30_000 });
  }

  /** Resolves when no job of a registered name waits (and is due) or runs, in any process. */
  async idle(): Promise<void> {
    for (;;) {
      let busy = 0;
      for (const name of this.handlers.keys()) busy += await this.boss.getQueueSize(name, { before: 'completed' });
      if (busy === 0) return;
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  /** Creates the pg-boss queue once (it must exist before a job is sent or worked). */
  private queue(name: string): Promise<void> {
    let p = this.queues.get(name);
    if (!p) {
      p = this.createQueue(name);
      this.queues.set(name, p);
    }
    return p;
  }

  private async createQueue(name: string): Promise<void> {
    await this.boot();
    // Processes starting together race to create the queue (pg-boss creates a partition per queue): the
    // loser sees a deadlock or a duplicate, and finds the queue there when it looks again.
    for (let attempt = 1; ; attempt++) {
      if (await this.boss.getQueue(name)) return;
      try {
        await this.boss.createQueue(name, { name, policy: 'stately' });
        return;
      } catch (e) {
        if (attempt >= 5) throw e;
        await new Promise((r) => setTimeout(r, 50 * attempt));
      }
    }
  }

  /** Connects and creates pg-boss's schema once; a job sent before {@link start} needs it too. */
  private boot(): Promise<void> {
    this.booting ??= this.boss.start().then(() => undefined);
    return this.booting;
  }

  private async work(name: string): Promise<void> {
    await this.queue(name);
    const handler = this.handlers.get(name)!;
    const options = { batchSize: 1, includeMetadata: true as const, pollingIntervalSeconds: this.opts.pollingIntervalSeconds ?? 2 };
    for (let i = 0; i < (this.opts.concurrency ?? 2); i++) {
      await this.boss.work<unknown>(name, options, async ([job]) => {
        const meta = { id: job.id, name: job.name, attempt: job.retryCount + 1 };
        try {
          await handler(job.data, meta);
        } catch (e) {
          this.opts.onError?.(meta, e);
          throw e;
        }
      });
    }
  }
}
