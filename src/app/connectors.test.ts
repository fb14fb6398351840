import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeKubeApiServer, type FakeKubeApiServer } from '../../test/helpers/fake-kube-apiserver.js';
import { postgresUnavailable, startPostgres, type RunningPostgres } from '../../test/helpers/postgres.js';
import { resourceId, type K8sObject, type Resource } from '../model/resource.js';
import { openPostgresStore } from '../storage/postgres/index.js';
import { openSqliteStore } from '../storage/sqlite/index.js';
import type { Store } from '../storage/store.js';
import { assetKey, assetType, imageAttributes, inventoryOf, listRecommendations, onboardCluster, syncConnector } from './connectors.js';
import { secretBox } from './secrets.js';

function res(object: K8sObject): Resource {
  const name = object.metadata.name as string;
  const namespace = object.metadata.namespace;
  return { id: resourceId(object.kind, name, namespace), apiVersion: object.apiVersion, kind: object.kind, name, namespace, object, source: { file: `cluster://t/${object.kind}/${name}` } } as unknown as Resource;
}

describe('inventoryOf', () => {
  const objects = [
    res({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'shop' } }),
    res({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web', namespace: 'shop' }, spec: { template: { metadata: { labels: { app: 'web', tier: 'f' } }, spec: { serviceAccountName: 'web', initContainers: [{ name: 'init', image: 'busybox:1.36' }], containers: [{ name: 'app', image: 'ghcr.io/acme/web:1.2@sha256:abc' }] } } } }),
    res({ apiVersion: 'batch/v1', kind: 'CronJob', metadata: { name: 'report', namespace: 'shop' }, spec: { jobTemplate: { spec: { template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'r', image: 'busybox:1.36' }] } } } } } }),
    res({ apiVersion: 'v1', kind: 'Service', metadata: { name: 'web', namespace: 'shop' }, spec: { selector: { app: 'web', tier: 'f' } } }),
    res({ apiVersion: 'v1', kind: 'Service', metadata: { name: 'other', namespace: 'elsewhere' }, spec: { selector: { app: 'web' } } }),
    res({ apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', metadata: { name: 'web', namespace: 'shop' }, spec: { rules: [{ http: { paths: [{ backend: { service: { name: 'web' } } }] } }] } }),
    res({ apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'web', namespace: 'shop' } }),
    res({ apiVersion: 'apps/v1', kind: 'ReplicaSet', metadata: { name: 'web-5d9', namespace: 'shop', ownerReferences: [{ apiVersion: 'apps/v1', kind: 'Deployment', name: 'web', controller: true }] }, spec: { template: { metadata: { labels: { app: 'web', tier: 'f' } }, spec: { containers: [{ name: 'app', image: 'ghcr.io/acme/web:1.2@sha256:abc' }] } } } }),
    res({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'web-5d9-x2', namespace: 'shop', labels: { app: 'web', tier: 'f' }, ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'web-5d9', controller: true }] }, spec: { containers: [{ name: 'app', image: 'ghcr.io/acme/web:1.2@sha256:abc' }] } }),
    res({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'orphan', namespace: 'shop', ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'gone', controller: true }] }, spec: { containers: [{ name: 'app', image: 'busybox:1.36' }] } }),
    res({ apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'Role', metadata: { name: 'reader', namespace: 'shop' } }),
    res({ apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'RoleBinding', metadata: { name: 'web-reads', namespace: 'shop' }, roleRef: { kind: 'Role', name: 'reader' }, subjects: [{ kind: 'ServiceAccount', name: 'web' }, { kind: 'ServiceAccount', name: 'ghost', namespace: 'x' }] }),
  ];
  const inv = inventoryOf('c1', { context: 't', server: 'https://k' }, objects);
  const key = (id: string) => id.split('\u0000')[1];
  const rels = inv.relations.map((r) => `${key(r.from)} ${r.kind} ${key(r.to)}`);

  it('makes an asset of every object, container and image, once each', () => {
    const byType = (t: string) => inv.assets.filter((a) => a.type === t).map((a) => a.key).sort();
    expect(byType('cluster')).toEqual(['Cluster/t']);
    expect(byType('workload')).toEqual(['shop/CronJob/report', 'shop/Deployment/web', 'shop/ReplicaSet/web-5d9']);
    expect(byType('container')).toEqual(['shop/CronJob/report/r', 'shop/Deployment/web/app', 'shop/Deployment/web/init', 'shop/Pod/orphan/app', 'shop/Pod/web-5d9-x2/app', 'shop/ReplicaSet/web-5d9/app']);
    expect(byType('image')).toEqual(['busybox:1.36', 'ghcr.io/acme/web:1.2@sha256:abc']);
    expect(inv.assets.every((a) => a.connectorId === 'c1')).toBe(true);
  });

  it('relates workloads to images, services to what they select in their namespace, bindings to roles and accounts', () => {
    expect(rels).toContain('shop/Deployment/web runs ghcr.io/acme/web:1.2@sha256:abc');
    expect(rels).toContain('shop/Deployment/web/init runs busybox:1.36');
    expect(rels).toContain('shop/Service/web exposes shop/Deployment/web');
    // The CronJob lacks the tier label; the other Service is in another namespace.
    expect(rels).not.toContain('shop/Service/web exposes shop/CronJob/report');
    expect(rels.filter((r) => r.startsWith('elsewhere/Service/other'))).toEqual([]);
    expect(rels).toContain('shop/Ingress/web routes-to shop/Service/web');
    expect(rels).toContain('shop/RoleBinding/web-reads grants shop/Role/reader');
    expect(rels).toContain('shop/RoleBinding/web-reads binds shop/ServiceAccount/web');
    expect(rels).toContain('shop/Deployment/web uses shop/ServiceAccount/web');
    expect(rels).toContain('Cluster/t contains shop/Namespace/shop');
    // Owners, from ownerReferences: the chain a pod's page follows back to its Deployment; an owner not in the
    // snapshot is left out.
    expect(rels).toContain('shop/Deployment/web owns shop/ReplicaSet/web-5d9');
    expect(rels).toContain('shop/ReplicaSet/web-5d9 owns shop/Pod/web-5d9-x2');
    expect(rels.filter((r) => r.endsWith('owns shop/Pod/orphan'))).toEqual([]);
    // Relations to objects not in the snapshot (the ghost account, the CronJob's default account) are left out.
    expect(rels.some((r) => r.includes('ghost') || r.includes('ServiceAccount/default'))).toBe(false);
  });
});

