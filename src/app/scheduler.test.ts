import { randomBytes } from 'node:crypto';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startFakeKubeApiServer, type FakeKubeApiServer } from '../../test/helpers/fake-kube-apiserver.js';
import { syncInterval } from '../cli/commands/serve.js';
import { openSqliteStore } from '../storage/sqlite/index.js';
import type { Store } from '../storage/store.js';
import { connectorView, onboardCluster } from './connectors.js';
import { InProcessQueue } from './jobs.js';
import { SYNC_JOB, SyncScheduler, type SchedulerOptions, type SyncJob } from './scheduler.js';
import { secretBox } from './secrets.js';
import { startAssessment, type RunningAssessment } from './serve.js';

/** A TCP relay in front of the fake API server that can be taken down and brought back on the same port. */
class Relay {
  up = true;
  port = 0;
  private readonly sockets = new Set<Socket>();
  private readonly server: Server;

  private constructor(target: number) {
    this.server = createServer((client) => {
      if (!this.up) return void client.destroy();
      const upstream = connect(target, '127.0.0.1');
      for (const s of [client, upstream]) {
        this.sockets.add(s);
        s.on('close', () => this.sockets.delete(s));
        s.on('error', () => undefined);
      }
      client.pipe(upstream).pipe(client);
    });
  }

  static async start(target: number): Promise<Relay> {
    const relay = new Relay(target);
    await new Promise<void>((r) => relay.server.listen(0, '127.0.0.1', r));
    relay.port = (relay.server.address() as { port: number }).port;
    return relay;
  }

  down(): void {
    this.up = false;
    for (const s of this.sockets) s.destroy();
  }

  async close(): Promise<void> {
    this.down();
    await new Promise<void>((r) => this.server.close(() => r()));
  }
}

const actor = { name: 'system', role: 'owner' as const };
const box = secretBox(randomBytes(32));

/** Resolves with the next scheduled sync of the connector (optionally one that matches). */
function nextSync(s: SyncScheduler, id: string, ok?: boolean): Promise<{ ok: boolean; error?: string }> {
  return new Promise((resolve) => {
    const off = s.onSync((cid, r) => {
      if (cid !== id || (ok !== undefined && r.ok !== ok)) return;
      off();
      resolve(r.ok ? { ok: true } : { ok: false, error: r.error });
    });
  });
}

async function until(cond: () => boolean | Promise<boolean>): Promise<void> {
  while (!(await cond())) await new Promise((r) => setTimeout(r, 20));
}

const privilegedPod = {
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: 'intruder', namespace: 'default' },
  spec: { containers: [{ name: 'x', image: 'alpine:3.20', securityContext: { privileged: true } }] },
};

