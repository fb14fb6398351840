import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import jsYaml from 'js-yaml';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startFakeKubeApiServer, type FakeKubeApiServer, type FakeRule } from '../../../test/helpers/fake-kube-apiserver.js';
import type { ScanReport } from '../../model/report.js';
import { EXIT, type Io } from '../io.js';
import { main } from '../main.js';

let server: FakeKubeApiServer;
let dir: string;
let kubeconfig: string;

function capture(): Io & { out: string; err: string } {
  const io = { out: '', err: '', stdout: (s: string) => void (io.out += s), stderr: (s: string) => void (io.err += s), stdoutIsTty: false, stderrIsTty: false, env: {} };
  return io;
}

async function run(args: string[]) {
  const io = capture();
  const code = await main(['node', 'palisade', ...args], io);
  return { code, out: io.out, err: io.err };
}

async function start(rules?: FakeRule[]): Promise<void> {
  server = await startFakeKubeApiServer({ rules });
  kubeconfig = join(dir, 'kubeconfig');
  writeFileSync(kubeconfig, server.kubeconfig('lab'));
}

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'palisade-cluster-cli-'));
  // No palisade.yaml of the working directory may change the results.
  writeFileSync(join(dir, 'palisade.yaml'), '{}\n');
});
afterEach(async () => {
  await server?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('palisade scan cluster', () => {
  it('scans the cluster in every output format', async () => {
    await start();
    const base = ['scan', 'cluster', '--kubeconfig', kubeconfig, '--context', 'lab', '-c', join(dir, 'palisade.yaml')];
    const json = await run([...base, '-o', 'json', '--exclude-namespace', 'kube-system']);
    expect(json.code).toBe(EXIT.ok);
    const report = JSON.parse(json.out) as ScanReport;
    expect(report.inputs).toEqual(['cluster://lab']);
    expect(report.findings.some((f) => f.location.file === 'cluster://lab/namespaces/storefront/deployments/web')).toBe(true);
    expect(report.resources.some((r) => r.namespace === 'kube-system')).toBe(false);

    const table = await run([...base, '--fail-on', 'high']);
    expect(table.code).toBe(EXIT.policy);
    expect(table.out).toContain('cluster://lab/namespaces/storefront/deployments/web');
    const sarif = await run([...base, '-o', 'sarif', '--output-file', join(dir, 'out.sarif')]);
    expect(sarif.code).toBe(EXIT.ok);
    expect(JSON.parse(readFileSync(join(dir, 'out.sarif'), 'utf8')).version).toBe('2.1.0');
    for (const format of ['yaml', 'junit']) expect((await run([...base, '-o', format])).out.length).toBeGreaterThan(100);
    const ns = JSON.parse((await run([...base, '-o', 'json', '-n', 'payments'])).out) as ScanReport;
    expect(new Set(ns.resources.filter((r) => r.namespace).map((r) => r.namespace))).toEqual(new Set(['payments']));
  });

  it('exits 2 with the forbidden kinds named when some cannot be listed', async () => {
    await start([{ verbs: ['get', 'list', 'watch'], apiGroups: ['', 'apps'], resources: ['*'] }]);
    const r = await run(['scan', 'cluster', '--kubeconfig', kubeconfig, '-c', join(dir, 'palisade.yaml'), '-o', 'json']);
    expect(r.code).toBe(EXIT.inputErrors);
    expect(r.err).toContain('cluster://lab/ingresses');
    expect(r.err).toContain('palisade cluster preflight');
  });

  it('says which context is unknown', async () => {
    await start();
    const r = await run(['scan', 'cluster', '--kubeconfig', kubeconfig, '--context', 'prod']);
    expect(r.code).toBe(EXIT.usage);
    expect(r.err).toContain('context "prod" is not in the kubeconfig');
  });
});

describe('palisade cluster preflight', () => {
  it('lists the missing permissions, prints the grant and exits 1', async () => {
    await start([{ verbs: ['get', 'list', 'watch'], apiGroups: ['', 'apps', 'batch', 'policy', 'autoscaling', 'networking.k8s.io', 'admissionregistration.k8s.io'], resources: ['*'] }]);
    const r = await run(['cluster', 'preflight', '--kubeconfig', kubeconfig, '--service-account', 'security/scanner']);
    expect(r.code).toBe(EXIT.policy);
    expect(r.out).toContain('12 of 69 permissions are missing:');
    expect(r.out).toContain('  - get, list, watch clusterroles.rbac.authorization.k8s.io in all namespaces (RBAC risk checks)');
    const docs = jsYaml.loadAll(r.out.slice(r.out.indexOf('apiVersion:'), r.out.indexOf('# Optional'))) as Array<Record<string, unknown>>;
    expect(docs.map((d) => d.kind)).toEqual(['ClusterRole', 'ClusterRoleBinding']);
    expect(docs[1]!.subjects).toEqual([{ kind: 'ServiceAccount', name: 'scanner', namespace: 'security' }]);
    // The grant fixes it.
    server.rules = (docs[0] as { rules: FakeRule[] }).rules;
    const again = await run(['cluster', 'preflight', '--kubeconfig', kubeconfig, '-o', 'json']);
    expect(again.code).toBe(EXIT.ok);
    expect(JSON.parse(again.out).ok).toBe(true);
  });

  it('asks for Secrets only when a Secrets mode is chosen', async () => {
    await start([{ verbs: ['get', 'list', 'watch'], apiGroups: ['*'], resources: ['configmaps', 'pods'] }]);
    const r = await run(['cluster', 'preflight', '--kubeconfig', kubeconfig, '--secrets', 'metadata', '-o', 'yaml']);
    expect(r.code).toBe(EXIT.policy);
    const result = jsYaml.load(r.out) as { features: string[]; missing: Array<{ resource: string; verb: string }>; grant: string };
    expect(result.features).toEqual(['core', 'secrets-metadata']);
    expect(result.missing.some((m) => m.resource === 'secrets' && m.verb === 'list')).toBe(true);
    expect(result.missing.some((m) => m.resource === 'pods')).toBe(false);
    expect(result.grant).toContain('secrets');
  });
});