describe('asset naming', () => {
  it('names types and keys', () => {
    expect(assetType('StatefulSet')).toBe('workload');
    expect(assetType('ClusterRoleBinding')).toBe('role-binding');
    expect(assetType('ValidatingWebhookConfiguration')).toBe('validating-webhook-configuration');
    expect(assetKey('Node', 'n1')).toBe('Node/n1');
    expect(assetKey('Namespace', 'shop')).toBe('shop/Namespace/shop');
    expect(assetKey('Pod', 'p', 'shop')).toBe('shop/Pod/p');
  });

  it('splits image references', () => {
    expect(imageAttributes('nginx')).toEqual({ reference: 'nginx', repository: 'nginx', tag: 'latest', digest: null });
    expect(imageAttributes('localhost:5000/a/b:1.0')).toMatchObject({ repository: 'localhost:5000/a/b', tag: '1.0' });
    expect(imageAttributes('localhost:5000/a/b@sha256:ff')).toMatchObject({ repository: 'localhost:5000/a/b', tag: null, digest: 'sha256:ff' });
  });
});

describe('listRecommendations', () => {
  it('groups by check, takes the highest severity, orders by severity then assets affected', async () => {
    const store = openSqliteStore(':memory:');
    await store.migrate();
    const [a, b, c] = await store.upsertAssets(['a', 'b', 'c'].map((k) => ({ connectorId: null, type: 'workload', key: k, attributes: {} })), '2026-01-01T00:00:00Z');
    await store.upsertFindings(
      [
        { assetId: a.id, checkId: 'PAL-LOW', severity: 'low', path: 'p', message: 'm' },
        { assetId: b.id, checkId: 'PAL-LOW', severity: 'low', path: 'p', message: 'm' },
        { assetId: c.id, checkId: 'PAL-LOW', severity: 'low', path: 'p', message: 'm' },
        { assetId: a.id, checkId: 'PAL-MIX', severity: 'medium', path: 'p', message: 'm' },
        { assetId: b.id, checkId: 'PAL-MIX', severity: 'critical', path: 'q', message: 'm' },
        { assetId: a.id, checkId: 'PAL-HIGH', severity: 'high', path: 'p', message: 'm' },
      ],
      '2026-01-01T00:00:00Z',
    );
    const recs = await listRecommendations(store);
    expect(recs.map((r) => [r.checkId, r.severity, r.affected])).toEqual([
      ['PAL-MIX', 'critical', 2],
      ['PAL-HIGH', 'high', 1],
      ['PAL-LOW', 'low', 3],
    ]);
    expect((await listRecommendations(store, { severity: 'low' })).map((r) => r.checkId)).toEqual(['PAL-LOW']);
    await store.close();
  });
});

