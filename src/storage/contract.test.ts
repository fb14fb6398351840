/**
 * The store contract: one suite of behaviour, run against SQLite and against a throwaway PostgreSQL server.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { postgresUnavailable, startPostgres, type RunningPostgres } from '../../test/helpers/postgres.js';
import { openPostgresStore } from './postgres/index.js';
import { openSqliteStore } from './sqlite/index.js';
import type { Store } from './store.js';

/**
 * The behaviour every {@link Store} implementation must have. `newDatabase` makes an empty database and
 * returns a function that opens a store on it (called twice to model two processes sharing it).
 */
function describeStoreContract(name: string, newDatabase: () => Promise<() => Store>, opts: { skip?: string } = {}): void {
  const suite = opts.skip ? describe.skip : describe;
  if (opts.skip) console.warn(`store contract (${name}): ${opts.skip}`);

  suite(`store contract: ${name}`, () => {
    let open: () => Store;
    let store: Store;
    const others: Store[] = [];

    beforeEach(async () => {
      open = await newDatabase();
      store = open();
      await store.migrate();
    });
    afterEach(async () => {
      await store.close();
      for (const o of others.splice(0)) await o.close();
    });

    it('records applied migrations and runs them once, even when two processes start together', async () => {
      const a = open();
      const b = open();
      others.push(a, b);
      const [sa, sb] = await Promise.all([a.migrate(), b.migrate()]);
      expect(sa.pending).toEqual([]);
      expect(sb.applied).toEqual(sa.applied);
      expect((await store.migrationStatus()).applied).toEqual([1]);
    });

    it('creates, finds, lists and deletes users; usernames are unique', async () => {
      const u = await store.createUser({ username: 'alice', role: 'owner', passwordHash: 'h1' });
      expect(u).toMatchObject({ username: 'alice', role: 'owner', passwordHash: 'h1' });
      expect(await store.getUser(u.id)).toEqual(u);
      expect(await store.getUserByName('alice')).toEqual(u);
      await expect(store.createUser({ username: 'alice', role: 'reader', passwordHash: 'h2' })).rejects.toThrow();
      await store.createUser({ username: 'bob', role: 'reader', passwordHash: 'h2' });
      expect((await store.listUsers()).map((x) => x.username)).toEqual(['alice', 'bob']);
      expect(await store.countUsers()).toBe(2);
      await store.setUserPassword(u.id, 'h3');
      expect((await store.getUser(u.id))?.passwordHash).toBe('h3');
      expect(await store.deleteUser(u.id)).toBe(true);
      expect(await store.deleteUser(u.id)).toBe(false);
      expect(await store.getUserByName('alice')).toBeUndefined();
    });

    it('keeps sessions and tokens by hash and removes them with their user', async () => {
      const u = await store.createUser({ username: 'carol', role: 'contributor', passwordHash: 'h' });
      await store.createSession({ tokenHash: 's1', userId: u.id, createdAt: '2026-01-01T00:00:00Z', expiresAt: '2026-01-02T00:00:00Z' });
      await store.createSession({ tokenHash: 's2', userId: u.id, createdAt: '2026-01-01T00:00:00Z', expiresAt: '2026-03-01T00:00:00Z' });
      expect(await store.getSession('s1')).toEqual({ tokenHash: 's1', userId: u.id, createdAt: '2026-01-01T00:00:00.000Z', expiresAt: '2026-01-02T00:00:00.000Z' });
      expect(await store.deleteExpiredSessions('2026-02-01T00:00:00Z')).toBe(1);
      expect(await store.getSession('s1')).toBeUndefined();

      const t = await store.createApiToken({ id: 't1', name: 'ci', prefix: 'pal_abcd', tokenHash: 'th1', role: 'reader', userId: u.id, expiresAt: null });
      expect(t).toMatchObject({ id: 't1', prefix: 'pal_abcd', role: 'reader', lastUsedAt: null, revokedAt: null });
      expect(await store.getApiTokenByHash('th1')).toEqual(t);
      await store.touchApiToken('t1', '2026-01-05T10:00:00Z');
      expect((await store.getApiToken('t1'))?.lastUsedAt).toBe('2026-01-05T10:00:00.000Z');
      expect(await store.revokeApiToken('t1', '2026-01-06T00:00:00Z')).toBe(true);
      expect(await store.revokeApiToken('t1', '2026-01-07T00:00:00Z')).toBe(false);
      expect((await store.listApiTokens({ userId: u.id }))[0].revokedAt).toBe('2026-01-06T00:00:00.000Z');

      await store.deleteUser(u.id);
      expect(await store.getSession('s2')).toBeUndefined();
      expect(await store.listApiTokens()).toEqual([]);
    });

    it('appends audit entries and pages them newest first', async () => {
      for (let i = 0; i < 5; i++) await store.appendAudit({ actor: 'user:alice', action: i % 2 ? 'user.create' : 'exemption.create', target: `x:${i}`, source: '127.0.0.1', before: null, after: { i } });
      const p1 = await store.listAudit({ limit: 2 });
      expect(p1.items.map((e) => e.target)).toEqual(['x:4', 'x:3']);
      expect(p1.items[0]).toMatchObject({ actor: 'user:alice', source: '127.0.0.1', before: null, after: { i: 4 } });
      const p2 = await store.listAudit({ limit: 2, cursor: p1.next });
      expect(p2.items.map((e) => e.target)).toEqual(['x:2', 'x:1']);
      const p3 = await store.listAudit({ limit: 2, cursor: p2.next });
      expect(p3.items.map((e) => e.target)).toEqual(['x:0']);
      expect(p3.next).toBeUndefined();
      expect((await store.listAudit({ action: 'user.create' })).items.map((e) => e.target)).toEqual(['x:3', 'x:1']);
    });

    it('rolls back every write of a failed transaction', async () => {
      await expect(
        store.transaction(async (tx) => {
          await tx.createUser({ username: 'dave', role: 'reader', passwordHash: 'h' });
          await tx.appendAudit({ actor: 'system', action: 'user.create', target: 'user:dave' });
          throw new Error('boom');
        }),
      ).rejects.toThrow('boom');
      expect(await store.getUserByName('dave')).toBeUndefined();
      expect((await store.listAudit()).items).toEqual([]);
      await store.transaction(async (tx) => {
        await tx.createUser({ username: 'dave', role: 'reader', passwordHash: 'h' });
        await tx.appendAudit({ actor: 'system', action: 'user.create', target: 'user:dave' });
      });
      expect(await store.getUserByName('dave')).toBeDefined();
      expect((await store.listAudit()).items).toHaveLength(1);
    });

    it('stores connectors with their opaque secrets blob', async () => {
      const c = await store.createConnector({ kind: 'cluster', name: 'prod', config: { context: 'prod', namespaces: ['a'] }, secrets: 'v1:abc' });
      expect(await store.getConnector(c.id)).toEqual(c);
      const u = await store.updateConnector(c.id, { config: { context: 'prod2' } });
      expect(u).toMatchObject({ name: 'prod', config: { context: 'prod2' }, secrets: 'v1:abc' });
      expect(await store.updateConnector('nope', { name: 'x' })).toBeUndefined();
      await expect(store.createConnector({ kind: 'registry', name: 'prod', config: {}, secrets: null })).rejects.toThrow();
      expect((await store.listConnectors()).map((x) => x.name)).toEqual(['prod']);
      expect(await store.deleteConnector(c.id)).toBe(true);
      expect(await store.listConnectors()).toEqual([]);
    });

    it('upserts assets keeping first_seen, relates them, pages them, and cascades from the connector', async () => {
      const c = await store.createConnector({ kind: 'cluster', name: 'dev', config: {}, secrets: null });
      const [w, img] = await store.upsertAssets(
        [
          { connectorId: c.id, type: 'workload', key: 'ns/deploy/web', attributes: { replicas: 2 } },
          { connectorId: c.id, type: 'image', key: 'sha256:aa', attributes: {} },
        ],
        '2026-01-01T00:00:00Z',
      );
      const [w2] = await store.upsertAssets([{ connectorId: c.id, type: 'workload', key: 'ns/deploy/web', attributes: { replicas: 3 } }], '2026-01-02T00:00:00Z');
      expect(w2).toMatchObject({ id: w.id, firstSeen: '2026-01-01T00:00:00.000Z', lastSeen: '2026-01-02T00:00:00.000Z', attributes: { replicas: 3 } });
      // The same key without a connector is a different asset, and is itself unique.
      const [loose] = await store.upsertAssets([{ connectorId: null, type: 'workload', key: 'ns/deploy/web', attributes: {} }], '2026-01-02T00:00:00Z');
      const [loose2] = await store.upsertAssets([{ connectorId: null, type: 'workload', key: 'ns/deploy/web', attributes: { x: 1 } }], '2026-01-03T00:00:00Z');
      expect(loose.id).not.toBe(w.id);
      expect(loose2.id).toBe(loose.id);

      await store.putRelations([{ fromAsset: w.id, toAsset: img.id, kind: 'runs' }]);
      await store.putRelations([{ fromAsset: w.id, toAsset: img.id, kind: 'runs' }]);
      expect(await store.listRelations(img.id)).toEqual([{ fromAsset: w.id, toAsset: img.id, kind: 'runs' }]);

      const all: string[] = [];
      let cursor: string | undefined;
      do {
        const p = await store.listAssets({ limit: 2, cursor });
        all.push(...p.items.map((a) => a.id));
        cursor = p.next;
      } while (cursor);
      expect(all.sort()).toEqual([w.id, img.id, loose.id].sort());
      expect((await store.listAssets({ type: 'image' })).items.map((a) => a.key)).toEqual(['sha256:aa']);

      const [f] = await store.upsertFindings([{ assetId: w.id, checkId: 'PAL-001', severity: 'high', path: 'spec.x', message: 'm' }], '2026-01-01T00:00:00Z');
      const [f2] = await store.upsertFindings([{ assetId: w.id, checkId: 'PAL-001', severity: 'critical', path: 'spec.x', message: 'm2' }], '2026-01-04T00:00:00Z');
      expect(f2).toMatchObject({ id: f.id, severity: 'critical', firstSeen: '2026-01-01T00:00:00.000Z', lastSeen: '2026-01-04T00:00:00.000Z' });
      expect((await store.listFindings({ checkId: 'PAL-001' })).items).toHaveLength(1);

      await store.deleteConnector(c.id);
      expect((await store.listAssets({ connectorId: c.id })).items).toEqual([]);
      expect(await store.listRelations(img.id)).toEqual([]);
      expect((await store.listFindings()).items).toEqual([]);
    });

    it('upserts in batches: many rows, repeated keys in one call, results in input order', async () => {
      const many = Array.from({ length: 1203 }, (_, i) => ({ connectorId: null, type: 'pod', key: `p${i % 1201}`, attributes: { i } }));
      const rows = await store.upsertAssets(many, '2026-01-01T00:00:00Z');
      expect(rows).toHaveLength(1203);
      expect(rows.map((r) => r.key)).toEqual(many.map((a) => a.key));
      // The repeated keys (p0, p1) hold the last attributes given, and are one row each.
      expect(rows[0].id).toBe(rows[1201].id);
      expect(rows[0].attributes).toEqual({ i: 1201 });
      let n = 0;
      let cursor: string | undefined;
      do {
        const p = await store.listAssets({ type: 'pod', limit: 1000, cursor });
        n += p.items.length;
        cursor = p.next;
      } while (cursor);
      expect(n).toBe(1201);
    });

    it('keeps exemptions with expiry and filters the active ones', async () => {
      const a = await store.createExemption({ scope: '*', checkId: 'PAL-001', reason: 'legacy', owner: 'team-a', expiresAt: '2026-02-01T00:00:00Z', createdBy: 'user:alice' });
      const b = await store.createExemption({ scope: 'namespace:prod/kube-system', checkId: '*', reason: 'system', owner: 'platform', expiresAt: null, createdBy: 'user:alice' });
      expect(await store.getExemption(a.id)).toEqual(a);
      expect((await store.listExemptions({ activeAt: '2026-03-01T00:00:00Z' })).map((e) => e.id)).toEqual([b.id]);
      expect((await store.listExemptions({ scope: '*' })).map((e) => e.id)).toEqual([a.id]);
      expect(await store.deleteExemption(a.id)).toBe(true);
      expect((await store.listExemptions()).map((e) => e.id)).toEqual([b.id]);
    });

    it('keeps the score time series in time order per scope', async () => {
      await store.appendScore({ scope: 'overall', at: '2026-01-02T00:00:00Z', score: 71.5 });
      await store.appendScore({ scope: 'overall', at: '2026-01-01T00:00:00Z', score: 70 });
      await store.appendScore({ scope: 'cluster:x', at: '2026-01-01T00:00:00Z', score: 40 });
      expect(await store.listScores({ scope: 'overall' })).toEqual([
        { scope: 'overall', at: '2026-01-01T00:00:00.000Z', score: 70 },
        { scope: 'overall', at: '2026-01-02T00:00:00.000Z', score: 71.5 },
      ]);
      expect(await store.listScores({ scope: 'overall', since: '2026-01-02T00:00:00Z' })).toHaveLength(1);
    });

    it('filters assets by namespace and text, finds one by id, summarizes and prunes findings per connector', async () => {
      const c = await store.createConnector({ kind: 'cluster', name: 'lab', config: {}, secrets: null });
      const other = await store.createConnector({ kind: 'cluster', name: 'other', config: {}, secrets: null });
      const [web, api, node, o] = await store.upsertAssets(
        [
          { connectorId: c.id, type: 'workload', key: 'shop/Deployment/web', attributes: {} },
          { connectorId: c.id, type: 'workload', key: 'shop_x/Deployment/api', attributes: {} },
          { connectorId: c.id, type: 'node', key: 'Node/worker-1', attributes: {} },
          { connectorId: other.id, type: 'workload', key: 'shop/Deployment/web', attributes: {} },
        ],
        '2026-01-01T00:00:00Z',
      );
      const keys = async (q: Parameters<Store['listAssets']>[0]) => (await store.listAssets(q)).items.map((a) => a.id).sort();
      expect(await keys({ namespace: 'shop' })).toEqual([web.id, o.id].sort());
      // LIKE wildcards in the filter match literally: `shop_` is not `shop` plus any character.
      expect(await keys({ namespace: 'shop_x' })).toEqual([api.id]);
      expect(await keys({ q: 'WORKER' })).toEqual([node.id]);
      expect(await keys({ q: '%' })).toEqual([]);
      expect(await keys({ connectorId: c.id, type: 'workload', q: 'web' })).toEqual([web.id]);
      expect(await store.getAsset(api.id)).toEqual(api);
      expect(await store.getAsset('nope')).toBeUndefined();

      await store.upsertFindings(
        [
          { assetId: web.id, checkId: 'PAL-001', severity: 'high', path: 'a', message: 'm' },
          { assetId: web.id, checkId: 'PAL-001', severity: 'high', path: 'b', message: 'm' },
          { assetId: api.id, checkId: 'PAL-001', severity: 'high', path: 'a', message: 'm' },
          { assetId: api.id, checkId: 'PAL-002', severity: 'low', path: 'a', message: 'm' },
          { assetId: o.id, checkId: 'PAL-001', severity: 'high', path: 'a', message: 'm' },
        ],
        '2026-01-01T00:00:00Z',
      );
      expect(await store.summarizeFindings({ connectorId: c.id })).toEqual([
        { checkId: 'PAL-001', severity: 'high', assets: 2, findings: 3, lastSeen: '2026-01-01T00:00:00.000Z' },
        { checkId: 'PAL-002', severity: 'low', assets: 1, findings: 1, lastSeen: '2026-01-01T00:00:00.000Z' },
      ]);
      expect((await store.summarizeFindings()).find((s) => s.checkId === 'PAL-001')).toMatchObject({ assets: 3, findings: 4 });
      expect((await store.listFindings({ checkId: 'PAL-001', connectorId: other.id })).items.map((f) => f.assetId)).toEqual([o.id]);

      // A later assessment sees only one finding again: the others of that connector go, the other connector's stay.
      await store.upsertFindings([{ assetId: web.id, checkId: 'PAL-001', severity: 'high', path: 'a', message: 'm' }], '2026-01-02T00:00:00Z');
      expect(await store.pruneFindings(c.id, '2026-01-02T00:00:00Z')).toBe(3);
      expect((await store.listFindings({ connectorId: c.id })).items.map((f) => [f.assetId, f.path])).toEqual([[web.id, 'a']]);
      expect((await store.listFindings({ connectorId: other.id })).items).toHaveLength(1);
    });

    it('answers the newest score of every scope', async () => {
      await store.appendScore({ scope: 'overall', at: '2026-01-02T00:00:00Z', score: 71.5 });
      await store.appendScore({ scope: 'overall', at: '2026-01-01T00:00:00Z', score: 70 });
      await store.appendScore({ scope: 'connector:a', at: '2026-01-01T00:00:00Z', score: 40 });
      await store.appendScore({ scope: 'connector:a', at: '2026-01-03T00:00:00Z', score: 45 });
      expect(await store.latestScores()).toEqual([
        { scope: 'connector:a', at: '2026-01-03T00:00:00.000Z', score: 45 },
        { scope: 'overall', at: '2026-01-02T00:00:00.000Z', score: 71.5 },
      ]);
    });

    it('answers ping', async () => {
      await expect(store.ping()).resolves.toBeUndefined();
    });
  });
}

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describeStoreContract('sqlite', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'palisade-store-'));
  dirs.push(dir);
  return () => openSqliteStore(join(dir, 'palisade.db'));
});

const pgSkip = postgresUnavailable();
let server: RunningPostgres | undefined;
let n = 0;
if (!pgSkip) {
  beforeAll(async () => {
    server = await startPostgres();
  }, 60_000);
  afterAll(async () => {
    await server?.stop();
  });
}

describeStoreContract(
  'postgres',
  async () => {
    const url = await server!.createDatabase(`contract_${++n}`);
    return () => openPostgresStore(url, { maxConnections: 4 });
  },
  { skip: pgSkip },
);
