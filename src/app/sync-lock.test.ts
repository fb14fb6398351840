/**
 * One connector is never synced twice at once: the scheduler's syncs and the API's on-demand syncs take the
 * same per-connector lock.
 */
import { randomBytes } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startFakeKubeApiServer, type FakeKubeApiServer } from '../../test/helpers/fake-kube-apiserver.js';
import { buildApp } from '../api/server.js';
import { openSqliteStore } from '../storage/sqlite/index.js';
import type { Store } from '../storage/store.js';
import { onboardCluster } from './connectors.js';
import { InProcessLock, InProcessQueue } from './jobs.js';
import { SyncScheduler } from './scheduler.js';
import { secretBox } from './secrets.js';
import { addUser, createToken } from './users.js';

const system = { name: 'system', role: 'owner' as const };
const box = secretBox(randomBytes(32));

/** Waits (without a deadline of its own: the test's timeout is the limit) until `check` holds. */
async function until(check: () => boolean): Promise<void> {
  while (!check()) await new Promise((r) => setTimeout(r, 5));
}

let store: Store;
let kube: FakeKubeApiServer;
let id: string;
beforeEach(async () => {
  store = openSqliteStore(':memory:');
  await store.migrate();
  kube = await startFakeKubeApiServer({ token: 'tok' });
  const r = await onboardCluster(store, box, system, { name: 'lab', kubeconfig: kube.kubeconfig('lab'), context: 'lab' });
  if (!r.saved) throw new Error('not onboarded');
  id = r.connector.id;
});
afterEach(async () => {
  await kube.close();
  await store.close();
});

describe('per-connector sync lock', () => {
  it('runs waiters of one key one after the other, in order, and other keys freely', async () => {
    const lock = new InProcessLock();
    const events: string[] = [];
    let release!: () => void;
    const first = lock.run('k', async () => {
      events.push('first:start');
      await new Promise<void>((r) => (release = r));
      events.push('first:end');
    });
    const second = lock.run('k', async () => void events.push('second'));
    await lock.run('other', async () => void events.push('other'));
    await until(() => lock.queued('k') === 2);
    release();
    await Promise.all([first, second]);
    expect(events).toEqual(['first:start', 'other', 'first:end', 'second']);
    expect(lock.queued('k')).toBe(0);
  });

  it('makes an on-demand sync (POST /sync) wait for a scheduled sync of the same connector, and the other way round', async () => {
    const locks = new InProcessLock();
    const app = await buildApp({ store, secrets: box, syncLocks: locks });
    const u = await addUser(store, system, { username: 'ops', role: 'contributor', password: 'a-long-enough-password' });
    const { token } = await createToken(store, system, { userId: u.id, name: 't', role: 'contributor' });
    const queue = new InProcessQueue(2);
    const scheduler = new SyncScheduler({ store, secrets: box, queue, locks, watch: false, jitterMs: 0 });
    try {
      // A sync of the connector holds the lock (as the scheduler's would): the on-demand one waits for it.
      const order: string[] = [];
      let release!: () => void;
      const held = locks.run(`connector:${id}`, async () => {
        order.push('scheduled');
        await new Promise<void>((r) => (release = r));
      });
      const onDemand = app.inject({ method: 'POST', url: `/api/v1/connectors/${id}/sync`, headers: { authorization: `Bearer ${token}` } }).then((res) => {
        order.push('on-demand');
        return res;
      });
      await until(() => locks.queued(`connector:${id}`) === 2);
      expect(order).toEqual(['scheduled']);
      expect((await store.getConnector(id))!.config.lastSync).toBeUndefined();
      release();
      await held;
      expect((await onDemand).statusCode).toBe(200);
      expect(order).toEqual(['scheduled', 'on-demand']);

      // And the scheduler's own sync waits while an on-demand one holds the lock.
      let releaseAgain!: () => void;
      const holding = locks.run(`connector:${id}`, () => new Promise<void>((r) => (releaseAgain = r)));
      const before = (await store.getConnector(id))!.config.lastSync;
      const synced = new Promise<boolean>((resolve) => scheduler.onSync((cid, r) => cid === id && resolve(r.ok)));
      await queue.start();
      await scheduler.start();
      await until(() => locks.queued(`connector:${id}`) === 2);
      expect((await store.getConnector(id))!.config.lastSync).toEqual(before);
      releaseAgain();
      await holding;
      expect(await synced).toBe(true);
    } finally {
      await scheduler.stop();
      await queue.stop();
      await app.close();
    }
  });
});
