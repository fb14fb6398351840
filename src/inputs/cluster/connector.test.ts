import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startFakeKubeApiServer, type FakeKubeApiServer, type FakeKubeOptions } from '../../../test/helpers/fake-kube-apiserver.js';
import { ClusterConnector, ClusterMirror, type ClusterChange, type ClusterScope } from './connector.js';
import { CLUSTER_KINDS } from './kinds.js';

let server: FakeKubeApiServer;
let dir: string;

async function connect(scope: ClusterScope = {}, opts: FakeKubeOptions = {}): Promise<ClusterConnector> {
  server = await startFakeKubeApiServer(opts);
  writeFileSync(join(dir, 'kubeconfig'), server.kubeconfig('lab'));
  return ClusterConnector.open({ kubeconfig: join(dir, 'kubeconfig') }, scope);
}

/** Resolves when `cond` holds, checking after every change the mirror reports. */
function until(changes: ClusterChange[], cond: () => boolean): Promise<void> {
  return new Promise((resolve) => {
    const tick = () => (cond() ? resolve() : setImmediate(tick));
    tick();
  });
}

const kind = (k: string) => CLUSTER_KINDS.find((x) => x.kind === k)!;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'palisade-cluster-'));
});
afterEach(async () => {
  await server?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('ClusterConnector.snapshot', () => {
  it('lists every kind across pages and gives resources the scanner reads', async () => {
    const c = await connect({ pageSize: 2 });
    const snap = await c.snapshot();
    expect(snap.errors).toEqual([]);
    expect(snap.context).toBe('lab');
    const pods = snap.resources.filter((r) => r.kind === 'Pod');
    expect(pods.map((p) => p.name).sort()).toEqual(server.list('Pod').map((p) => p.metadata.name).sort());
    // Four pods at two a page: the second page was asked for with the first page's continue token.
    const podLists = server.requests.filter((r) => r.path === '/api/v1/pods');
    expect(podLists.length).toBe(2);
    expect(podLists[0]!.query.limit).toBe('2');
    expect(podLists[1]!.query.continue).toBeTruthy();
    const pod = pods[0]!;
    expect(pod.apiVersion).toBe('v1');
    expect(pod.object.kind).toBe('Pod');
    expect(pod.object.metadata.managedFields).toBeUndefined();
    expect(pod.object.metadata.resourceVersion).toBeUndefined();
    expect(pod.object.status).toBeUndefined();
    expect(pod.source.file).toMatch(/^cluster:\/\/lab\/namespaces\/(payments|storefront)\/pods\//);
    const node = snap.resources.find((r) => r.kind === 'Node')!;
    expect(node.source.file).toBe('cluster://lab/nodes/node-a');
    expect(Object.keys(node.object.status as object).sort()).toEqual(['addresses', 'nodeInfo']);
    // Lines are counted in the object's YAML.
    const deploy = snap.resources.find((r) => r.kind === 'Deployment' && r.name === 'web')!;
    const loc = deploy.source.locate(['spec', 'template', 'spec', 'containers', 0, 'securityContext', 'privileged']);
    expect(loc.line).toBeGreaterThan(5);
    expect(loc.file).toBe('cluster://lab/namespaces/storefront/deployments/web');
  });

  it('starts the list again when a continue token expires (410 Gone)', async () => {
    const c = await connect({ pageSize: 3 });
    const http = c.http;
    let compacted = false;
    const original = http.request.bind(http);
    http.request = async (method, path, query, opts) => {
      // Compact between the first and second page of the first pod list.
      if (path === '/api/v1/pods' && query?.continue && !compacted) {
        compacted = true;
        server.compact();
      }
      return original(method, path, query, opts);
    };
    const listed = await c.listKind(kind('Pod'));
    expect(listed.items.length).toBe(4);
    const statuses = server.requests.filter((r) => r.path === '/api/v1/pods').map((r) => r.status);
    expect(statuses).toEqual([200, 410, 200, 200]);
  });

  it('reads ConfigMaps as metadata only, Secrets not at all, unless asked', async () => {
    const c = await connect();
    const snap = await c.snapshot();
    expect(snap.resources.some((r) => r.kind === 'Secret')).toBe(false);
    expect(server.requests.some((r) => r.path.includes('secrets'))).toBe(false);
    const cm = snap.resources.find((r) => r.kind === 'ConfigMap' && r.name === 'ledger-settings')!;
    expect(cm.object).toEqual({ apiVersion: 'v1', kind: 'ConfigMap', metadata: expect.objectContaining({ name: 'ledger-settings', namespace: 'payments' }) });
    expect(server.requests.find((r) => r.path === '/api/v1/configmaps')!.accept).toContain('as=PartialObjectMetadataList');
  });

  it('reads Secret metadata without values ever arriving, and drops the last-applied copy', async () => {
    const c = await connect({ features: ['secrets-metadata'] });
    const snap = await c.snapshot();
    const secrets = snap.resources.filter((r) => r.kind === 'Secret');
    expect(secrets.map((s) => s.name).sort()).toEqual(['ledger-db', 'shop-tls']);
    const text = JSON.stringify(secrets.map((s) => s.object));
    expect(text).not.toContain('c2VjcmV0LXZhbHVlLTQy');
    expect(text).not.toContain('secret-value-42');
    expect(secrets[0]!.object.data).toBeUndefined();
    expect(server.requests.find((r) => r.path === '/api/v1/secrets')!.accept).toContain('as=PartialObjectMetadataList');
  });

  it('reads Secret values only with secret-data', async () => {
    const c = await connect({ features: ['secret-data'] });
    const snap = await c.snapshot();
    const s = snap.resources.find((r) => r.kind === 'Secret' && r.name === 'ledger-db')!;
    expect(s.object.data).toEqual({ password: Buffer.from('secret-value-42').toString('base64') });
    expect(s.object.metadata.annotations).toBeUndefined();
  });

  it('leaves out excluded namespaces and labels, and lists per namespace when asked', async () => {
    let c = await connect({ excludeNamespaces: ['kube-*', 'monitoring'], excludeLabels: ['app=web'] });
    let snap = await c.snapshot();
    expect(snap.resources.some((r) => r.namespace === 'kube-system' || r.namespace === 'monitoring' || r.name === 'kube-system')).toBe(false);
    expect(snap.resources.some((r) => r.kind === 'Deployment' && r.name === 'web')).toBe(false);
    expect(snap.resources.some((r) => r.kind === 'Deployment' && r.name === 'ledger')).toBe(true);
    expect(snap.excluded).toBeGreaterThan(0);
    await server.close();
    c = await connect({ namespaces: ['payments'] });
    snap = await c.snapshot();
    expect(new Set(snap.resources.filter((r) => r.namespace).map((r) => r.namespace))).toEqual(new Set(['payments']));
    expect(server.requests.some((r) => r.path === '/apis/apps/v1/namespaces/payments/deployments')).toBe(true);
  });

  it('reports kinds it may not list and scans the rest', async () => {
    const c = await connect({}, { rules: [{ verbs: ['get', 'list', 'watch'], apiGroups: ['', 'apps'], resources: ['*'] }] });
    const snap = await c.snapshot();
    expect(snap.resources.some((r) => r.kind === 'Pod')).toBe(true);
    const forbidden = snap.errors.map((e) => e.file);
    expect(forbidden).toContain('cluster://lab/ingresses');
    expect(forbidden).toContain('cluster://lab/clusterroles');
    expect(snap.errors[0]!.message).toContain('palisade cluster preflight');
  });

  it('fails with a clear message on a bad token', async () => {
    const c = await connect();
    writeFileSync(join(dir, 'bad'), server.kubeconfig('lab').replace(server.token, 'wrong'));
    const bad = ClusterConnector.open({ kubeconfig: join(dir, 'bad') });
    await expect(bad.snapshot()).rejects.toThrow(/did not accept the credentials/);
    expect(c.context).toBe('lab');
  });

  it('names the known contexts when the asked one is missing', async () => {
    await connect();
    expect(() => ClusterConnector.open({ kubeconfig: join(dir, 'kubeconfig'), context: 'prod' })).toThrow(/context "prod" is not in the kubeconfig; known contexts: lab/);
  });
});

describe('ClusterMirror', () => {
  it('applies watch events, follows bookmarks and reconnects when the server closes the stream', async () => {
    const c = await connect();
    const mirror = new ClusterMirror(c, await c.snapshot());
    const changes: ClusterChange[] = [];
    const reconnects: string[] = [];
    await mirror.start({ onChange: (ch) => changes.push(ch), onReconnect: (k) => reconnects.push(k), retryDelayMs: 1 });
    await until(changes, () => server.openWatches === c.kinds.length);
    const watchReq = server.requests.find((r) => r.path === '/api/v1/pods' && r.query.watch)!;
    expect(watchReq.query.allowWatchBookmarks).toBe('true');
    expect(watchReq.query.resourceVersion).toBeTruthy();

    server.apply({ apiVersion: 'v1', kind: 'Service', metadata: { name: 'new', namespace: 'payments' }, spec: { type: 'NodePort', selector: { app: 'ledger' }, ports: [{ port: 80 }] } });
    server.remove('Deployment', 'web', 'storefront');
    const ns = server.list('Namespace').find((n) => n.metadata.name === 'payments')!;
    server.apply({ ...ns, metadata: { ...ns.metadata, labels: { ...(ns.metadata.labels as object), team: 'money' } } });
    await until(changes, () => changes.length === 3);
    expect(changes.map((ch) => `${ch.type} ${ch.resource.id}`)).toEqual(['ADDED Service/payments/new', 'DELETED Deployment/storefront/web', 'MODIFIED Namespace/payments']);
    const ids = mirror.resources().map((r) => r.id);
    expect(ids).toContain('Service/payments/new');
    expect(ids).not.toContain('Deployment/storefront/web');

    server.bookmark();
    const rv = server.resourceVersion;
    await until(changes, () => mirror.versions().get('pods.') === rv);

    server.closeWatches();
    await until(changes, () => reconnects.length >= c.kinds.length && server.openWatches === c.kinds.length);
    // The reconnection resumed from the bookmark's version.
    const resumed = server.requests.filter((r) => r.path === '/api/v1/pods' && r.query.watch).at(-1)!;
    expect(resumed.query.resourceVersion).toBe(rv);
    server.apply({ apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'late', namespace: 'payments' } });
    await until(changes, () => changes.length === 4);
    expect(changes[3]!.resource.id).toBe('ServiceAccount/payments/late');
    mirror.stop();
  });

  it('lists again after 410 Gone on a watch and applies the differences', async () => {
    const c = await connect();
    const mirror = new ClusterMirror(c, await c.snapshot());
    const changes: ClusterChange[] = [];
    const relisted: string[] = [];
    // Changes made while no watch runs, then history compacted: the watches' versions are gone.
    server.remove('Service', 'web', 'storefront');
    server.apply({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'api', namespace: 'payments' }, spec: { selector: { matchLabels: { app: 'api' } }, template: { metadata: { labels: { app: 'api' } }, spec: { containers: [{ name: 'api', image: 'api:1' }] } } } });
    server.compact();
    await mirror.start({ onChange: (ch) => changes.push(ch), onRelist: (k) => relisted.push(k), retryDelayMs: 1 });
    await until(changes, () => relisted.length === c.kinds.length && server.openWatches === c.kinds.length);
    expect(server.requests.some((r) => r.query.watch && r.status === 410)).toBe(true);
    expect(changes.map((ch) => `${ch.type} ${ch.resource.id}`).sort()).toEqual(['ADDED Deployment/payments/api', 'DELETED Service/storefront/web']);
    // Watching resumed from the new list's version: later events arrive.
    server.apply({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'later', namespace: 'payments' }, data: { a: 'b' } });
    await until(changes, () => changes.length === 3);
    expect(changes[2]!.resource.object).toEqual({ apiVersion: 'v1', kind: 'ConfigMap', metadata: expect.objectContaining({ name: 'later' }) });
    mirror.stop();
  });
});
