import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postgresUnavailable, startPostgres, type RunningPostgres } from '../../test/helpers/postgres.js';
import { openSqliteStore } from '../storage/sqlite/index.js';
import { PgBossQueue } from './jobs-pgboss.js';
import { IMAGE_SCAN_JOB, type ImageScanJob } from './image-scans.js';
import { createImageScanning } from './registry-connector-scheduler.js';
import { secretBox } from './secrets.js';

const skip = postgresUnavailable();
if (skip) console.warn(skip);

describe.skipIf(skip)('pg-boss job queue on PostgreSQL', () => {
  let pg: RunningPostgres;
  beforeAll(async () => {
    pg = await startPostgres();
  }, 60_000);
  afterAll(() => pg?.stop());

  it('runs each job exactly once when two processes work one queue', async () => {
    const url = await pg.createDatabase('jobs_once');
    const runs: Array<{ n: number; by: string }> = [];
    const runners = ['a', 'b'].map((by) => {
      const q = new PgBossQueue({ connectionString: url, pollingIntervalSeconds: 0.5, concurrency: 2 });
      q.register<{ n: number }>('scan', async (d) => {
        runs.push({ n: d.n, by });
        // Some work, so the other runner has a chance to claim the same job if claiming were not exclusive.
        await new Promise((r) => setTimeout(r, 20));
      });
      return q;
    });
    try {
      await Promise.all(runners.map((q) => q.start()));
      for (let n = 0; n < 40; n++) await runners[n % 2].enqueue('scan', { n });
      await runners[0].idle();
      expect(runs.map((r) => r.n).sort((x, y) => x - y)).toEqual(Array.from({ length: 40 }, (_, i) => i));
    } finally {
      await Promise.all(runners.map((q) => q.stop()));
    }
  }, 60_000);

  it('keeps one waiting job per singletonKey across processes, and retries a failed attempt', async () => {
    const url = await pg.createDatabase('jobs_singleton');
    const a = new PgBossQueue({ connectionString: url, pollingIntervalSeconds: 0.5 });
    const b = new PgBossQueue({ connectionString: url, pollingIntervalSeconds: 0.5 });
    const attempts: string[] = [];
    try {
      expect(await a.enqueue('connector.sync', { id: 'c1' }, { singletonKey: 'connector:c1' })).toBeDefined();
      expect(await b.enqueue('connector.sync', { id: 'c1' }, { singletonKey: 'connector:c1' })).toBeUndefined();
      expect(await b.enqueue('connector.sync', { id: 'c2' }, { singletonKey: 'connector:c2' })).toBeDefined();
      let failOnce = true;
      b.register<{ id: string }>('connector.sync', async (d, job) => {
        attempts.push(`${d.id}#${job.attempt}`);
        if (d.id === 'c2' && failOnce) {
          failOnce = false;
          throw new Error('cluster unreachable');
        }
      });
      await b.start();
      await b.idle();
      expect(attempts.sort()).toEqual(['c1#1', 'c2#1', 'c2#2']);
    } finally {
      await a.stop();
      await b.stop();
    }
  }, 60_000);

  it('runs image scans as jobs of a shared queue: queued by one server process, scanned by another', async () => {
    const url = await pg.createDatabase('jobs_images');
    const dir = mkdtempSync(join(tmpdir(), 'palisade-pgboss-images-'));
    const store = openSqliteStore(join(dir, 'palisade.db'));
    await store.migrate();
    const secrets = secretBox(randomBytes(32));
    // One process queues the scan (as a cluster sync or registry sync would); another's image scanning works it.
    const producer = new PgBossQueue({ connectionString: url, pollingIntervalSeconds: 0.5 });
    const workerQueue = new PgBossQueue({ connectionString: url, pollingIntervalSeconds: 0.5 });
    const worker = createImageScanning({ store, secrets }, { queue: workerQueue, dbPath: join(dir, 'vuln.db') });
    const reference = 'registry.shop.example/shop/storefront:2.3.1';
    try {
      await producer.start();
      expect(await producer.enqueue<ImageScanJob>(IMAGE_SCAN_JOB, { reference, layout: resolve('examples/demo/image') }, { singletonKey: `image:${reference}` })).toBeDefined();
      expect(await store.getImageReference(reference)).toBeUndefined();
      await workerQueue.start();
      await worker.start();
      await workerQueue.idle();
      // The worker ran it: the bundled layout was read and its outcome stored (no vulnerability DB here, so an error that says so).
      const outcome = await store.getImageReference(reference);
      expect(outcome?.status).toBe('error');
      expect(outcome?.error).toMatch(/database/i);
    } finally {
      await worker.stop();
      await Promise.all([producer.stop(), workerQueue.stop()]);
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});

