import { ClusterConnector, ClusterMirror, type ClusterScope } from '../inputs/cluster/index.js';
import type { Store } from '../storage/store.js';
import { monitoringStopped, recordSyncFailure, snapshotOf, storedAccess, syncConnector, type SyncResult } from './connectors.js';
import type { JobQueue, KeyedLock } from './jobs.js';
import type { SecretBox } from './secrets.js';
import type { Actor } from './users.js';

/** The job that syncs one connector. */
export const SYNC_JOB = 'connector.sync';

/** Data of a {@link SYNC_JOB} job. */
export interface SyncJob {
  connectorId: string;
  reason: 'start' | 'interval' | 'retry' | 'change';
}

/** Settings of continuous assessment. */
export interface SchedulerOptions {
  store: Store;
  secrets: SecretBox;
  queue: JobQueue;
  /** Taken around each sync (`connector:<id>`); the API's on-demand syncs take the same one. */
  locks?: KeyedLock;
  /** Time between two syncs of a connector (default 15 minutes). */
  intervalMs?: number;
  /** Up to this much is added at random to each connector's delay, so connectors do not sync in step (default a tenth of the interval, at most 1 minute). */
  jitterMs?: number;
  /** Keep a watch on each cluster and reassess after changes (default true). */
  watch?: boolean;
  /** Quiet time after the last change before reassessing (default 10 s). */
  debounceMs?: number;
  /** First delay before retrying a failed sync; it doubles up to the interval (default 30 s). */
  retryBaseMs?: number;
  /** First reconnection delay of the watches (default 500 ms). */
  watchRetryMs?: number;
  /** Messages for the server log. */
  log?: (level: 'info' | 'warn', message: string) => void;
  /** Source of jitter (default Math.random). */
  random?: () => number;
}

interface ConnectorState {
  timer?: NodeJS.Timeout;
  debounce?: NodeJS.Timeout;
  failures: number;
  running: boolean;
  /** Another sync was asked for while one ran: run once more after it. */
  again?: SyncJob['reason'];
  mirror?: ClusterMirror;
  mirrorStarting?: boolean;
  /** The mirror's watches are established. */
  live?: boolean;
}

const ACTOR: Actor = { name: 'system', role: 'owner' };

/** What runs or waits for one connector in a scheduler. */
export interface ConnectorActivity {
  /** The scheduler keeps state for it: a timer, a retry or a watch may fire. */
  scheduled: boolean;
  running: boolean;
  watching: boolean;
}

