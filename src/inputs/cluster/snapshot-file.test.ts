import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ClusterConnector } from './connector.js';
import { CLUSTER_KINDS } from './kinds.js';
import { SnapshotFile } from './snapshot-file.js';

const LIST = `apiVersion: v1
kind: List
items:
- apiVersion: v1
  kind: Namespace
  metadata: {name: web, resourceVersion: "10"}
- apiVersion: v1
  kind: Namespace
  metadata: {name: kube-system}
- apiVersion: apps/v1
  kind: Deployment
  metadata:
    name: app
    namespace: web
    managedFields: [{manager: kubectl}]
  spec:
    template:
      spec:
        containers: [{name: app, image: "nginx:1.25", securityContext: {privileged: true}}]
  status: {replicas: 1}
- apiVersion: v1
  kind: ConfigMap
  metadata: {name: settings, namespace: web}
  data: {password: hunter2}
- apiVersion: v1
  kind: Secret
  metadata: {name: db, namespace: web}
  data: {password: aHVudGVyMg==}
- apiVersion: v1
  kind: Pod
  metadata: {name: coredns-1, namespace: kube-system}
  spec: {containers: [{name: coredns, image: "registry.k8s.io/coredns/coredns:v1.11.1"}]}
- apiVersion: example.com/v1
  kind: Widget
  metadata: {name: w, namespace: web}
`;

describe('SnapshotFile', () => {
  const dir = mkdtempSync(join(tmpdir(), 'palisade-snapshot-'));
  const file = join(dir, 'cluster.yaml');
  writeFileSync(file, LIST);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('is read like a live cluster: normalised objects, scope exclusions, no Secret and no ConfigMap data by default', async () => {
    const snap = await new ClusterConnector(new SnapshotFile(file, 'lab'), { excludeNamespaces: ['kube-*'] }).snapshot();
    expect(snap.context).toBe('lab');
    expect(snap.server).toMatch(/^file:\/\/.*cluster\.yaml$/);
    expect(snap.resources.map((r) => `${r.kind}/${r.name}`).sort()).toEqual(['ConfigMap/settings', 'Deployment/app', 'Namespace/web']);
    expect(snap.excluded).toBe(2);
    const deploy = snap.resources.find((r) => r.kind === 'Deployment')!;
    expect(deploy.source.file).toBe('cluster://lab/namespaces/web/deployments/app');
    expect(deploy.object.status).toBeUndefined();
    expect((deploy.object.metadata as Record<string, unknown>).managedFields).toBeUndefined();
    expect(snap.resources.find((r) => r.kind === 'ConfigMap')!.object.data).toBeUndefined();
  });

  it('gives Secrets (as metadata) and ConfigMap data only when the scope asks for them', async () => {
    const snap = await new ClusterConnector(new SnapshotFile(file), { features: ['secrets-metadata', 'configmap-data'] }).snapshot();
    const secret = snap.resources.find((r) => r.kind === 'Secret')!;
    expect(secret.object.data).toBeUndefined();
    expect(snap.resources.find((r) => r.kind === 'ConfigMap')!.object.data).toEqual({ password: 'hunter2' });
  });

  it('answers single gets and namespaced lists, and cannot be watched', async () => {
    const c = new ClusterConnector(new SnapshotFile(file));
    const deployments = CLUSTER_KINDS.find((k) => k.kind === 'Deployment')!;
    expect((await c.get(deployments, 'app', 'web'))?.name).toBe('app');
    expect(await c.get(deployments, 'missing', 'web')).toBeUndefined();
    expect((await c.listKind(deployments, 'kube-system')).items).toEqual([]);
    expect(() => c.watchConfig(deployments)).toThrow(/snapshot/);
  });

  it('names the file when it cannot be read or parsed', async () => {
    await expect(new ClusterConnector(new SnapshotFile(join(dir, 'nope.yaml'))).snapshot()).rejects.toThrow(/nope\.yaml/);
    writeFileSync(join(dir, 'bad.yaml'), 'items: [\n');
    await expect(new ClusterConnector(new SnapshotFile(join(dir, 'bad.yaml'))).snapshot()).rejects.toMatchObject({ code: 'E_CLUSTER_CONFIG' });
  });
});
