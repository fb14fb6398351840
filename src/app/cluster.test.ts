import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import jsYaml from 'js-yaml';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startFakeKubeApiServer, type FakeKubeApiServer, type FakeRule } from '../../test/helpers/fake-kube-apiserver.js';
import { objectYaml } from '../inputs/cluster/index.js';
import type { Finding } from '../model/finding.js';
import { clusterPreflight, scanCluster } from './cluster.js';
import { parseConfig } from './config.js';
import { scanManifests } from './scan.js';

let server: FakeKubeApiServer;
let dir: string;
const now = new Date('2026-03-01T00:00:00Z');

async function start(rules?: FakeRule[]): Promise<string> {
  server = await startFakeKubeApiServer({ rules });
  const file = join(dir, 'kubeconfig');
  writeFileSync(file, server.kubeconfig('lab'));
  return file;
}

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'palisade-cluster-app-'));
});
afterEach(async () => {
  await server?.close();
  rmSync(dir, { recursive: true, force: true });
});

/** A finding without where it was found. */
const located = (f: Finding) => ({ ...f, location: undefined });

describe('scanCluster', () => {
  it('reports exactly what a scan of the same objects written as files reports', async () => {
    const kubeconfig = await start();
    // PAL-103 (Secret values written in a manifest file) judges files only, by design: left out of both.
    const config = parseConfig('checks:\n  disabled: [PAL-103]\n', 'palisade.yaml');
    const { report, snapshot } = await scanCluster({ access: { kubeconfig }, scope: { pageSize: 3, features: ['secrets-metadata'] }, config, now });
    expect(snapshot.errors).toEqual([]);
    // The same objects as files: one per object, as Palisade shows them.
    const files = join(dir, 'objects');
    const { mkdirSync } = await import('node:fs');
    mkdirSync(files);
    snapshot.resources.forEach((r, i) => writeFileSync(join(files, `${String(i).padStart(4, '0')}.yaml`), objectYaml(r.object)));
    const fromFiles = await scanManifests({ paths: [files], config, now, threads: { threads: 0 } });

    expect(report.summary.resources).toBe(fromFiles.summary.resources);
    expect(report.findings.length).toBeGreaterThan(10);
    expect(report.findings.map(located)).toEqual(fromFiles.findings.map(located));
    expect(report.checks).toEqual(fromFiles.checks);
    expect(report.score).toEqual(fromFiles.score);
    expect(report.frameworks).toEqual(fromFiles.frameworks);
    // Lines are those of the object's YAML: the same numbers as in the written files.
    const lines = (fs: Finding[]) => fs.map((f) => `${f.location.line}:${f.location.column}`);
    expect(lines(report.findings)).toEqual(lines(fromFiles.findings));
    const privileged = report.findings.find((f) => f.path.endsWith('securityContext.privileged'))!;
    expect(privileged.location.file).toBe('cluster://lab/namespaces/storefront/deployments/web');
    expect(report.inputs).toEqual(['cluster://lab']);
    // The pods of the careless Deployment are reported once, on the Deployment.
    expect(report.findings.some((f) => f.resource.kind === 'Pod' && f.resource.name.startsWith('web-'))).toBe(false);
    const all = await scanCluster({ access: { kubeconfig }, scope: { features: ['secret-data'] }, config: parseConfig('', 'palisade.yaml'), now });
    expect(all.report.checks.find((c) => c.id === 'PAL-103')!.applied).toBe(0);
  });

  it('puts kinds it may not read among the input errors and scans the rest', async () => {
    const kubeconfig = await start([{ verbs: ['list', 'watch', 'get'], apiGroups: ['', 'apps', 'batch'], resources: ['*'] }]);
    const { report } = await scanCluster({ access: { kubeconfig }, config: parseConfig('', 'palisade.yaml'), now });
    expect(report.errors.map((e) => e.code)).toContain('E_CLUSTER_FORBIDDEN');
    expect(report.errors.map((e) => e.file)).toContain('cluster://lab/clusterrolebindings');
    expect(report.findings.some((f) => f.resource.kind === 'Deployment')).toBe(true);
  });
});

describe('clusterPreflight', () => {
  it('passes with the grant it prints', async () => {
    const kubeconfig = await start();
    const first = await clusterPreflight({ kubeconfig });
    // Apply the printed ClusterRole's rules as the user's only rules: everything must then be allowed.
    const role = jsYaml.loadAll(first.grant)[0] as { rules: Array<{ apiGroups: string[]; resources: string[]; verbs: string[] }> };
    server.rules = role.rules;
    const again = await clusterPreflight({ kubeconfig });
    expect(again.ok).toBe(true);
    expect(again.missing).toEqual([]);
    expect(again.disagreements).toEqual([]);
    expect(again.checks.length).toBe(23 * 3);
    expect(again.grant).not.toContain('secrets');
    expect(again.extraGrants[0]!.yaml).toContain('resources: [secrets]');
  });

  it('reports each missing permission, from both reviews', async () => {
    const kubeconfig = await start([
      { verbs: ['get', 'list', 'watch'], apiGroups: ['', 'apps', 'batch', 'policy', 'autoscaling', 'admissionregistration.k8s.io', 'rbac.authorization.k8s.io'], resources: ['*'] },
      { verbs: ['list'], apiGroups: ['networking.k8s.io'], resources: ['ingresses', 'networkpolicies'] },
    ]);
    const r = await clusterPreflight({ kubeconfig }, { features: ['secrets-metadata'] });
    expect(r.ok).toBe(false);
    expect(r.missing.map((m) => `${m.verb} ${m.resource}`).sort()).toEqual(['get ingresses', 'get networkpolicies', 'watch ingresses', 'watch networkpolicies']);
    expect(r.missing.every((m) => !m.allowedByRules)).toBe(true);
    // Secrets were asked for, so they are in the grant, and no extra grant is offered for them.
    expect(r.grant).toContain('secrets');
    expect(r.extraGrants.some((x) => x.features.includes('secrets-metadata'))).toBe(false);
    const reviews = server.requests.filter((q) => q.path.endsWith('selfsubjectaccessreviews'));
    expect(reviews.length).toBe(r.checks.length);
  });

  it('checks namespaced kinds in the namespaces asked for', async () => {
    const kubeconfig = await start([
      { verbs: ['get', 'list', 'watch'], apiGroups: ['*'], resources: ['*'], namespace: 'payments' },
      { verbs: ['get', 'list', 'watch'], apiGroups: ['', 'rbac.authorization.k8s.io', 'admissionregistration.k8s.io'], resources: ['namespaces', 'nodes', 'clusterroles', 'clusterrolebindings', 'validatingwebhookconfigurations', 'mutatingwebhookconfigurations'] },
    ]);
    const ok = await clusterPreflight({ kubeconfig }, { namespaces: ['payments'] });
    expect(ok.missing).toEqual([]);
    const other = await clusterPreflight({ kubeconfig }, { namespaces: ['payments', 'storefront'] });
    expect(new Set(other.missing.map((m) => m.namespace))).toEqual(new Set(['storefront']));
  });
});