describe('SyncScheduler', () => {
  let kube: FakeKubeApiServer;
  let relay: Relay;
  let store: Store;
  let running: RunningAssessment | undefined;
  let connectorId: string;

  beforeEach(async () => {
    kube = await startFakeKubeApiServer();
    relay = await Relay.start(Number(new URL(kube.url).port));
    store = openSqliteStore(':memory:');
    await store.migrate();
    const kubeconfig = kube.kubeconfig('lab').replaceAll(kube.url, kube.url.replace(/:\d+$/, `:${relay.port}`));
    const r = await onboardCluster(store, box, actor, { name: 'lab', kubeconfig, context: 'lab' });
    if (!r.saved) throw new Error('onboarding refused');
    connectorId = r.connector.id;
  });

  afterEach(async () => {
    await running?.stop();
    running = undefined;
    await store.close();
    await relay.close();
    await kube.close();
  });

  const start = async (opts: Omit<SchedulerOptions, 'store' | 'secrets' | 'queue'>) => {
    // The first sync is queued by start(): listen before it can finish.
    const queue = new InProcessQueue(2);
    const scheduler = new SyncScheduler({ ...opts, store, secrets: box, queue });
    const first = nextSync(scheduler, connectorId);
    await queue.start();
    await scheduler.start();
    running = { scheduler, stop: async () => (await scheduler.stop(), await queue.stop()) };
    return { scheduler, queue, first };
  };

  const podAsset = async () => (await store.listAssets({ connectorId, limit: 1000 })).items.find((a) => a.key === 'default/Pod/intruder');

  it('syncs on start and again on its interval: a change in the cluster reaches assets and findings', async () => {
    const { scheduler, first } = await start({ intervalMs: 200, jitterMs: 20, watch: false });
    expect(await first).toEqual({ ok: true });
    const view = connectorView((await store.getConnector(connectorId))!);
    expect(view.lastSync).toMatchObject({ ok: true });
    expect(await podAsset()).toBeUndefined();

    kube.apply(privilegedPod);
    await nextSync(scheduler, connectorId, true);
    const pod = await podAsset();
    expect(pod).toBeDefined();
    const findings = (await store.listFindings({ assetId: pod!.id, limit: 100 })).items;
    expect(findings.length).toBeGreaterThan(0);
    expect(scheduler.watching(connectorId)).toBe(false);
  });

  it('with a watch, reassesses shortly after a change instead of waiting for the interval', async () => {
    const { scheduler, first } = await start({ intervalMs: 3_600_000, debounceMs: 50, watchRetryMs: 20 });
    expect(await first).toEqual({ ok: true });
    await until(() => scheduler.watching(connectorId));
    const next = nextSync(scheduler, connectorId);
    kube.apply(privilegedPod);
    expect(await next).toEqual({ ok: true });
    expect(await podAsset()).toBeDefined();
  });

  it('records the error of a cluster that is down, retries with backoff and recovers', async () => {
    relay.down();
    const { scheduler, first } = await start({ intervalMs: 3_600_000, retryBaseMs: 50, jitterMs: 0, watch: false });
    const failed = await first;
    expect(failed.ok).toBe(false);
    const view = connectorView((await store.getConnector(connectorId))!);
    expect(view.lastSync).toMatchObject({ ok: false, error: failed.error });
    expect(view.lastSync?.error).toBeTruthy();
    expect(view.lastSync?.lastSuccessAt).toBeUndefined();

    // Still down: a second attempt fails too.
    expect((await nextSync(scheduler, connectorId)).ok).toBe(false);
    kube.apply(privilegedPod);
    relay.up = true;
    await nextSync(scheduler, connectorId, true);
    const after = connectorView((await store.getConnector(connectorId))!);
    expect(after.lastSync).toMatchObject({ ok: true });
    expect(after.lastSync?.error).toBeUndefined();
    expect(await podAsset()).toBeDefined();
  });

  it('never syncs one connector twice at once: a sync asked for during one runs after it', async () => {
    const { scheduler, queue, first } = await start({ intervalMs: 3_600_000, watch: false });
    let active = 0;
    let most = 0;
    const get = store.getConnector.bind(store);
    // Each sync begins by reading its connector: count the syncs between that read and their outcome.
    store.getConnector = async (id) => {
      active++;
      most = Math.max(most, active);
      return get(id);
    };
    await first;
    active = 0;
    most = 0;
    const outcomes: boolean[] = [];
    scheduler.onSync((_, r) => {
      active--;
      outcomes.push(r.ok);
    });
    // Bypass the singleton key: two jobs of one connector, on a queue that runs two at once.
    await queue.enqueue<SyncJob>(SYNC_JOB, { connectorId, reason: 'interval' });
    await queue.enqueue<SyncJob>(SYNC_JOB, { connectorId, reason: 'interval' });
    await until(() => outcomes.length >= 2);
    await queue.idle();
    expect(outcomes).toEqual([true, true]);
    expect(most).toBe(1);
  });

  it('startAssessment stops cleanly: no watch, timer or job is left', async () => {
    const a = await startAssessment({ store, secrets: box }, { intervalMs: 3_600_000, debounceMs: 50 });
    await until(() => a.scheduler.watching(connectorId));
    expect(kube.openWatches).toBeGreaterThan(0);
    await a.stop();
    expect(a.scheduler.watching(connectorId)).toBe(false);
    await until(() => kube.openWatches === 0);
  });
});

describe('--sync-interval', () => {
  it('takes a duration of at least 10 s', () => {
    expect(syncInterval('15m')).toBe(900_000);
    expect(syncInterval('30s')).toBe(30_000);
    expect(() => syncInterval('5s')).toThrow(/at least 10s/);
    expect(() => syncInterval('soon')).toThrow(/--sync-interval/);
  });
});