/** Onboards the fake cluster and syncs it twice: the same inventory and findings on either database. */
async function onboardAndSync(store: Store, kube: FakeKubeApiServer) {
  const box = secretBox(randomBytes(32));
  const actor = { name: 'system', role: 'owner' as const };
  const r = await onboardCluster(store, box, actor, { name: 'lab', kubeconfig: kube.kubeconfig('lab'), context: 'lab' });
  if (!r.saved) throw new Error('refused');
  const c = (await store.getConnector(r.connector.id))!;
  const first = await syncConnector(store, box, actor, c, { now: new Date('2026-03-01T00:00:00Z') });
  const second = await syncConnector(store, box, actor, (await store.getConnector(c.id))!, { now: new Date('2026-03-02T00:00:00Z') });
  const assets = (await store.listAssets({ connectorId: c.id, limit: 1000 })).items;
  return {
    first: { ...first, connectorId: 'x' },
    second: { ...second, connectorId: 'x' },
    assets: assets.map((a) => `${a.type} ${a.key} ${a.firstSeen} ${a.lastSeen}`).sort(),
    recommendations: (await listRecommendations(store)).map((x) => `${x.checkId} ${x.severity} ${x.affected} ${x.findings} ${x.lastSeen}`),
    scores: (await store.latestScores()).map((p) => `${p.scope.startsWith('connector:') ? 'connector' : p.scope} ${p.at} ${p.score}`),
  };
}

const pgSkip = postgresUnavailable();
describe.skipIf(Boolean(pgSkip))('syncConnector on SQLite and PostgreSQL', () => {
  let kube: FakeKubeApiServer;
  let pg: RunningPostgres;
  beforeAll(async () => {
    kube = await startFakeKubeApiServer();
    pg = await startPostgres();
  }, 60_000);
  afterAll(async () => {
    await kube?.close();
    await pg?.stop();
  });

  it('stores the same inventory, findings and scores in both', async () => {
    const lite = openSqliteStore(':memory:');
    const pgStore = openPostgresStore(await pg.createDatabase('connectors_sync'));
    try {
      for (const s of [lite, pgStore]) await s.migrate();
      const a = await onboardAndSync(lite, kube);
      const b = await onboardAndSync(pgStore, kube);
      expect(a.second.findings).toBeGreaterThan(10);
      expect(a.second.resolved).toBe(0);
      expect(a.assets.length).toBeGreaterThan(50);
      // Every asset was seen first on the first day and last on the second.
      expect(a.assets.every((x) => x.endsWith('2026-03-01T00:00:00.000Z 2026-03-02T00:00:00.000Z'))).toBe(true);
      expect(b).toEqual(a);
    } finally {
      await lite.close();
      await pgStore.close();
    }
  }, 60_000);
});
