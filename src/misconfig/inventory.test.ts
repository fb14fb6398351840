import { describe, expect, it } from 'vitest';
import { parseManifestText } from '../inputs/manifests/parse.js';
import { Inventory } from './inventory.js';

const text = `
apiVersion: v1
kind: Service
metadata: {name: a}
---
apiVersion: v1
kind: Service
metadata: {name: b, namespace: shop}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
spec:
  template:
    metadata: {labels: {app: web}}
    spec: {containers: [{name: c, image: x}]}
---
apiVersion: v1
kind: Service
metadata: {name: c, namespace: default}
---
apiVersion: v1
kind: Pod
metadata: {name: p}
spec: {containers: [{name: c, image: x}]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: r, namespace: ignored}
`;

describe('Inventory', () => {
  const inv = new Inventory(parseManifestText('i.yaml', text).resources);

  it('lists a kind by effective namespace, in input order', () => {
    expect(inv.inNamespace('Service', 'default').map((r) => r.name)).toEqual(['a', 'c']);
    expect(inv.inNamespace('Service', 'shop').map((r) => r.name)).toEqual(['b']);
    expect(inv.inNamespace('Service', 'other')).toEqual([]);
    // Cluster-scoped kinds have no namespace, whatever the manifest says.
    expect(inv.inNamespace('ClusterRole', undefined).map((r) => r.name)).toEqual(['r']);
    expect(inv.inNamespace('ClusterRole', 'ignored')).toEqual([]);
  });

  it('returns a new array each time, so callers may change it', () => {
    inv.inNamespace('Service', 'default').pop();
    expect(inv.inNamespace('Service', 'default')).toHaveLength(2);
  });

  it('lists the workloads of a namespace', () => {
    expect(inv.workloadsIn('shop').map((w) => w.resource.name)).toEqual(['web']);
    expect(inv.workloadsIn('default').map((w) => w.resource.name)).toEqual(['p']);
    expect(inv.workloadsIn('none')).toEqual([]);
  });

  it('computes a derived value once', () => {
    let calls = 0;
    const compute = () => ++calls;
    expect(inv.derive('n', compute)).toBe(1);
    expect(inv.derive('n', compute)).toBe(1);
    expect(calls).toBe(1);
  });
});
