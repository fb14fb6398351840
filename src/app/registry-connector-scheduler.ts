import type { RegistryOptions } from '../inputs/image/index.js';
import type { Store } from '../storage/store.js';
import { lastSyncOf, monitoringStopped, recordSyncFailure } from './connectors.js';
import { ImageScans, type ImageScansOptions } from './image-scans.js';
import { DEFAULT_REGISTRY_RESCAN_MS, storedRegistrySettings, syncRegistry, type RegistrySyncResult } from './registry-connector.js';
import type { SecretBox } from './secrets.js';
import type { Actor } from './users.js';

/** The job that syncs (and rescans) one registry connector. */
export const REGISTRY_SYNC_JOB = 'registry.sync';

/** Data of a {@link REGISTRY_SYNC_JOB} job. */
export interface RegistrySyncJob {
  connectorId: string;
}

/** Settings of the registry and vulnerability-database schedule. */
export interface ImageScanSchedulerOptions {
  store: Store;
  secrets: SecretBox;
  scans: ImageScans;
  /** Time between two ticks (default 1 minute). */
  tickMs?: number;
  /** First delay before retrying a failed registry sync; it doubles up to the connector's interval (default 5 minutes). */
  retryBaseMs?: number;
  registryDefaults?: RegistryOptions;
  log?: (level: 'info' | 'warn', message: string) => void;
}

const ACTOR: Actor = { name: 'system', role: 'owner' };

function message(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/**
 * Keeps registries and images current: on every tick, each registry connector whose latest sync is older than
 * its `rescanIntervalMs` (a day by default) gets a {@link REGISTRY_SYNC_JOB} (failures retried with a doubling
 * delay; an offboarded one is left alone), and when the vulnerability database changed since images were matched (`palisade db update`, even
 * from another process) their stored packages are matched again. `tick(now)` is public so tests need not wait.
 */
export class ImageScanScheduler {
  private timer?: NodeJS.Timeout;
  private stopped = true;
  private readonly failures = new Map<string, { count: number; at: number }>();
  private readonly running = new Set<string>();
  private ticking?: Promise<void>;

  constructor(private readonly opts: ImageScanSchedulerOptions) {
    opts.scans.queue.register<RegistrySyncJob>(REGISTRY_SYNC_JOB, (data) => this.run(data.connectorId));
  }

  /** Ticks now, then every `tickMs`. */
  async start(): Promise<void> {
    this.stopped = false;
    await this.tick();
    this.arm();
  }

  private arm(): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      void this.tick().finally(() => this.arm());
    }, this.opts.tickMs ?? 60_000);
    this.timer.unref?.();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.ticking;
  }

  /** Queues the registry syncs that are due at `now` and matches images again after a database update. */
  tick(now: Date = new Date()): Promise<void> {
    this.ticking ??= this.doTick(now).finally(() => {
      this.ticking = undefined;
    });
    return this.ticking;
  }

  private async doTick(now: Date): Promise<void> {
    try {
      for (const c of await this.opts.store.listConnectors()) {
        if (c.kind !== 'registry' || this.running.has(c.id)) continue;
        if (this.due(c, now) && !(await monitoringStopped(this.opts.store, c.id))) await this.opts.scans.queue.enqueue<RegistrySyncJob>(REGISTRY_SYNC_JOB, { connectorId: c.id }, { singletonKey: `connector:${c.id}`, retryLimit: 0 });
      }
    } catch (e) {
      this.opts.log?.('warn', `registry schedule: ${message(e)}`);
    }
    try {
      const r = await this.opts.scans.rematch();
      if (r.images > 0) this.opts.log?.('info', `matched ${r.images} image${r.images === 1 ? '' : 's'} again against the vulnerability database of ${r.dbUpdatedAt}`);
    } catch (e) {
      this.opts.log?.('warn', `matching images again failed: ${message(e)}`);
    }
  }

  /** Due when never synced, when the interval has passed since the latest sync, or when a failed one's retry delay has. */
  private due(c: Parameters<typeof storedRegistrySettings>[0], now: Date): boolean {
    const last = lastSyncOf(c);
    if (!last) return true;
    const interval = storedRegistrySettings(c).rescanIntervalMs ?? DEFAULT_REGISTRY_RESCAN_MS;
    if (!last.ok) {
      const f = this.failures.get(c.id);
      const delay = Math.min((this.opts.retryBaseMs ?? 5 * 60_000) * 2 ** Math.max(0, (f?.count ?? 1) - 1), interval);
      return now.getTime() - Date.parse(last.at) >= delay;
    }
    return now.getTime() - Date.parse(last.at) >= interval;
  }

  /** The job handler: one registry sync; a failure is recorded on the connector and retried by a later tick. */
  private async run(id: string): Promise<void> {
    if (this.running.has(id)) return;
    const c = await this.opts.store.getConnector(id);
    if (!c || c.kind !== 'registry' || (await monitoringStopped(this.opts.store, id))) return;
    this.running.add(id);
    try {
      const result: RegistrySyncResult = await syncRegistry(this.opts.store, this.opts.secrets, ACTOR, c, (ref, aliases) => this.opts.scans.enqueue(ref, { aliases }), { defaults: this.opts.registryDefaults });
      this.failures.delete(id);
      if (result.errors.length) this.opts.log?.('warn', `registry ${c.name}: ${result.errors.length} repositor${result.errors.length === 1 ? 'y' : 'ies'} could not be read: ${result.errors[0].message}`);
    } catch (e) {
      const f = this.failures.get(id);
      this.failures.set(id, { count: (f?.count ?? 0) + 1, at: Date.now() });
      await recordSyncFailure(this.opts.store, id, message(e)).catch(() => undefined);
      this.opts.log?.('warn', `sync of registry ${c.name} (${id}) failed: ${message(e)}`);
    } finally {
      this.running.delete(id);
    }
  }
}

/** Image scanning of a server: the scans (for the API) and, once started, their schedule. */
export interface ImageScanning {
  scans: ImageScans;
  scheduler: ImageScanScheduler;
  /**
   * Starts the scan queue and the schedule; with the cluster syncs' scheduler, every image a scheduled
   * cluster sync finds running is queued for a scan.
   */
  start(clusterSyncs?: { onSync(listener: (id: string, r: { ok: boolean }) => void): () => void }): Promise<void>;
  /** Stops the schedule and waits for the scans running. */
  stop(): Promise<void>;
}

/** Creates the image scanning of a server (nothing runs until `start`). */
export function createImageScanning(
  server: { store: Store; secrets: SecretBox },
  opts: Omit<ImageScansOptions, 'store' | 'secrets'> & Pick<ImageScanSchedulerOptions, 'tickMs' | 'retryBaseMs'> = {},
): ImageScanning {
  const scans = new ImageScans({ ...opts, store: server.store, secrets: server.secrets });
  const scheduler = new ImageScanScheduler({ store: server.store, secrets: server.secrets, scans, tickMs: opts.tickMs, retryBaseMs: opts.retryBaseMs, registryDefaults: opts.registryDefaults, log: opts.log });
  let unhook: (() => void) | undefined;
  return {
    scans,
    scheduler,
    async start(clusterSyncs) {
      await scans.start();
      unhook = clusterSyncs?.onSync((id, r) => {
        if (r.ok) void scans.queueRunningImages(id).catch((e: unknown) => opts.log?.('warn', `queueing the running images of connector ${id}: ${message(e)}`));
      });
      await scheduler.start();
    },
    async stop() {
      unhook?.();
      await scheduler.stop();
      await scans.stop();
    },
  };
}
