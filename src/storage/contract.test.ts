/**
 * The store contract: one suite of behaviour, run against SQLite and against a throwaway PostgreSQL server.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { postgresUnavailable, startPostgres, type RunningPostgres } from '../../test/helpers/postgres.js';
import { MIGRATIONS } from './migrations/index.js';
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
      expect((await store.migrationStatus()).applied).toEqual(MIGRATIONS.map((m) => m.id));
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

    it('answers the last score of each UTC day per scope for a trend', async () => {
      for (const [scope, at, score] of [
        ['daily:a', '2026-03-01T08:00:00Z', 10],
        ['daily:a', '2026-03-01T23:59:00Z', 12],
        ['daily:a', '2026-03-02T00:00:00Z', 20],
        ['daily:b', '2026-03-01T12:00:00Z', 50],
        ['daily:a', '2026-02-28T12:00:00Z', 1],
        ['daily:c', '2026-03-01T12:00:00Z', 99],
      ] as const)
        await store.appendScore({ scope, at, score });
      expect(await store.dailyScores({ scopes: ['daily:a', 'daily:b'], since: '2026-03-01T00:00:00Z' })).toEqual([
        { scope: 'daily:b', at: '2026-03-01T12:00:00.000Z', score: 50 },
        { scope: 'daily:a', at: '2026-03-01T23:59:00.000Z', score: 12 },
        { scope: 'daily:a', at: '2026-03-02T00:00:00.000Z', score: 20 },
      ]);
      expect(await store.dailyScores({ scopes: [], since: '2026-03-01T00:00:00Z' })).toEqual([]);
    });

    it('keeps one compliance point per connector, framework and hour, sums connectors per day, and drops them with their connector', async () => {
      const a = await store.createConnector({ kind: 'cluster', name: 'ch-a', config: {}, secrets: null });
      const b = await store.createConnector({ kind: 'cluster', name: 'ch-b', config: {}, secrets: null });
      const pt = (connectorId: string, at: string, passed: number, failed: number, framework = 'nsa') => ({ connectorId, framework, at, passed, failed, notApplicable: 2, manual: 1, score: passed + failed ? Math.round((passed / (passed + failed)) * 1000) / 10 : null });
      await store.appendCompliancePoints([
        pt(a.id, '2026-01-01T10:05:00Z', 1, 3),
        pt(a.id, '2026-01-01T10:50:00Z', 2, 2),
        // Older than the point already in the batch for that hour: ignored.
        pt(a.id, '2026-01-01T10:20:00Z', 0, 4),
        pt(a.id, '2026-01-01T11:00:00Z', 3, 1),
        pt(a.id, '2026-01-01T11:00:00Z', 9, 9, 'cis'),
        pt(b.id, '2026-01-01T09:00:00Z', 0, 0),
      ]);
      // A later write in the same hour replaces the point; an earlier one (a late writer) does not.
      await store.appendCompliancePoints([pt(a.id, '2026-01-01T11:30:00Z', 4, 0)]);
      await store.appendCompliancePoints([pt(a.id, '2026-01-01T11:10:00Z', 0, 4)]);
      await store.appendCompliancePoints([pt(a.id, '2026-01-02T08:00:00Z', 1, 1), pt(b.id, '2026-01-03T08:00:00Z', 5, 5)]);
      expect(await store.listCompliancePoints({ framework: 'nsa', connectorId: a.id })).toEqual([
        { at: '2026-01-01T10:50:00.000Z', passed: 2, failed: 2, notApplicable: 2, manual: 1, score: 50 },
        { at: '2026-01-01T11:30:00.000Z', passed: 4, failed: 0, notApplicable: 2, manual: 1, score: 100 },
        { at: '2026-01-02T08:00:00.000Z', passed: 1, failed: 1, notApplicable: 2, manual: 1, score: 50 },
      ]);
      expect((await store.listCompliancePoints({ framework: 'nsa', connectorId: a.id, since: '2026-01-01T11:00:00Z', limit: 1 })).map((p) => p.at)).toEqual(['2026-01-02T08:00:00.000Z']);
      expect(await store.listCompliancePoints({ framework: 'cis', connectorId: b.id })).toEqual([]);
      // Across connectors: per day, each connector's latest point by then, summed (a's last of day 1 is 4/0, b's 0/0;
      // on day 3, a's point of day 2 is carried forward).
      expect(await store.listCompliancePoints({ framework: 'nsa' })).toEqual([
        { at: '2026-01-01T11:30:00.000Z', passed: 4, failed: 0, notApplicable: 4, manual: 2, score: 100 },
        { at: '2026-01-02T08:00:00.000Z', passed: 1, failed: 1, notApplicable: 4, manual: 2, score: 50 },
        { at: '2026-01-03T08:00:00.000Z', passed: 6, failed: 6, notApplicable: 4, manual: 2, score: 50 },
      ]);
      // A window carries each connector's last point from before it.
      expect(await store.listCompliancePoints({ framework: 'nsa', connectorIds: [a.id, b.id], since: '2026-01-03T00:00:00Z' })).toEqual([
        { at: '2026-01-03T08:00:00.000Z', passed: 6, failed: 6, notApplicable: 4, manual: 2, score: 50 },
      ]);
      expect(await store.listCompliancePoints({ framework: 'nsa', connectorIds: [b.id], since: '2026-01-02T00:00:00Z' })).toEqual([
        { at: '2026-01-03T08:00:00.000Z', passed: 5, failed: 5, notApplicable: 2, manual: 1, score: 50 },
      ]);
      expect(await store.listCompliancePoints({ framework: 'nsa', connectorIds: [] })).toEqual([]);
      await store.deleteConnector(a.id);
      expect(await store.listCompliancePoints({ framework: 'nsa', connectorId: a.id })).toEqual([]);
      expect(await store.listCompliancePoints({ framework: 'nsa' })).toHaveLength(2);
    });

    it('keeps a finding\'s suggested fix, replaces it on the next upsert and clears it when the check no longer offers one', async () => {
      const c = await store.createConnector({ kind: 'cluster', name: 'fix-lab', config: {}, secrets: null });
      const [a] = await store.upsertAssets([{ connectorId: c.id, type: 'workload', key: 'shop/Deployment/web', attributes: {} }], '2026-05-01T00:00:00.000Z');
      const fix = { description: 'set privileged to false', patch: [{ op: 'replace' as const, path: '/spec/template/spec/containers/0/securityContext/privileged', value: false }] };
      const base = { assetId: a.id, checkId: 'PAL-FIX', severity: 'high', path: 'spec.template.spec.containers[0].securityContext.privileged', message: 'm' };
      const [first] = await store.upsertFindings([{ ...base, fix }], '2026-05-01T00:00:00.000Z');
      expect(first.fix).toEqual(fix);
      expect((await store.listFindings({ checkId: 'PAL-FIX' })).items[0]?.fix).toEqual(fix);
      const [second] = await store.upsertFindings([{ ...base, fix: null }], '2026-05-02T00:00:00.000Z');
      expect(second.fix).toBeNull();
      expect(second.id).toBe(first.id);
      await store.deleteConnector(c.id);
    });

    it('filters assets by namespace as an exact key prefix, never a namespace whose name merely starts the same', async () => {
      const c = await store.createConnector({ kind: 'cluster', name: 'ns-prefix', config: {}, secrets: null });
      const at = '2026-05-03T00:00:00.000Z';
      await store.upsertAssets(
        ['nsp-a/Deployment/x', 'nsp-ab/Deployment/y', 'nsp-a0/Deployment/z', 'nsp-a/Service/x-\u00e9t\u00e9', 'nsp-/Deployment/w'].map((key) => ({ connectorId: c.id, type: 'workload', key, attributes: {} })),
        at,
      );
      const keys = async (namespace: string, q?: string) => (await store.listAssets({ namespace, q, connectorId: c.id })).items.map((a) => a.key).sort();
      expect(await keys('nsp-a')).toEqual(['nsp-a/Deployment/x', 'nsp-a/Service/x-\u00e9t\u00e9']);
      expect(await keys('nsp-a', 'SERVICE')).toEqual(['nsp-a/Service/x-\u00e9t\u00e9']);
      expect(await keys('nsp-ab')).toEqual(['nsp-ab/Deployment/y']);
      expect(await keys('nsp')).toEqual([]);
      await store.deleteConnector(c.id);
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

    it('keeps the offboarding of a connector: one record, partial updates, a lease, the due purges', async () => {
      const steps = { backup: { status: 'done' } };
      const o = await store.createOffboarding({ connectorId: 'c1', connectorName: 'old', connectorKind: 'cluster', reason: 'decommissioned', requestedBy: 'user:alice', steps, report: { plan: { n: 1 } } });
      expect(o).toMatchObject({ connectorId: 'c1', state: 'running', reason: 'decommissioned', monitoringStoppedAt: null, offboardedAt: null, purgeAfter: null, steps, report: { plan: { n: 1 } } });
      expect(await store.createOffboarding({ connectorId: 'c1', connectorName: 'old', connectorKind: 'cluster', reason: 'again', requestedBy: 'user:bob', steps: {}, report: {} })).toBeUndefined();
      expect(await store.getOffboarding('c1')).toEqual(o);
      expect(await store.getOffboarding('nope')).toBeUndefined();
      expect(await store.updateOffboarding('nope', { state: 'purged' })).toBeUndefined();

      const u = await store.updateOffboarding('c1', { monitoringStoppedAt: '2026-01-01T00:00:00Z', steps: { ...steps, stop: { status: 'done' } } });
      expect(u).toMatchObject({ monitoringStoppedAt: '2026-01-01T00:00:00.000Z', reason: 'decommissioned', steps: { stop: { status: 'done' } }, report: { plan: { n: 1 } } });
      await store.updateOffboarding('c1', { state: 'offboarded', offboardedAt: '2026-01-02T00:00:00Z', offboardedBy: 'user:alice', purgeAfter: '2026-02-01T00:00:00Z' });
      await store.createOffboarding({ connectorId: 'c2', connectorName: 'young', connectorKind: 'cluster', reason: 'r', requestedBy: 'user:alice', steps: {}, report: {} });
      expect((await store.listOffboardings()).map((x) => x.connectorId)).toEqual(['c1', 'c2']);
      expect((await store.listOffboardings({ state: 'running' })).map((x) => x.connectorId)).toEqual(['c2']);
      expect(await store.listOffboardings({ purgeDueAt: '2026-01-31T00:00:00Z' })).toEqual([]);
      expect((await store.listOffboardings({ purgeDueAt: '2026-02-01T00:00:00Z' })).map((x) => x.connectorId)).toEqual(['c1']);

      // One holder at a time; the holder may renew; an expired lease may be taken over.
      expect(await store.claimOffboarding('c2', 'p1', '2026-01-01T00:10:00Z', '2026-01-01T00:00:00Z')).toBe(true);
      expect(await store.claimOffboarding('c2', 'p2', '2026-01-01T00:11:00Z', '2026-01-01T00:01:00Z')).toBe(false);
      expect(await store.claimOffboarding('c2', 'p1', '2026-01-01T00:12:00Z', '2026-01-01T00:02:00Z')).toBe(true);
      expect(await store.claimOffboarding('c2', 'p2', '2026-01-01T00:20:00Z', '2026-01-01T00:13:00Z')).toBe(true);
      await store.releaseOffboarding('c2', 'p1');
      expect(await store.claimOffboarding('c2', 'p3', '2026-01-01T00:21:00Z', '2026-01-01T00:14:00Z')).toBe(false);
      await store.releaseOffboarding('c2', 'p2');
      expect(await store.claimOffboarding('c2', 'p3', '2026-01-01T00:21:00Z', '2026-01-01T00:14:00Z')).toBe(true);
      expect(await store.claimOffboarding('nope', 'p1', '2026-01-01T00:21:00Z', '2026-01-01T00:14:00Z')).toBe(false);
    });

    it('counts, exports and purges everything kept about one connector, and nothing of another', async () => {
      const c = await store.createConnector({ kind: 'cluster', name: 'gone', config: { context: 'gone' }, secrets: 'v1:sealed' });
      const other = await store.createConnector({ kind: 'cluster', name: 'kept', config: {}, secrets: 'v1:other' });
      const [web, img, node] = await store.upsertAssets(
        [
          { connectorId: c.id, type: 'workload', key: 'shop/Deployment/web', attributes: {} },
          { connectorId: c.id, type: 'image', key: 'nginx:1', attributes: {} },
          { connectorId: c.id, type: 'node', key: 'Node/n1', attributes: {} },
        ],
        '2026-01-03T00:00:00Z',
      );
      const [ow] = await store.upsertAssets([{ connectorId: other.id, type: 'workload', key: 'shop/Deployment/web', attributes: {} }], '2026-01-05T00:00:00Z');
      await store.putRelations([
        { fromAsset: web.id, toAsset: img.id, kind: 'runs' },
        { fromAsset: node.id, toAsset: web.id, kind: 'contains' },
        { fromAsset: web.id, toAsset: node.id, kind: 'contains' },
      ]);
      await store.upsertFindings([{ assetId: web.id, checkId: 'PAL-001', severity: 'high', path: 'a', message: 'm' }, { assetId: ow.id, checkId: 'PAL-001', severity: 'high', path: 'a', message: 'm' }], '2026-01-03T00:00:00Z');
      await store.appendScore({ scope: `connector:${c.id}`, at: '2026-01-03T00:00:00Z', score: 50 });
      await store.appendScore({ scope: `connector:${other.id}`, at: '2026-01-03T00:00:00Z', score: 60 });
      await store.appendScore({ scope: 'overall', at: '2026-01-03T00:00:00Z', score: 55 });
      const point = { framework: 'nsa', at: '2026-01-03T00:00:00Z', passed: 1, failed: 1, notApplicable: 0, manual: 0, score: 50 };
      await store.appendCompliancePoints([{ ...point, connectorId: c.id }, { ...point, connectorId: c.id, framework: 'cis' }, { ...point, connectorId: other.id }]);
      const ex = (scope: string) => store.createExemption({ scope, checkId: '*', reason: 'r', owner: 'o', expiresAt: null, createdBy: 'user:alice' });
      const mine = [await ex(`connector:${c.id}`), await ex('namespace:gone/shop'), await ex(`namespace:${c.id}/shop`), await ex(`asset:${web.id}`)];
      await ex('*');
      await ex('namespace:gone_x/shop');
      await ex(`connector:${other.id}`);
      const token = await store.createIngestToken({ connectorId: c.id, name: 'apiserver', prefix: 'pai_abc', tokenHash: 'ih1', createdBy: 'user:alice' });
      await store.touchIngestToken(token.id, '2026-01-04T00:00:00Z');
      await store.journalAuditEvents(c.id, [{ body: '{"kind":"Event"}', auditId: 'a1', stage: 'ResponseComplete', format: 'kubernetes' }], '2026-01-06T00:00:00Z');
      await store.saveDetectorStates(c.id, { 'new-user-agent': { seen: ['kubectl'] } });
      await store.createSuppression({ connectorId: c.id, rule: 'PAL-RT-001', reason: 'noisy', owner: 'o', createdBy: 'user:alice' });
      const u = await store.createUser({ username: 'eve', role: 'reader', passwordHash: 'h' });
      await store.putRoleBinding({ subjectKind: 'user', subjectId: u.id, connectorId: c.id, role: 'reader', createdBy: 'user:alice' });
      await store.appendAudit({ actor: 'user:alice', action: 'connector.sync', target: `connector:${c.id}` });

      expect(await store.connectorActivity()).toEqual([
        { connectorId: c.id, lastAssetSeen: '2026-01-03T00:00:00.000Z', lastEventAt: '2026-01-06T00:00:00.000Z', lastIngestAt: '2026-01-04T00:00:00.000Z' },
        { connectorId: other.id, lastAssetSeen: '2026-01-05T00:00:00.000Z', lastEventAt: null, lastIngestAt: null },
      ].sort((a, b) => a.connectorId.localeCompare(b.connectorId)));

      const ref = { id: c.id, name: c.name };
      const counts = await store.countConnectorData(ref);
      expect(counts).toEqual({ connector: 1, assets: 3, relations: 3, findings: 1, scores: 1, 'compliance-history': 2, exemptions: 4, alerts: 0, 'alert-suppressions': 1, 'audit-events': 1, 'detector-state': 1, 'ingest-tokens': 1, 'role-bindings': 1, 'audit-trail': 1 });

      // Every kind pages to the end in a stable order, one row per counted row.
      for (const kind of Object.keys(counts) as Array<keyof typeof counts>) {
        const rows: Array<Record<string, unknown>> = [];
        let cursor: string | undefined;
        do {
          const p = await store.exportConnectorData(ref, kind, { limit: 1, cursor });
          rows.push(...p.items);
          cursor = p.next;
        } while (cursor);
        expect(rows, kind).toHaveLength(counts[kind]);
      }
      const [conn] = (await store.exportConnectorData(ref, 'connector')).items;
      expect(conn).toMatchObject({ id: c.id, name: 'gone', hasCredentials: true });
      expect(JSON.stringify(conn)).not.toContain('v1:sealed');
      const [tok] = (await store.exportConnectorData(ref, 'ingest-tokens')).items;
      expect(tok).toMatchObject({ id: token.id, prefix: 'pai_abc' });
      expect(tok).not.toHaveProperty('tokenHash');
      expect((await store.exportConnectorData(ref, 'exemptions')).items.map((e) => e.id)).toEqual(mine.map((e) => e.id).sort());
      expect((await store.exportConnectorData(ref, 'detector-state')).items[0]).toMatchObject({ key: 'new-user-agent', value: { seen: ['kubectl'] } });

      const purged = await store.purgeConnectorData(ref);
      expect(purged).toMatchObject({ connector: 1, assets: 3, relations: 3, findings: 1, scores: 1, 'compliance-history': 2, exemptions: 4, 'alert-suppressions': 1, 'audit-events': 1, 'detector-state': 1, 'role-bindings': 1, 'ingest-tokens': 0, 'audit-trail': 0 });
      expect(await store.countConnectorData(ref)).toEqual({ connector: 0, assets: 0, relations: 0, findings: 0, scores: 0, 'compliance-history': 0, exemptions: 0, alerts: 0, 'alert-suppressions': 0, 'audit-events': 0, 'detector-state': 0, 'ingest-tokens': 1, 'role-bindings': 0, 'audit-trail': 1 });
      expect(await store.getConnector(c.id)).toBeUndefined();
      expect(await store.getIngestTokenByHash('ih1')).toMatchObject({ connectorId: c.id });
      const kept = await store.countConnectorData({ id: other.id, name: other.name });
      expect(kept).toMatchObject({ connector: 1, assets: 1, findings: 1, scores: 1, 'compliance-history': 1, exemptions: 1 });
      expect((await store.listExemptions()).map((e) => e.scope).sort()).toEqual(['*', `connector:${other.id}`, 'namespace:gone_x/shop'].sort());
      expect(await store.listScores({ scope: 'overall' })).toHaveLength(1);
    });

    // Audit ingest: tokens, event journal, alerts, suppressions, detector state

    it('keeps ingest tokens by hash, lists and revokes them per connector, and keeps them after their connector', async () => {
      const c = await store.createConnector({ kind: 'cluster', name: 'audit-a', config: {}, secrets: null });
      const t1 = await store.createIngestToken({ connectorId: c.id, name: 'apiserver', prefix: 'pai_aaaaaaaa', tokenHash: 'ih1', createdBy: 'user:alice' });
      expect(t1).toMatchObject({ connectorId: c.id, name: 'apiserver', prefix: 'pai_aaaaaaaa', tokenHash: 'ih1', createdBy: 'user:alice', revokedAt: null, lastUsedAt: null });
      const t2 = await store.createIngestToken({ connectorId: c.id, name: 'spare', prefix: 'pai_bbbbbbbb', tokenHash: 'ih2', createdBy: 'user:alice' });
      const t3 = await store.createIngestToken({ connectorId: 'other', name: 'x', prefix: 'pai_cccccccc', tokenHash: 'ih3', createdBy: 'user:bob' });
      await expect(store.createIngestToken({ connectorId: c.id, name: 'dup', prefix: 'pai_dddddddd', tokenHash: 'ih1', createdBy: 'user:alice' })).rejects.toThrow();
      expect(await store.getIngestTokenByHash('ih2')).toEqual(t2);
      expect(await store.getIngestTokenByHash('nope')).toBeUndefined();
      await store.touchIngestToken(t1.id, '2026-01-05T10:00:00Z');
      expect((await store.getIngestToken(t1.id))?.lastUsedAt).toBe('2026-01-05T10:00:00.000Z');
      expect(await store.revokeIngestToken(t2.id, '2026-01-06T00:00:00Z')).toBe(true);
      expect(await store.revokeIngestToken(t2.id, '2026-01-07T00:00:00Z')).toBe(false);
      expect((await store.listIngestTokens({ connectorId: c.id })).map((t) => t.id)).toEqual([t1.id]);
      expect((await store.listIngestTokens({ connectorId: c.id, includeRevoked: true })).map((t) => t.id).sort()).toEqual([t1.id, t2.id].sort());
      expect((await store.listIngestTokens({})).map((t) => t.id).sort()).toEqual([t1.id, t3.id].sort());
      expect(await store.revokeIngestTokens(c.id, '2026-01-08T00:00:00Z')).toBe(1);
      expect(await store.revokeIngestTokens(c.id, '2026-01-09T00:00:00Z')).toBe(0);
      expect((await store.getIngestTokenByHash('ih1'))?.revokedAt).toBe('2026-01-08T00:00:00.000Z');
      expect((await store.getIngestTokenByHash('ih2'))?.revokedAt).toBe('2026-01-06T00:00:00.000Z');
      await store.deleteConnector(c.id);
      expect((await store.getIngestTokenByHash('ih1'))?.connectorId).toBe(c.id);
    });

    it('journals audit events once, merges alerts within their window, claims each step once and prunes what no alert keeps', async () => {
      const ev = (id: string, stage = 'ResponseComplete') => ({ body: JSON.stringify({ kind: 'Event', auditID: id, stage }), auditId: id, stage, format: 'kubernetes', eventTime: '2026-01-01T10:00:00Z' });
      const j1 = await store.journalAuditEvents('c1', [ev('a1'), ev('a2'), ev('a1', 'ResponseStarted')], '2026-01-01T10:00:01Z');
      expect(j1).toMatchObject({ accepted: 3, duplicates: 0 });
      const j2 = await store.journalAuditEvents('c1', [ev('a2'), ev('a3')], '2026-01-01T10:00:02Z');
      expect(j2.accepted).toBe(1);
      expect(j2.seqs[0]).toBeUndefined();
      // The same audit ID from another cluster is another event.
      expect((await store.journalAuditEvents('c2', [ev('a1')], '2026-01-01T10:00:03Z')).accepted).toBe(1);
      const pending = await store.pendingAuditEvents(100);
      expect(pending.map((e) => [e.connectorId, JSON.parse(e.body).auditID])).toEqual([['c1', 'a1'], ['c1', 'a2'], ['c1', 'a1'], ['c1', 'a3'], ['c2', 'a1']]);
      expect(pending[0]).toMatchObject({ receivedAt: '2026-01-01T10:00:01.000Z', format: 'kubernetes' });

      const alert = (auditId: string) => ({
        ruleId: 'PAL-RT-010',
        slug: 'pod-exec-or-attach',
        title: 'Exec',
        severity: 'low' as const,
        mitre: { tactics: ['TA0002'], techniques: ['T1609'] },
        output: 'mallory exec',
        entities: { user: 'mallory', verb: 'create', namespace: 'shop', resource: 'pods', subresource: 'exec' },
        auditIds: [auditId],
        count: 1,
        source: { file: 'connector:c1', format: 'kubernetes' as const },
        equivalents: { falco: ['Attach/Exec Pod'] },
      });
      const sup = await store.createSuppression({ rule: 'PAL-RT-001', reason: 'r', owner: 'o', createdBy: 'user:alice' });
      const [e1, e2, e3, e4, e5] = pending;
      const step1 = await store.commitAlertProcessing({
        seqs: [e1.seq, e2.seq],
        occurrences: [
          { connectorId: 'c1', alert: alert('a1'), dedupeKey: 'k', at: '2026-01-01T10:00:00Z', eventSeq: e1.seq },
          { connectorId: 'c1', alert: alert('a2'), dedupeKey: 'k', at: '2026-01-01T10:20:00Z', eventSeq: e2.seq },
        ],
        suppressed: new Map([[sup.id, { at: '2026-01-01T10:00:00Z', count: 2 }]]),
        detectorStates: [{ connectorId: 'c1', states: { 'PAL-RT-064': { accounts: 1 } } }],
        windowMs: 3_600_000,
      });
      expect(step1?.merged).toBe(1);
      expect(step1?.created).toHaveLength(1);
      const a = step1!.created[0];
      expect(a).toMatchObject({ connectorId: 'c1', status: 'new', ruleId: 'PAL-RT-010', severity: 'low', count: 2, firstSeen: '2026-01-01T10:00:00.000Z', entities: { user: 'mallory' } });
      expect(await store.getAlert(a.id)).toMatchObject({ count: 2, auditIds: ['a1', 'a2'], lastSeen: '2026-01-01T10:20:00.000Z' });
      expect(await store.alertEventSeqs(a.id)).toEqual([e1.seq, e2.seq]);
      expect((await store.auditEvents([e2.seq]))[0].seq).toBe(e2.seq);
      expect(await store.getSuppression(sup.id)).toMatchObject({ matchCount: 2, lastMatchedAt: '2026-01-01T10:00:00.000Z' });
      expect(await store.loadDetectorStates('c1')).toEqual({ 'PAL-RT-064': { accounts: 1 } });
      expect(await store.loadDetectorStates('c2')).toEqual({});
      await store.saveDetectorStates('c1', { 'PAL-RT-064': { accounts: 2 } });
      expect(await store.loadDetectorStates('c1')).toEqual({ 'PAL-RT-064': { accounts: 2 } });

      // A step whose events were processed already (by another process) commits nothing.
      expect(await store.commitAlertProcessing({ seqs: [e2.seq, e3.seq], occurrences: [{ connectorId: 'c1', alert: alert('a9'), dedupeKey: 'k9', at: '2026-01-01T10:00:00Z' }], windowMs: 3_600_000 })).toBeUndefined();
      expect((await store.pendingAuditEvents(100)).map((e) => e.seq)).toEqual([e3.seq, e4.seq, e5.seq]);
      expect((await store.listAlerts({ ruleId: 'PAL-RT-010' })).items).toHaveLength(1);

      // Outside the window, after a resolution, or in another connector: new alerts.
      await store.updateAlertStatus(a.id, { status: 'resolved', by: 'user:alice', at: '2026-01-01T11:00:00Z', reason: 'fixed' });
      expect(await store.getAlert(a.id)).toMatchObject({ status: 'resolved', statusBy: 'user:alice', statusAt: '2026-01-01T11:00:00.000Z', statusReason: 'fixed' });
      const step2 = await store.commitAlertProcessing({
        seqs: [e3.seq, e4.seq, e5.seq],
        occurrences: [
          { connectorId: 'c1', alert: alert('a3'), dedupeKey: 'k', at: '2026-01-01T10:30:00Z', eventSeq: e4.seq },
          { connectorId: 'c2', alert: { ...alert('a1'), severity: 'high' as const }, dedupeKey: 'k', at: '2026-01-02T09:00:00Z', eventSeq: e5.seq },
        ],
        windowMs: 3_600_000,
      });
      expect(step2?.created.map((x) => x.connectorId)).toEqual(['c1', 'c2']);
      expect(await store.pendingAuditEvents(100)).toEqual([]);

      // Filters and pages, newest first.
      const all = await store.listAlerts({});
      expect(all.items.map((x) => x.connectorId)).toEqual(['c2', 'c1', 'c1']);
      expect((await store.listAlerts({ connectorId: 'c2' })).items).toHaveLength(1);
      expect((await store.listAlerts({ connectorIds: ['c2', 'c9'] })).items.map((x) => x.connectorId)).toEqual(['c2']);
      expect((await store.listAlerts({ connectorIds: [] })).items).toEqual([]);
      expect((await store.listAlerts({ statuses: ['new'] })).items).toHaveLength(2);
      expect((await store.listAlerts({ severities: ['high'] })).items.map((x) => x.connectorId)).toEqual(['c2']);
      expect((await store.listAlerts({ ruleId: 'pal-rt-010' })).items).toHaveLength(3);
      expect((await store.listAlerts({ ruleId: 'pod-exec-or-attach' })).items).toHaveLength(3);
      expect((await store.listAlerts({ since: '2026-01-02T00:00:00Z' })).items).toHaveLength(1);
      expect((await store.listAlerts({ until: '2026-01-02T00:00:00Z' })).items).toHaveLength(2);
      const p1 = await store.listAlerts({ limit: 2 });
      expect(p1.items).toHaveLength(2);
      const p2 = await store.listAlerts({ limit: 2, cursor: p1.next });
      expect(p2.items.map((x) => x.id)).toEqual([a.id]);
      expect(p2.next).toBeUndefined();

      expect(await store.countAlerts({ since: '2026-01-01T00:00:00Z', bucket: 'day' })).toEqual([
        { bucket: '2026-01-01', severity: 'low', count: 2 },
        { bucket: '2026-01-02', severity: 'high', count: 1 },
      ]);
      expect(await store.countAlerts({ since: '2026-01-01T00:00:00Z', bucket: 'hour', connectorId: 'c1' })).toEqual([{ bucket: '2026-01-01T10', severity: 'low', count: 2 }]);
      expect(await store.countAlerts({ since: '2026-01-02T00:00:00Z', until: '2026-01-03T00:00:00Z', bucket: 'day' })).toEqual([{ bucket: '2026-01-02', severity: 'high', count: 1 }]);
      expect(await store.countAlerts({ since: '2026-01-01T00:00:00Z', bucket: 'day', connectorIds: ['c2', 'c9'] })).toEqual([{ bucket: '2026-01-02', severity: 'high', count: 1 }]);
      expect(await store.countAlertsByStatus()).toEqual([
        { status: 'new', severity: 'high', count: 1 },
        { status: 'new', severity: 'low', count: 1 },
        { status: 'resolved', severity: 'low', count: 1 },
      ]);
      expect(await store.countAlertsByStatus({ connectorId: 'c1' })).toEqual([{ status: 'new', severity: 'low', count: 1 }, { status: 'resolved', severity: 'low', count: 1 }]);
      expect(await store.countAlertsByStatus({ connectorIds: [] })).toEqual([]);

      // Retention: processed events no alert keeps go; evidence stays.
      expect(await store.pruneAuditEvents('2026-02-01T00:00:00Z')).toBe(1);
      expect((await store.auditEvents([e1.seq, e2.seq, e3.seq, e4.seq, e5.seq])).map((e) => e.seq)).toEqual([e1.seq, e2.seq, e4.seq, e5.seq].sort((x, y) => x - y));
    });

    it('keeps suppression rules: optional fields stay absent, expiry and removal decide which are in force', async () => {
      const s1 = await store.createSuppression({ rule: 'PAL-RT-010', user: 'ci-*', reason: 'smoke tests', owner: 'team-a', createdBy: 'user:alice' });
      expect(s1).toEqual({ id: s1.id, rule: 'PAL-RT-010', user: 'ci-*', reason: 'smoke tests', owner: 'team-a', createdBy: 'user:alice', createdAt: s1.createdAt, matchCount: 0 });
      const s2 = await store.createSuppression({ connectorId: 'c1', namespace: 'staging', sourceIp: '10.0.0.0/8', reason: 'lab', owner: 'team-b', expiresAt: '2026-03-01T00:00:00Z', createdBy: 'user:bob' });
      expect(s2).toMatchObject({ connectorId: 'c1', namespace: 'staging', sourceIp: '10.0.0.0/8', expiresAt: '2026-03-01T00:00:00.000Z' });
      expect((await store.activeSuppressions('2026-02-01T00:00:00Z')).map((s) => s.id)).toEqual([s1.id, s2.id]);
      expect((await store.activeSuppressions('2026-03-01T00:00:00Z')).map((s) => s.id)).toEqual([s1.id]);
      expect((await store.listSuppressions({ connectorId: 'c2' })).map((s) => s.id)).toEqual([s1.id]);
      expect(await store.updateSuppression(s2.id, { reason: 'lab cluster', expiresAt: null })).toMatchObject({ reason: 'lab cluster', owner: 'team-b' });
      expect((await store.getSuppression(s2.id))?.expiresAt).toBeUndefined();
      expect(await store.removeSuppression(s1.id, 'user:alice', '2026-01-02T00:00:00Z')).toMatchObject({ removedBy: 'user:alice', removedAt: '2026-01-02T00:00:00.000Z' });
      expect(await store.removeSuppression(s1.id, 'user:alice', '2026-01-03T00:00:00Z')).toBeUndefined();
      expect(await store.updateSuppression(s1.id, { reason: 'x' })).toBeUndefined();
      expect((await store.listSuppressions()).map((s) => s.id)).toEqual([s2.id]);
      expect((await store.listSuppressions({ includeRemoved: true })).map((s) => s.id)).toEqual([s1.id, s2.id]);
      expect((await store.activeSuppressions('2026-02-01T00:00:00Z')).map((s) => s.id)).toEqual([s2.id]);
    });

    it('forgets images no connector claims: references, then scans and their vulnerabilities, keeping tags of images in use', async () => {
      const at = '2026-04-02T00:00:00.000Z';
      const keep = await store.createConnector({ kind: 'cluster', name: 'prune-keep', config: {}, secrets: null });
      const gone = await store.createConnector({ kind: 'registry', name: 'prune-gone', config: {}, secrets: null });
      await store.upsertAssets([{ connectorId: keep.id, type: 'image', key: 'prune.example/app:1', attributes: {} }], at);
      await store.upsertAssets([{ connectorId: gone.id, type: 'image', key: 'prune.example/lib@sha256:p2', attributes: {} }], at);
      const scan = (digest: string) => ({ digest, reference: 'x', platform: 'linux/amd64', os: null, packages: [], layers: [], packageCount: 0, scannedAt: at, matchedAt: at, dbUpdatedAt: null });
      const vuln = (digest: string) => ({ digest, vulnId: 'CVE-P', package: 'p', installedVersion: '1', packagePath: '/p', ecosystem: 'debian', fixedVersion: null, status: 'affected', severity: 'high', title: null, aliases: [], primaryUrl: null, layer: null });
      const ref = (reference: string, digest: string | null) => store.putImageReference({ reference, digest, status: digest ? 'ok' : 'error', errorCode: null, error: null, attemptedAt: at, succeededAt: digest ? at : null });
      await store.putImageScan(scan('sha256:p1'), [vuln('sha256:p1')]);
      await store.putImageScan(scan('sha256:p2'), [vuln('sha256:p2')]);
      await ref('prune.example/app:1', 'sha256:p1');
      // A tag of the image the kept cluster runs, found by the registry: kept, its digest is in use.
      await ref('prune.example/app@sha256:p1', 'sha256:p1');
      await ref('prune.example/lib@sha256:p2', 'sha256:p2');
      await ref('prune.example/lib:2', 'sha256:p2');
      await ref('prune.example/broken:1', null);
      await store.purgeConnectorData({ id: gone.id, name: gone.name });
      const pruned = await store.pruneUnclaimedImages();
      expect(pruned.references).toBeGreaterThanOrEqual(3);
      expect(pruned.scans).toBeGreaterThanOrEqual(1);
      expect(await store.getImageReference('prune.example/lib@sha256:p2')).toBeUndefined();
      expect(await store.getImageReference('prune.example/lib:2')).toBeUndefined();
      expect(await store.getImageReference('prune.example/broken:1')).toBeUndefined();
      expect(await store.getImageReference('prune.example/app@sha256:p1')).toBeDefined();
      expect(await store.getImageScan('sha256:p2')).toBeUndefined();
      expect(await store.getImageScan('sha256:p1')).toBeDefined();
      expect((await store.listImageVulnerabilities({ limit: 500 })).items.filter((v) => v.digest === 'sha256:p2')).toEqual([]);
      // Nothing more to forget: a second run removes nothing.
      expect(await store.pruneUnclaimedImages()).toEqual({ references: 0, scans: 0 });
      await store.purgeConnectorData({ id: keep.id, name: keep.name });
    });

    it('stores image scans per digest, their vulnerabilities and references, and orders images running and exposed first', async () => {
      const c = await store.createConnector({ kind: 'cluster', name: 'vuln-lab', config: {}, secrets: null });
      const at = '2026-04-01T00:00:00.000Z';
      const [web, api, lb, ing, svcInternal, imgA, imgB] = await store.upsertAssets(
        [
          { connectorId: c.id, type: 'workload', key: 'shop/Deployment/web', attributes: {} },
          { connectorId: c.id, type: 'workload', key: 'shop/Deployment/api', attributes: {} },
          { connectorId: c.id, type: 'service', key: 'shop/Service/web', attributes: { serviceType: 'ClusterIP' } },
          { connectorId: c.id, type: 'ingress', key: 'shop/Ingress/web', attributes: {} },
          { connectorId: c.id, type: 'service', key: 'shop/Service/api', attributes: { serviceType: 'ClusterIP' } },
          { connectorId: c.id, type: 'image', key: 'reg.example:5000/web:1', attributes: {} },
          { connectorId: c.id, type: 'image', key: 'reg.example:5000/api:1', attributes: {} },
        ],
        at,
      );
      await store.putRelations([
        { fromAsset: web.id, toAsset: imgA.id, kind: 'runs' },
        { fromAsset: api.id, toAsset: imgB.id, kind: 'runs' },
        // web is behind an Ingress (through a ClusterIP Service); api only behind a ClusterIP Service.
        { fromAsset: lb.id, toAsset: web.id, kind: 'exposes' },
        { fromAsset: ing.id, toAsset: lb.id, kind: 'routes-to' },
        { fromAsset: svcInternal.id, toAsset: api.id, kind: 'exposes' },
      ]);
      expect(await store.refreshImageExposure(c.id)).toBe(2);
      const scan = (digest: string, reference: string) => ({ digest, reference, platform: 'linux/amd64', os: { family: 'debian', version: '12.5' }, packages: [{ name: 'openssl', version: '3.0.11-1' }], layers: [{ digest: 'sha256:l1', index: 0 }], packageCount: 1, scannedAt: at, matchedAt: at, dbUpdatedAt: 'db-1' });
      const vuln = (digest: string, vulnId: string, severity: string, pkg = 'openssl', fixed: string | null = '3.0.13-1') => ({ digest, vulnId, package: pkg, installedVersion: '3.0.11-1', packagePath: '/var/lib/dpkg/status', ecosystem: 'debian', fixedVersion: fixed, status: fixed ? 'fixed' : 'affected', severity, title: `${vulnId} title`, aliases: [], primaryUrl: null, layer: { digest: 'sha256:l1', index: 0, createdBy: 'ADD rootfs /' } });
      await store.putImageScan(scan('sha256:aaa', 'reg.example:5000/web:1'), [vuln('sha256:aaa', 'CVE-1', 'low'), vuln('sha256:aaa', 'CVE-2', 'high', 'zlib', null)]);
      await store.putImageScan(scan('sha256:bbb', 'reg.example:5000/api:1'), [vuln('sha256:bbb', 'CVE-2', 'high', 'zlib', null), vuln('sha256:bbb', 'CVE-3', 'critical')]);
      await store.putImageScan(scan('sha256:ccc', 'reg.example:5000/batch:1'), [vuln('sha256:ccc', 'CVE-3', 'critical'), vuln('sha256:ccc', 'CVE-4', 'critical'), vuln('sha256:ccc', 'CVE-4', 'critical')]);
      const ok = (reference: string, digest: string) => store.putImageReference({ reference, digest, status: 'ok', errorCode: null, error: null, attemptedAt: at, succeededAt: at });
      await ok('reg.example:5000/web:1', 'sha256:aaa');
      await ok('reg.example:5000/api:1', 'sha256:bbb');
      await ok('reg.example:5000/batch:1', 'sha256:ccc');
      await store.putImageReference({ reference: 'unreachable.example/app:1', digest: null, status: 'error', errorCode: 'E_IMAGE_NETWORK', error: 'registry unreachable.example unreachable', attemptedAt: at, succeededAt: null });

      expect((await store.getImageScan('sha256:ccc'))?.packageCount).toBe(1);
      expect(await store.getImageScan('sha256:zzz')).toBeUndefined();
      // A duplicate row (same package, version, file) is stored once.
      expect((await store.listImageVulnerabilities({ image: 'sha256:ccc' })).items.map((v) => v.vulnId)).toEqual(['CVE-3', 'CVE-4']);

      const images = (await store.listVulnerableImages()).items;
      // Exposed first (web, even with fewer critical findings), then running (api), then by severity, then the failed reference.
      expect(images.map((i) => i.image)).toEqual(['sha256:aaa', 'sha256:bbb', 'sha256:ccc', 'unreachable.example/app:1']);
      expect(images[0]).toMatchObject({ digest: 'sha256:aaa', running: true, exposed: true, workloads: 1, total: 2, fixable: 1, counts: { critical: 0, high: 1, medium: 0, low: 1, info: 0 }, packageCount: 1, scannedAt: at });
      expect(images[0].references.map((r) => r.reference)).toEqual(['reg.example:5000/web:1']);
      expect(images[1]).toMatchObject({ running: true, exposed: false });
      expect(images[2]).toMatchObject({ running: false, exposed: false, counts: { critical: 2 } });
      expect(images[3]).toMatchObject({ digest: null, total: 0, scannedAt: null, references: [{ status: 'error', errorCode: 'E_IMAGE_NETWORK', error: 'registry unreachable.example unreachable' }] });

      const ids = async (q: Parameters<Store['listVulnerableImages']>[0]) => (await store.listVulnerableImages(q)).items.map((i) => i.image);
      expect(await ids({ running: true })).toEqual(['sha256:aaa', 'sha256:bbb']);
      expect(await ids({ exposed: true })).toEqual(['sha256:aaa']);
      expect(await ids({ severity: 'critical' })).toEqual(['sha256:bbb', 'sha256:ccc']);
      expect(await ids({ vulnId: 'CVE-2' })).toEqual(['sha256:aaa', 'sha256:bbb']);
      expect(await ids({ image: 'reg.example:5000/api:1' })).toEqual(['sha256:bbb']);
      expect(await ids({ connectorId: c.id })).toEqual(['sha256:aaa', 'sha256:bbb']);
      expect(await ids({ connectorIds: [c.id, 'other'] })).toEqual(['sha256:aaa', 'sha256:bbb']);
      expect(await ids({ connectorIds: [] })).toEqual([]);
      expect(await ids({ fixable: true, running: true })).toEqual(['sha256:aaa', 'sha256:bbb']);
      const p1 = await store.listVulnerableImages({ limit: 2 });
      expect(p1.next).toBe('2');
      const p2 = await store.listVulnerableImages({ limit: 2, cursor: p1.next });
      expect(p2.items.map((i) => i.image)).toEqual(['sha256:ccc', 'unreachable.example/app:1']);
      expect(p2.next).toBeUndefined();

      const cves = (await store.summarizeVulnerabilities()).items;
      // CVE-1 and CVE-2 are in the exposed image; CVE-2 also in a running one; CVE-4 only in an image nothing runs.
      expect(cves.map((v) => v.vulnId)).toEqual(['CVE-2', 'CVE-1', 'CVE-3', 'CVE-4']);
      expect(cves[0]).toMatchObject({ severity: 'high', images: 2, runningImages: 2, exposedImages: 1, packages: ['zlib'], fixedVersions: [] });
      expect(cves[2]).toMatchObject({ severity: 'critical', images: 2, runningImages: 1, exposedImages: 0, fixedVersions: ['3.0.13-1'] });
      expect((await store.summarizeVulnerabilities({ severity: 'critical', running: true })).items.map((v) => v.vulnId)).toEqual(['CVE-3']);

      const rows = (await store.listImageVulnerabilities({ vulnId: 'CVE-3' })).items;
      expect(rows.map((r) => r.digest)).toEqual(['sha256:bbb', 'sha256:ccc']);
      expect(rows[0]).toMatchObject({ package: 'openssl', installedVersion: '3.0.11-1', fixedVersion: '3.0.13-1', severity: 'critical', layer: { digest: 'sha256:l1', index: 0, createdBy: 'ADD rootfs /' } });

      // A new database: images matched against another one are listed, and matching again replaces their rows.
      expect(await store.listImageScanDigests({ notMatchedAt: 'db-1' })).toEqual([]);
      expect((await store.listImageScanDigests({ notMatchedAt: 'db-2' })).sort()).toEqual(['sha256:aaa', 'sha256:bbb', 'sha256:ccc']);
      expect(await store.rematchImage('sha256:ccc', [vuln('sha256:ccc', 'CVE-5', 'medium')], '2026-04-02T00:00:00Z', 'db-2')).toBe(true);
      expect(await store.rematchImage('sha256:nope', [], '2026-04-02T00:00:00Z', 'db-2')).toBe(false);
      expect((await store.listImageVulnerabilities({ image: 'sha256:ccc' })).items.map((v) => v.vulnId)).toEqual(['CVE-5']);
      expect(await store.getImageScan('sha256:ccc')).toMatchObject({ matchedAt: '2026-04-02T00:00:00.000Z', dbUpdatedAt: 'db-2', scannedAt: at });
      expect((await store.listImageScanDigests({ notMatchedAt: 'db-2' })).sort()).toEqual(['sha256:aaa', 'sha256:bbb']);

      // A failed attempt keeps the digest of the last success.
      await store.putImageReference({ reference: 'reg.example:5000/web:1', digest: null, status: 'error', errorCode: 'E_IMAGE_AUTH', error: 'refused', attemptedAt: '2026-04-03T00:00:00Z', succeededAt: null });
      expect(await store.getImageReference('reg.example:5000/web:1')).toEqual({ reference: 'reg.example:5000/web:1', digest: 'sha256:aaa', status: 'error', errorCode: 'E_IMAGE_AUTH', error: 'refused', attemptedAt: '2026-04-03T00:00:00.000Z', succeededAt: at });
      expect((await store.listImageReferences({ status: 'error' })).map((r) => r.reference)).toEqual(['reg.example:5000/web:1', 'unreachable.example/app:1']);
      expect((await store.listImageReferences({ digest: 'sha256:bbb' })).map((r) => r.reference)).toEqual(['reg.example:5000/api:1']);

      // Exposure follows the inventory: the connector deleted, its exposure goes with it; another runs web in a pod behind a NodePort.
      await store.transaction(async (tx) => {
        await tx.deleteConnector(c.id);
        const again = await tx.createConnector({ kind: 'cluster', name: 'vuln-lab-2', config: {}, secrets: null });
        const [w2, i2, s2] = await tx.upsertAssets(
          [
            { connectorId: again.id, type: 'pod', key: 'shop/Pod/web-1', attributes: {} },
            { connectorId: again.id, type: 'image', key: 'reg.example:5000/web:1', attributes: {} },
            { connectorId: again.id, type: 'service', key: 'shop/Service/web', attributes: { serviceType: 'NodePort' } },
          ],
          at,
        );
        await tx.putRelations([
          { fromAsset: w2.id, toAsset: i2.id, kind: 'runs' },
          { fromAsset: s2.id, toAsset: w2.id, kind: 'exposes' },
        ]);
        expect(await tx.refreshImageExposure(again.id)).toBe(1);
      });
      expect((await store.listVulnerableImages({ running: true })).items.map((i) => [i.image, i.exposed])).toEqual([['sha256:aaa', true]]);
    });

    it('keeps role bindings per subject and connector, replaces a role in place, and drops them with their connector', async () => {
      const u = await store.createUser({ username: 'scoped', role: 'reader', passwordHash: 'h' });
      expect(u.globalAccess).toBe(true);
      const t = await store.createApiToken({ id: 'tok-1', name: 'ci', prefix: 'pal_abcdefgh', tokenHash: 'th', role: 'reader', userId: u.id, expiresAt: null, globalAccess: false });
      expect(t.globalAccess).toBe(false);
      const a = await store.createConnector({ kind: 'cluster', name: 'a', config: {}, secrets: null });
      const b = await store.createConnector({ kind: 'cluster', name: 'b', config: {}, secrets: null });
      const first = await store.putRoleBinding({ subjectKind: 'user', subjectId: u.id, connectorId: a.id, role: 'reader', createdBy: 'system' });
      const again = await store.putRoleBinding({ subjectKind: 'user', subjectId: u.id, connectorId: a.id, role: 'contributor', createdBy: 'user:admin' });
      expect(again).toMatchObject({ id: first.id, role: 'contributor', createdBy: 'user:admin' });
      await store.putRoleBinding({ subjectKind: 'token', subjectId: t.id, connectorId: b.id, role: 'owner', createdBy: 'system' });
      expect(await store.getRoleBinding(first.id)).toEqual(again);
      expect((await store.listRoleBindings({ subjects: [{ kind: 'user', id: u.id }] })).map((x) => x.role)).toEqual(['contributor']);
      expect(await store.listRoleBindings({ subjects: [] })).toEqual([]);
      expect((await store.listRoleBindings({ subjects: [{ kind: 'user', id: u.id }, { kind: 'token', id: t.id }] })).length).toBe(2);
      expect((await store.listRoleBindings({ connectorId: b.id })).map((x) => x.subjectKind)).toEqual(['token']);
      expect(await store.setGlobalAccess({ kind: 'user', id: u.id }, false)).toBe(true);
      expect(await store.getUser(u.id)).toMatchObject({ globalAccess: false, role: 'reader' });
      expect(await store.setGlobalAccess({ kind: 'token', id: t.id }, true, 'contributor')).toBe(true);
      expect(await store.getApiToken(t.id)).toMatchObject({ globalAccess: true, role: 'contributor' });
      expect(await store.setGlobalAccess({ kind: 'user', id: 'nobody' }, true)).toBe(false);
      await store.deleteConnector(b.id);
      expect(await store.listRoleBindings()).toHaveLength(1);
      expect(await store.deleteRoleBinding(first.id)).toBe(true);
      expect(await store.deleteRoleBinding(first.id)).toBe(false);
    });

    it('filters assets, findings and their summary to a set of connectors, and writes a token use only when the last is older', async () => {
      const a = await store.createConnector({ kind: 'cluster', name: 'a', config: {}, secrets: null });
      const b = await store.createConnector({ kind: 'cluster', name: 'b', config: {}, secrets: null });
      const at = new Date().toISOString();
      const [xa, xb] = await store.upsertAssets([{ connectorId: a.id, type: 'pod', key: 'ns/Pod/x', attributes: {} }, { connectorId: b.id, type: 'pod', key: 'ns/Pod/x', attributes: {} }], at);
      await store.upsertFindings([{ assetId: xa.id, checkId: 'C1', severity: 'high', path: 'p', message: 'm' }, { assetId: xb.id, checkId: 'C2', severity: 'low', path: 'p', message: 'm' }], at);
      expect((await store.listAssets({ connectorIds: [a.id] })).items.map((x) => x.id)).toEqual([xa.id]);
      expect((await store.listAssets({ connectorIds: [] })).items).toEqual([]);
      expect((await store.listAssets({ connectorIds: [a.id, b.id] })).items).toHaveLength(2);
      expect((await store.listFindings({ connectorIds: [b.id] })).items.map((f) => f.checkId)).toEqual(['C2']);
      expect((await store.summarizeFindings({ connectorIds: [a.id] })).map((s) => s.checkId)).toEqual(['C1']);
      const u = await store.createUser({ username: 'tok-user', role: 'reader', passwordHash: 'h' });
      await store.createApiToken({ id: 'tok-2', name: 'x', prefix: 'pal_zzzzzzzz', tokenHash: 'th2', role: 'reader', userId: u.id, expiresAt: null });
      await store.touchApiToken('tok-2', '2026-01-01T00:00:00.000Z', '2025-12-31T23:59:00.000Z');
      await store.touchApiToken('tok-2', '2026-01-01T00:00:30.000Z', '2025-12-31T23:59:30.000Z');
      expect((await store.getApiToken('tok-2'))!.lastUsedAt).toBe('2026-01-01T00:00:00.000Z');
      await store.touchApiToken('tok-2', '2026-01-01T00:01:30.000Z', '2026-01-01T00:00:30.000Z');
      expect((await store.getApiToken('tok-2'))!.lastUsedAt).toBe('2026-01-01T00:01:30.000Z');
    });

    it('counts assets by type and by kind, and lists which assets fail which checks, per connector', async () => {
      const a = await store.createConnector({ kind: 'cluster', name: 'a', config: {}, secrets: null });
      const b = await store.createConnector({ kind: 'cluster', name: 'b', config: {}, secrets: null });
      const at = new Date().toISOString();
      const [web, api, pod, , other] = await store.upsertAssets(
        [
          { connectorId: a.id, type: 'workload', key: 'shop/Deployment/web', attributes: { kind: 'Deployment' } },
          { connectorId: a.id, type: 'workload', key: 'shop/Deployment/api', attributes: { kind: 'Deployment' } },
          { connectorId: a.id, type: 'pod', key: 'shop/Pod/p', attributes: { kind: 'Pod' } },
          { connectorId: a.id, type: 'image', key: 'nginx:1', attributes: { reference: 'nginx:1' } },
          { connectorId: b.id, type: 'workload', key: 'ops/DaemonSet/agent', attributes: { kind: 'DaemonSet' } },
        ],
        at,
      );
      expect(await store.countAssets({ by: 'type' })).toEqual([
        { value: 'workload', count: 3 },
        { value: 'image', count: 1 },
        { value: 'pod', count: 1 },
      ]);
      expect(await store.countAssets({ by: 'kind', connectorId: a.id })).toEqual([
        { value: 'Deployment', count: 2 },
        { value: 'Pod', count: 1 },
      ]);
      expect(await store.countAssets({ by: 'kind', connectorIds: [b.id] })).toEqual([{ value: 'DaemonSet', count: 1 }]);
      expect(await store.countAssets({ by: 'type', connectorIds: [] })).toEqual([]);
      // Two findings of C1 on web (two fields): one pair.
      const fails = [[web, 'C1', 'spec.a'], [web, 'C1', 'spec.b'], [api, 'C2', 'p'], [pod, 'C1', 'p'], [other, 'C1', 'p']] as const;
      await store.upsertFindings(fails.map(([asset, checkId, path]) => ({ assetId: asset.id, checkId, severity: 'high', path, message: 'm' })), at);
      const pairs = (q?: Parameters<Store['listFindingAssets']>[0]) => store.listFindingAssets(q).then((l) => l.map((x) => `${x.checkId}:${x.assetId}`).sort());
      expect(await pairs()).toEqual([`C1:${web.id}`, `C1:${pod.id}`, `C1:${other.id}`, `C2:${api.id}`].sort());
      expect(await pairs({ checkIds: ['C2', 'C9'] })).toEqual([`C2:${api.id}`]);
      expect(await pairs({ checkIds: ['C1'], connectorId: b.id })).toEqual([`C1:${other.id}`]);
      expect(await pairs({ connectorIds: [a.id] })).toEqual([`C1:${web.id}`, `C1:${pod.id}`, `C2:${api.id}`].sort());
      expect(await pairs({ checkIds: [] })).toEqual([]);
    });

    it('keeps the per-check totals equal to a fresh count of the findings through syncs, exemptions, deletion and purge', async () => {
      const a = await store.createConnector({ kind: 'cluster', name: 'a', config: {}, secrets: null });
      const b = await store.createConnector({ kind: 'cluster', name: 'b', config: {}, secrets: null });
      const [web, api, other, loose] = await store.upsertAssets(
        [
          { connectorId: a.id, type: 'workload', key: 'shop/Deployment/web', attributes: {} },
          { connectorId: a.id, type: 'workload', key: 'shop/Deployment/api', attributes: {} },
          { connectorId: b.id, type: 'workload', key: 'ops/DaemonSet/agent', attributes: {} },
          { connectorId: null, type: 'workload', key: 'local/Deployment/x', attributes: {} },
        ],
        '2026-01-01T00:00:00Z',
      );
      expect((await store.getAssets([web.id, 'nope', api.id, web.id])).sort((x, y) => x.id.localeCompare(y.id))).toEqual([web, api].sort((x, y) => x.id.localeCompare(y.id)));
      expect(await store.getAssets([])).toEqual([]);
      type NewFinding = Parameters<Store['upsertFindings']>[0][number];
      // What a sync writes: the findings of this assessment, then the connector's older ones pruned, together.
      const sync = (connectorId: string, at: string, findings: NewFinding[]) =>
        store.transaction(async (tx) => {
          await tx.upsertFindings(findings, at);
          await tx.pruneFindings(connectorId, at);
        });
      const f = (assetId: string, checkId: string, severity: string, path = 'spec.p'): NewFinding => ({ assetId, checkId, severity, path, message: 'm' });
      const rank = ['info', 'low', 'medium', 'high', 'critical'];
      // The totals counted afresh from every finding, as the recommendations were counted before they were kept.
      const fresh = async (connectorIds?: ReadonlyArray<string | null>) => {
        const all = [];
        for (let cursor: string | undefined, first = true; first || cursor; first = false) {
          const p = await store.listFindings({ limit: 1000, cursor });
          all.push(...p.items);
          cursor = p.next;
        }
        const out = new Map<string, { checkId: string; severity: string; assets: Set<string>; findings: number; lastSeen: string }>();
        for (const x of all) {
          const owner = (await store.getAsset(x.assetId))!.connectorId;
          if (connectorIds && !connectorIds.includes(owner)) continue;
          const cur = out.get(x.checkId) ?? { checkId: x.checkId, severity: x.severity, assets: new Set<string>(), findings: 0, lastSeen: x.lastSeen };
          if (rank.indexOf(x.severity) > rank.indexOf(cur.severity)) cur.severity = x.severity;
          cur.assets.add(x.assetId);
          cur.findings++;
          if (x.lastSeen > cur.lastSeen) cur.lastSeen = x.lastSeen;
          out.set(x.checkId, cur);
        }
        return [...out.values()].map((x) => ({ ...x, assets: x.assets.size })).sort((p, q) => p.checkId.localeCompare(q.checkId));
      };
      const agrees = async () => {
        expect(await store.summarizeChecks()).toEqual(await fresh());
        for (const c of [a.id, b.id]) expect(await store.summarizeChecks({ connectorId: c })).toEqual(await fresh([c]));
        expect(await store.summarizeChecks({ connectorIds: [a.id, b.id] })).toEqual(await fresh([a.id, b.id]));
      };

      await sync(a.id, '2026-01-01T00:00:00Z', [f(web.id, 'C1', 'high'), f(web.id, 'C1', 'high', 'spec.q'), f(api.id, 'C1', 'medium'), f(api.id, 'C2', 'low')]);
      await sync(b.id, '2026-01-01T00:00:00Z', [f(other.id, 'C1', 'low')]);
      await store.upsertFindings([f(loose.id, 'C2', 'info')], '2026-01-01T00:00:00Z');
      await agrees();
      expect(await store.summarizeChecks()).toEqual([
        { checkId: 'C1', severity: 'high', assets: 3, findings: 4, lastSeen: '2026-01-01T00:00:00.000Z' },
        { checkId: 'C2', severity: 'low', assets: 2, findings: 2, lastSeen: '2026-01-01T00:00:00.000Z' },
      ]);
      expect(await store.summarizeChecks({ checkId: 'C2', connectorIds: [b.id] })).toEqual([]);

      // Added (C3), changed (C1 now critical on web, one path gone) and removed (C2 of a) findings.
      await sync(a.id, '2026-01-02T00:00:00Z', [f(web.id, 'C1', 'critical'), f(api.id, 'C1', 'medium'), f(api.id, 'C3', 'medium')]);
      await agrees();
      expect(await store.summarizeChecks({ connectorId: a.id })).toEqual([
        { checkId: 'C1', severity: 'critical', assets: 2, findings: 2, lastSeen: '2026-01-02T00:00:00.000Z' },
        { checkId: 'C3', severity: 'medium', assets: 1, findings: 1, lastSeen: '2026-01-02T00:00:00.000Z' },
      ]);
      // A sync that fails half-way leaves findings and totals as they were.
      await expect(
        store.transaction(async (tx) => {
          await tx.upsertFindings([f(web.id, 'C9', 'critical')], '2026-01-03T00:00:00Z');
          await tx.pruneFindings(a.id, '2026-01-03T00:00:00Z');
          throw new Error('snapshot failed');
        }),
      ).rejects.toThrow('snapshot failed');
      await agrees();
      expect((await store.summarizeChecks()).map((x) => x.checkId)).toEqual(['C1', 'C2', 'C3']);

      // An exemption changes no stored finding by itself; the next sync leaves out what it covers.
      const ex = await store.createExemption({ scope: `connector:${a.id}`, checkId: 'C1', reason: 'accepted', owner: 'ops', expiresAt: null, createdBy: 'alice' });
      await agrees();
      await sync(a.id, '2026-01-04T00:00:00Z', [f(api.id, 'C3', 'medium')]);
      await agrees();
      expect(await store.summarizeChecks({ checkId: 'C1' })).toEqual([{ checkId: 'C1', severity: 'low', assets: 1, findings: 1, lastSeen: '2026-01-01T00:00:00.000Z' }]);
      expect(await store.deleteExemption(ex.id)).toBe(true);
      await sync(a.id, '2026-01-05T00:00:00Z', [f(web.id, 'C1', 'high'), f(api.id, 'C3', 'medium')]);
      await agrees();

      // A connector deleted takes its totals along; a purged one too.
      expect(await store.deleteConnector(b.id)).toBe(true);
      await agrees();
      expect(await store.summarizeChecks({ connectorId: b.id })).toEqual([]);
      await store.purgeConnectorData({ id: a.id, name: a.name });
      await agrees();
      expect(await store.summarizeChecks()).toEqual([{ checkId: 'C2', severity: 'info', assets: 1, findings: 1, lastSeen: '2026-01-01T00:00:00.000Z' }]);
    });

    it('keeps the unfiltered by-CVE view equal to a fresh count through scans, re-matches, references, syncs and connector deletion', async () => {
      const at = '2026-04-01T00:00:00.000Z';
      const c = await store.createConnector({ kind: 'cluster', name: 'cve-lab', config: {}, secrets: null });
      const [web, img] = await store.upsertAssets(
        [
          { connectorId: c.id, type: 'workload', key: 'shop/Deployment/web', attributes: {} },
          { connectorId: c.id, type: 'image', key: 'reg.example/web:1', attributes: {} },
          { connectorId: c.id, type: 'service', key: 'shop/Service/web', attributes: { serviceType: 'LoadBalancer' } },
        ],
        at,
      );
      const scan = (digest: string, reference: string) => ({ digest, reference, platform: null, os: null, packages: [], layers: [], packageCount: 0, scannedAt: at, matchedAt: at, dbUpdatedAt: null });
      const vuln = (digest: string, vulnId: string, severity: string) => ({ digest, vulnId, package: 'zlib', installedVersion: '1', packagePath: '', ecosystem: 'debian', fixedVersion: null, status: 'affected', severity, title: vulnId, aliases: [], primaryUrl: null, layer: null });
      // Every severity is known, so `severity: 'info'` filters nothing and counts afresh from the rows.
      const agrees = async () => {
        const kept = await store.summarizeVulnerabilities({ limit: 1000 });
        expect(kept).toEqual(await store.summarizeVulnerabilities({ severity: 'info', limit: 1000 }));
        return kept.items.map((v) => `${v.vulnId} ${v.severity} ${v.images}/${v.runningImages}/${v.exposedImages}`);
      };
      expect(await agrees()).toEqual([]);
      await store.putImageScan(scan('sha256:a', 'reg.example/web:1'), [vuln('sha256:a', 'CVE-1', 'low'), vuln('sha256:a', 'CVE-2', 'high')]);
      await store.putImageScan(scan('sha256:b', 'reg.example/batch:1'), [vuln('sha256:b', 'CVE-2', 'high')]);
      await store.putImageReference({ reference: 'reg.example/web:1', digest: 'sha256:a', status: 'ok', errorCode: null, error: null, attemptedAt: at, succeededAt: at });
      expect(await agrees()).toEqual(['CVE-2 high 1/0/0', 'CVE-1 low 1/0/0']);
      await store.putImageReference({ reference: 'reg.example/batch:1', digest: 'sha256:b', status: 'ok', errorCode: null, error: null, attemptedAt: at, succeededAt: at });
      expect(await agrees()).toEqual(['CVE-2 high 2/0/0', 'CVE-1 low 1/0/0']);
      // A sync: web runs the image behind a LoadBalancer.
      await store.putRelations([
        { fromAsset: web.id, toAsset: img.id, kind: 'runs' },
        { fromAsset: (await store.listAssets({ type: 'service' })).items[0].id, toAsset: web.id, kind: 'exposes' },
      ]);
      await store.refreshImageExposure(c.id);
      expect(await agrees()).toEqual(['CVE-2 high 2/1/1', 'CVE-1 low 1/1/1']);
      expect(await store.rematchImage('sha256:b', [vuln('sha256:b', 'CVE-3', 'critical')], at, 'db-2')).toBe(true);
      expect(await agrees()).toEqual(['CVE-2 high 1/1/1', 'CVE-1 low 1/1/1', 'CVE-3 critical 1/0/0']);
      // A failed attempt keeps the digest: nothing changes; the connector deleted, its exposure goes (a cascade).
      await store.putImageReference({ reference: 'reg.example/web:1', digest: null, status: 'error', errorCode: 'E_IMAGE_AUTH', error: 'refused', attemptedAt: at, succeededAt: null });
      expect(await agrees()).toEqual(['CVE-2 high 1/1/1', 'CVE-1 low 1/1/1', 'CVE-3 critical 1/0/0']);
      expect(await store.deleteConnector(c.id)).toBe(true);
      expect(await agrees()).toEqual(['CVE-3 critical 1/0/0', 'CVE-2 high 1/0/0', 'CVE-1 low 1/0/0']);
      // Several readers finding it stale at once: one recomputes, all answer the same.
      await store.putImageScan(scan('sha256:c', 'reg.example/c:1'), [vuln('sha256:c', 'CVE-1', 'low')]);
      await store.putImageReference({ reference: 'reg.example/c:1', digest: 'sha256:c', status: 'ok', errorCode: null, error: null, attemptedAt: at, succeededAt: at });
      const reader = open();
      others.push(reader);
      const pages = await Promise.all([store.summarizeVulnerabilities(), reader.summarizeVulnerabilities(), store.summarizeVulnerabilities(), reader.summarizeVulnerabilities()]);
      for (const p of pages) expect(p).toEqual(pages[0]);
      expect(await agrees()).toEqual(['CVE-3 critical 1/0/0', 'CVE-2 high 1/0/0', 'CVE-1 low 2/0/0']);
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