function message(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/**
 * Continuous assessment: every cluster connector is synced when the server starts and then on an interval
 * (with per-connector jitter); a sync that fails is recorded in the connector's `lastSync` and retried with
 * a doubling delay; with `watch`, a watch on each cluster reassesses it a short quiet time after changes.
 * Syncs run as {@link SYNC_JOB} jobs of the {@link JobQueue}; one connector is never synced twice at once.
 */
export class SyncScheduler {
  private readonly states = new Map<string, ConnectorState>();
  private readonly intervalMs: number;
  private readonly jitterMs: number;
  private readonly debounceMs: number;
  private readonly retryBaseMs: number;
  private stopped = true;
  private discovery?: NodeJS.Timeout;
  /** Connectors stopped for good in this process: never queued again. */
  private readonly retired = new Set<string>();
  private readonly listeners = new Set<(id: string, r: { ok: true; result: SyncResult } | { ok: false; error: string }) => void>();

  constructor(private readonly opts: SchedulerOptions) {
    this.intervalMs = opts.intervalMs ?? 15 * 60_000;
    this.jitterMs = opts.jitterMs ?? Math.min(this.intervalMs / 10, 60_000);
    this.debounceMs = opts.debounceMs ?? 10_000;
    this.retryBaseMs = opts.retryBaseMs ?? 30_000;
    opts.queue.register<SyncJob>(SYNC_JOB, (data) => this.run(data));
  }

  /** Queues a sync of every cluster connector now; later ones follow on their own timers. */
  async start(): Promise<void> {
    this.stopped = false;
    await this.discover();
  }

  /** Queues a first sync of each cluster connector not yet known (all of them on start, new ones later). */
  private async discover(): Promise<void> {
    if (this.stopped) return;
    try {
      const stopped = new Set((await this.opts.store.listOffboardings()).filter((o) => o.monitoringStoppedAt).map((o) => o.connectorId));
      // Stopped by another process (offboarding through another replica): let go of its timers and watch.
      for (const id of stopped) if (!this.retired.has(id) || this.states.has(id)) await this.stopConnector(id);
      for (const c of await this.opts.store.listConnectors()) {
        if (c.kind === 'cluster' && !this.states.has(c.id) && !stopped.has(c.id) && !this.retired.has(c.id)) {
          this.state(c.id);
          await this.enqueue(c.id, 'start');
        }
      }
    } catch (e) {
      this.opts.log?.('warn', `listing connectors failed: ${message(e)}`);
    }
    if (this.stopped) return;
    this.discovery = setTimeout(() => void this.discover(), Math.min(this.intervalMs, 60_000));
    this.discovery.unref?.();
  }

  /** Stops the timers and watches and waits for the syncs running (the queue's own stop waits too). */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.discovery);
    for (const s of this.states.values()) {
      clearTimeout(s.timer);
      clearTimeout(s.debounce);
      s.mirror?.stop();
      s.mirror = undefined;
      s.live = false;
    }
    while ([...this.states.values()].some((s) => s.running)) await new Promise((r) => setTimeout(r, 10));
  }

  /** Called after every scheduled sync of a connector, with its result or error. */
  onSync(listener: (id: string, r: { ok: true; result: SyncResult } | { ok: false; error: string }) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * Stops monitoring one connector for good (offboarding): its timers and watch go, a sync running now is
   * waited for, and it is never queued again by this scheduler. Other processes and restarts learn it from
   * the store ({@link monitoringStopped}), which the caller sets first.
   */
  async stopConnector(id: string): Promise<void> {
    this.retired.add(id);
    const s = this.states.get(id);
    if (!s) return;
    clearTimeout(s.timer);
    clearTimeout(s.debounce);
    while (s.running || s.mirrorStarting) await new Promise((r) => setTimeout(r, 10));
    this.forget(id);
  }

  /** What runs, waits or watches for the connector in this scheduler. */
  activity(id: string): ConnectorActivity {
    const s = this.states.get(id);
    return { scheduled: s !== undefined && !this.stopped, running: s?.running === true, watching: s?.live === true || s?.mirror !== undefined };
  }

  /** Whether the watches on the connector's cluster are established. */
  watching(id: string): boolean {
    return this.states.get(id)?.live === true;
  }

  private state(id: string): ConnectorState {
    let s = this.states.get(id);
    if (!s) this.states.set(id, (s = { failures: 0, running: false }));
    return s;
  }

  private async enqueue(connectorId: string, reason: SyncJob['reason']): Promise<void> {
    if (this.stopped || this.retired.has(connectorId)) return;
    await this.opts.queue.enqueue<SyncJob>(SYNC_JOB, { connectorId, reason }, { singletonKey: `connector:${connectorId}`, retryLimit: 0 });
  }

  private later(id: string, delayMs: number, reason: SyncJob['reason']): void {
    if (this.stopped || this.retired.has(id)) return;
    const s = this.state(id);
    clearTimeout(s.timer);
    s.timer = setTimeout(() => void this.enqueue(id, reason), delayMs);
    s.timer.unref?.();
  }

  private jitter(): number {
    return Math.floor((this.opts.random ?? Math.random)() * this.jitterMs);
  }

  /** The job handler: one sync, its outcome recorded, the next one scheduled. Never throws (the retry is ours). */
  private async run({ connectorId: id, reason }: SyncJob): Promise<void> {
    if (this.stopped || this.retired.has(id)) return;
    const s = this.state(id);
    if (s.running) {
      s.again = reason;
      return;
    }
    s.running = true;
    const c = await this.opts.store.getConnector(id).catch(() => undefined);
    if (!c || c.kind !== 'cluster' || (await monitoringStopped(this.opts.store, id).catch(() => false))) {
      s.running = false;
      this.forget(id);
      return;
    }
    try {
      const sync = () => syncConnector(this.opts.store, this.opts.secrets, ACTOR, c);
      const result = await (this.opts.locks ? this.opts.locks.run(`connector:${id}`, sync) : sync());
      s.failures = 0;
      this.later(id, this.intervalMs + this.jitter(), 'interval');
      for (const l of this.listeners) l(id, { ok: true, result });
      // A saved snapshot does not change: only live clusters are watched.
      if (this.opts.watch !== false && !s.mirror && !s.mirrorStarting && snapshotOf(c) === undefined) void this.watch(id);
    } catch (e) {
      const error = message(e);
      s.failures++;
      await recordSyncFailure(this.opts.store, id, error).catch(() => undefined);
      const delay = Math.min(this.retryBaseMs * 2 ** (s.failures - 1), this.intervalMs);
      this.opts.log?.('warn', `sync of connector ${c.name} (${id}) failed (${reason}): ${error}; retrying in ${Math.round(delay / 1000)} s`);
      this.later(id, delay + this.jitter(), 'retry');
      for (const l of this.listeners) l(id, { ok: false, error });
    } finally {
      s.running = false;
      if (s.again && !this.stopped) {
        const again = s.again;
        s.again = undefined;
        await this.enqueue(id, again);
      }
    }
  }

  /** Starts a watch on the connector's cluster; changes reassess it after a quiet time. */
  private async watch(id: string): Promise<void> {
    const s = this.state(id);
    s.mirrorStarting = true;
    try {
      const c = await this.opts.store.getConnector(id);
      if (!c || this.stopped || this.retired.has(id)) return;
      const connector = ClusterConnector.open(storedAccess(this.opts.secrets, c), (c.config.scope ?? {}) as ClusterScope);
      const mirror = new ClusterMirror(connector, await connector.snapshot());
      if (this.stopped || this.retired.has(id)) return;
      s.mirror = mirror;
      await mirror.start({
        retryDelayMs: this.opts.watchRetryMs,
        onChange: () => {
          if (this.stopped) return;
          clearTimeout(s.debounce);
          s.debounce = setTimeout(() => void this.enqueue(id, 'change'), this.debounceMs);
          s.debounce.unref?.();
        },
      });
      if (this.stopped || this.retired.has(id)) mirror.stop();
      else s.live = true;
    } catch (e) {
      // The next sync that works starts the watch again.
      s.mirror?.stop();
      s.mirror = undefined;
      this.opts.log?.('warn', `watch of connector ${id} did not start: ${message(e)}`);
    } finally {
      s.mirrorStarting = false;
    }
  }

  /** A connector deleted: its timers and watch go. */
  private forget(id: string): void {
    const s = this.states.get(id);
    if (!s) return;
    clearTimeout(s.timer);
    clearTimeout(s.debounce);
    s.mirror?.stop();
    this.states.delete(id);
  }
}
