/**
 * The life of a connector in `palisade serve`, end to end over HTTP only: a real server (the CLI command) on
 * SQLite in a temporary data directory; the first Owner logs in with the one-time password printed at first
 * start; a cluster (the fake Kubernetes API server) is onboarded, checked, synced and assessed; a registry
 * (Debian's real `docker-registry`) holding the image the cluster runs is onboarded and scanned, and the
 * image's CVEs are joined to the workload that runs it; audit events posted to the webhook raise an alert;
 * then both connectors are offboarded (plan, execution, report, export bundle) and purged, and nothing about
 * them remains but the audit trail and the revoked ingest token.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serveCommand } from '../../src/cli/commands/serve.js';
import type { Io } from '../../src/cli/io.js';
import { openSqliteStore, sqliteFileIn } from '../../src/storage/sqlite/index.js';
import { openVulnDb } from '../../src/storage/vulndb/index.js';
import { startFakeKubeApiServer, type FakeKubeApiServer, type FakeObject } from '../helpers/fake-kube-apiserver.js';
import { packLayer, withParents } from '../helpers/layer-pack.js';
import { image, type BuiltImage } from '../helpers/oci-image.js';
import { hasRegistry, pushImage, startRegistry, type RunningRegistry } from '../helpers/registry.js';
import { DEBIAN_FIXTURES, sampleAdvisories } from '../helpers/vuln-db.js';

const REGISTRY_USER = 'palisade-robot';
const REGISTRY_PASSWORD = 'robot-secret-e2e-41c7';
/** A service-account token as kube-apiserver issues it (a JWT): offboarding names the account to delete from its claims. */
const KUBE_TOKEN = [
  { alg: 'RS256', kid: 'e2e' },
  { iss: 'https://kubernetes.default.svc', sub: 'system:serviceaccount:palisade:palisade-reader', 'kubernetes.io': { namespace: 'palisade', serviceaccount: { name: 'palisade-reader', uid: '7f0c' } } },
]
  .map((part) => Buffer.from(JSON.stringify(part)).toString('base64url'))
  .concat('c2lnbmF0dXJl')
  .join('.');
const registrySkip = hasRegistry() ? false : '/usr/bin/docker-registry is not installed (apt-get install docker-registry): the registry steps are skipped';
if (registrySkip) console.warn(`server lifecycle: ${registrySkip}`);

/** A Debian 12 dpkg database with libssl3 3.0.19-1~deb12u2 (source openssl), which the test advisories fix in 3.0.20-1~deb12u1. */
const DPKG_STATUS = `Package: base-files
Status: install ok installed
Priority: required
Section: admin
Installed-Size: 341
Maintainer: Santiago Vila <sanvila@debian.org>
Architecture: amd64
Version: 12.4+deb12u10
Description: Debian base system miscellaneous files

Package: libssl3
Status: install ok installed
Priority: optional
Section: libs
Installed-Size: 6029
Maintainer: Debian OpenSSL Team <pkg-openssl-devel@alioth-lists.debian.net>
Architecture: amd64
Multi-Arch: same
Source: openssl
Version: 3.0.19-1~deb12u2
Description: Secure Sockets Layer toolkit - shared libraries

`;

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- answers are read as loose JSON; the server checks them against its schemas
type Json = any;
type Api = (method: 'GET' | 'POST' | 'DELETE', path: string, body?: unknown) => Promise<{ status: number; json: Json }>;

const dirs: string[] = [];
let kube: FakeKubeApiServer;
let registry: RunningRegistry | undefined;
let shopImage: BuiltImage | undefined;
let dataDir: string;
let url: string;
let stderr = '';
let stopServer: () => void;
let serving: Promise<unknown>;
let api: Api;
const started = Date.now();

function tempDir(prefix: string): string {
  const d = mkdtempSync(join(tmpdir(), prefix));
  dirs.push(d);
  return d;
}

/** The image the cluster runs: Debian 12 release files and the dpkg database in one layer, the app in another. */
async function buildShopImage(): Promise<BuiltImage> {
  const file = (name: string, content: Buffer | string) => ({ name, type: 'file' as const, mode: 0o644, content: Buffer.from(content) });
  const base = await packLayer(withParents([file('etc/os-release', readFileSync(DEBIAN_FIXTURES.osRelease)), file('etc/debian_version', readFileSync(DEBIAN_FIXTURES.debianVersion)), file('var/lib/dpkg/status', DPKG_STATUS)]));
  const app = await packLayer(withParents([{ ...file('srv/shop/server', '#!/bin/sh\nexec sleep infinity\n'), mode: 0o755 }]));
  return image([base, app], { history: [{ created_by: 'ADD rootfs.tar.xz /' }, { created_by: 'COPY server /srv/shop/server' }] });
}

/** The vulnerability database `palisade db update` would leave, generated from the test advisories. */
function writeVulnDb(path: string): void {
  const updatedAt = '2026-02-28T00:00:00Z';
  const data = sampleAdvisories(updatedAt);
  const db = openVulnDb(path, { create: true });
  try {
    for (const source of data.sources) {
      const affected = data.affected.filter((a) => a.source === source.id);
      db.replaceDocument(source, 'all', { url: `file:///${source.id}`, digest: `sha256:${source.id}`, importedAt: updatedAt, vulnerabilities: data.vulnerabilities.length, affected: affected.length }, { vulnerabilities: data.vulnerabilities, affected });
    }
  } finally {
    db.close();
  }
}

/**
 * A small shop: the `web` Deployment (privileged, behind a LoadBalancer) with its ReplicaSet and running Pod,
 * and a hardened `worker`, both running the shop image from the registry; a node and the namespace.
 */
function clusterObjects(shopRef: string): FakeObject[] {
  const labels = { app: 'web' };
  const hardened = { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, runAsNonRoot: true, runAsUser: 10001, capabilities: { drop: ['ALL'] }, seccompProfile: { type: 'RuntimeDefault' } };
  const webSpec = { containers: [{ name: 'app', image: shopRef, ports: [{ containerPort: 8080 }], securityContext: { privileged: true } }] };
  const workerSpec = { automountServiceAccountToken: false, containers: [{ name: 'app', image: shopRef, securityContext: hardened, resources: { requests: { cpu: '100m', memory: '64Mi' }, limits: { cpu: '200m', memory: '128Mi' } } }] };
  return [
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'shop', labels: { 'kubernetes.io/metadata.name': 'shop' } } },
    { apiVersion: 'v1', kind: 'Node', metadata: { name: 'node-a', labels: { 'kubernetes.io/hostname': 'node-a' } }, status: { nodeInfo: { kubeletVersion: 'v1.31.4' }, conditions: [{ type: 'Ready', status: 'True' }] } },
    { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'default', namespace: 'shop' } },
    { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web', namespace: 'shop', labels }, spec: { replicas: 1, selector: { matchLabels: labels }, template: { metadata: { labels }, spec: webSpec } } },
    { apiVersion: 'apps/v1', kind: 'ReplicaSet', metadata: { name: 'web-5f7c9', namespace: 'shop', labels, ownerReferences: [{ apiVersion: 'apps/v1', kind: 'Deployment', name: 'web', uid: 'uid-web', controller: true }] }, spec: { replicas: 1, selector: { matchLabels: labels }, template: { metadata: { labels }, spec: webSpec } } },
    { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'web-5f7c9-x2k4p', namespace: 'shop', labels, ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'web-5f7c9', uid: 'uid-web-rs', controller: true }] }, spec: { ...webSpec, nodeName: 'node-a' }, status: { phase: 'Running', podIP: '10.244.1.7' } },
    { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'worker', namespace: 'shop', labels: { app: 'worker' } }, spec: { replicas: 1, selector: { matchLabels: { app: 'worker' } }, template: { metadata: { labels: { app: 'worker' } }, spec: workerSpec } } },
    { apiVersion: 'v1', kind: 'Service', metadata: { name: 'web', namespace: 'shop' }, spec: { type: 'LoadBalancer', selector: labels, ports: [{ port: 80, targetPort: 8080, protocol: 'TCP' }] }, status: { loadBalancer: { ingress: [{ ip: '203.0.113.10' }] } } },
  ];
}

/** One kube-apiserver audit event (audit.k8s.io/v1), `offsetMs` after `start`. */
function auditEvent(start: number, offsetMs: number, fields: Record<string, unknown>): Record<string, unknown> {
  const at = new Date(start + offsetMs).toISOString();
  return {
    kind: 'Event',
    apiVersion: 'audit.k8s.io/v1',
    level: 'Metadata',
    auditID: createHash('sha256').update(`${start}:${offsetMs}:${JSON.stringify(fields)}`).digest('hex').replace(/^(.{8})(.{4})(.{4})(.{4})(.{12}).*$/, '$1-$2-$3-$4-$5'),
    stage: 'ResponseComplete',
    userAgent: 'kubectl/v1.31.4 (linux/amd64) kubernetes/a78aa47',
    sourceIPs: ['198.51.100.23'],
    responseStatus: { metadata: {}, code: 200 },
    requestReceivedTimestamp: at,
    stageTimestamp: at,
    annotations: { 'authorization.k8s.io/decision': 'allow', 'authorization.k8s.io/reason': '' },
    ...fields,
  };
}

/** Someone execs into the privileged web pod, then port-forwards to it: what kube-apiserver's webhook backend posts. */
function attackEvents(start: number): Array<Record<string, unknown>> {
  const mallory = { username: 'mallory@example.com', groups: ['system:authenticated'] };
  const pod = 'web-5f7c9-x2k4p';
  const exec = { verb: 'create', user: mallory, objectRef: { resource: 'pods', namespace: 'shop', name: pod, apiVersion: 'v1', subresource: 'exec' }, requestURI: `/api/v1/namespaces/shop/pods/${pod}/exec?command=sh&container=app&stdin=true&stdout=true&tty=true`, responseStatus: { metadata: {}, code: 101 } };
  return [
    auditEvent(start, -60_000, { verb: 'list', user: mallory, objectRef: { resource: 'pods', namespace: 'shop', apiVersion: 'v1' }, requestURI: '/api/v1/namespaces/shop/pods' }),
    auditEvent(start, 0, { ...exec, stage: 'ResponseStarted' }),
    auditEvent(start, 120_000, exec),
    auditEvent(start, 180_000, { stage: 'ResponseStarted', verb: 'create', user: mallory, objectRef: { resource: 'pods', namespace: 'shop', name: pod, apiVersion: 'v1', subresource: 'portforward' }, requestURI: `/api/v1/namespaces/shop/pods/${pod}/portforward`, responseStatus: { metadata: {}, code: 101 } }),
  ];
}

/** Logs in and returns a JSON client carrying the session cookie. */
async function login(username: string, password: string): Promise<Api> {
  const res = await fetch(`${url}/api/v1/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username, password }) });
  expect(res.status, await res.clone().text()).toBe(200);
  const cookie = res.headers.get('set-cookie')!.split(';')[0]!;
  return async (method, path, body) => {
    const r = await fetch(`${url}${path}`, { method, headers: { cookie, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) }, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
    const text = await r.text();
    return { status: r.status, json: text ? JSON.parse(text) : undefined };
  };
}

/** Polls `fn` until it returns a value (image scans run in the background), failing after `ms`. */
async function eventually<T>(what: string, fn: () => Promise<T | undefined>, ms = 20_000): Promise<T> {
  const until = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Every entry of the audit trail (newest first), paged through the API. */
async function auditTrail(): Promise<Array<{ at: string; actor: string; action: string; target: string; after: Json }>> {
  const out = [];
  let cursor: string | undefined;
  do {
    const page = await api('GET', `/api/v1/audit-log?limit=1000${cursor ? `&cursor=${cursor}` : ''}`);
    expect(page.status).toBe(200);
    out.push(...page.json.items);
    cursor = page.json.next;
  } while (cursor);
  return out;
}

const sha256File = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex');

beforeAll(async () => {
  const cacheDir = tempDir('palisade-lifecycle-cache-');
  writeVulnDb(join(cacheDir, 'vuln.db'));
  // The server's image scans read the database at its default place, which only the process environment sets.
  process.env.PALISADE_CACHE_DIR = cacheDir;
  let shopRef = 'registry.invalid/team/shop:1.0';
  if (!registrySkip) {
    registry = await startRegistry({ auth: { htpasswd: { username: REGISTRY_USER, password: REGISTRY_PASSWORD } } });
    shopImage = await buildShopImage();
    await pushImage({ url: registry.url, repository: 'team/shop', authorization: `Basic ${Buffer.from(`${REGISTRY_USER}:${REGISTRY_PASSWORD}`).toString('base64')}` }, shopImage, '1.0');
    shopRef = `${registry.host}/team/shop:1.0`;
  }
  kube = await startFakeKubeApiServer({ token: KUBE_TOKEN, objects: clusterObjects(shopRef) });

  // `palisade serve` itself, stopped at the end as a signal would stop it. No PALISADE_ADMIN_PASSWORD: the
  // first Owner gets a one-time password, printed once.
  dataDir = tempDir('palisade-lifecycle-data-');
  const io: Io = { stdoutIsTty: false, stderrIsTty: false, env: { PALISADE_CACHE_DIR: cacheDir }, stdout: () => undefined, stderr: (s: string) => void (stderr += s) };
  const until = new Promise<void>((r) => (stopServer = r));
  let listening!: (u: string) => void;
  const address = new Promise<string>((r) => (listening = r));
  serving = serveCommand(io, () => undefined, { until, onListening: listening }).parseAsync(['--port', '0', '--data-dir', dataDir, '--log-level', 'silent', '--no-watch', '--sync-interval', '1h'], { from: 'user' });
  url = await Promise.race([address, serving.then(() => Promise.reject(new Error(`serve exited: ${stderr}`)))]);
}, 60_000);

afterAll(async () => {
  stopServer?.();
  await serving;
  delete process.env.PALISADE_CACHE_DIR;
  await kube?.close();
  await registry?.stop();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe('a connector from onboarding to purge, through the HTTP API of palisade serve', { timeout: 60_000 }, () => {
  let clusterId: string;
  let registryId: string | undefined;
  let ingestToken: string;
  let ingestPath: string;
  const bundles: string[] = [];
  const sealed: string[] = [];

  it('logs in as the first Owner with the one-time password printed at first start', async () => {
    const printed = /created the first Owner "(\w+)" with this one-time password[^\n]*:\n\n\s+(\S+)\n/.exec(stderr);
    expect(printed, stderr).not.toBeNull();
    api = await login(printed![1]!, printed![2]!);
    const me = await api('GET', '/api/v1/me');
    expect(me.json).toEqual({ actor: 'user:admin', role: 'owner' });
    expect((await fetch(`${url}/api/v1/connectors`)).status).toBe(401);
  });

  it('onboards the cluster from a kubeconfig, runs its preflight, syncs it and shows its findings', async () => {
    const onboarded = await api('POST', '/api/v1/connectors', { kind: 'cluster', name: 'shop-prod', kubeconfig: kube.kubeconfig('shop-prod'), context: 'shop-prod' });
    expect(onboarded.status, JSON.stringify(onboarded.json)).toBe(201);
    expect(onboarded.json.connector).toMatchObject({ kind: 'cluster', name: 'shop-prod', hasCredentials: true, config: { server: kube.url } });
    expect(JSON.stringify(onboarded.json)).not.toContain(KUBE_TOKEN);
    clusterId = onboarded.json.connector.id;

    const preflight = await api('POST', `/api/v1/connectors/${clusterId}/preflight`);
    expect(preflight.status).toBe(200);
    expect(preflight.json).toMatchObject({ ok: true, missing: [] });

    const sync = await api('POST', `/api/v1/connectors/${clusterId}/sync`);
    expect(sync.status, JSON.stringify(sync.json)).toBe(200);
    expect(sync.json.errors).toEqual([]);
    expect(sync.json.findings).toBeGreaterThan(0);

    const recs = await api('GET', `/api/v1/recommendations?connector=${clusterId}`);
    const slugs = (recs.json.items as Array<{ slug: string }>).map((r) => r.slug);
    for (const slug of ['privileged-container', 'load-balancer-service-exposed', 'run-as-non-root-not-set']) expect(slugs, slug).toContain(slug);
    const privileged = (recs.json.items as Array<{ slug: string; checkId: string }>).find((r) => r.slug === 'privileged-container')!;
    const one = await api('GET', `/api/v1/recommendations/${privileged.checkId}?connector=${clusterId}`);
    expect(one.status).toBe(200);
    expect(one.json).toMatchObject({ slug: 'privileged-container', severity: expect.stringMatching(/high|critical/) });
    const affected = one.json.affectedResources as Array<{ asset: { key: string; connectorId: string }; path: string }>;
    expect(affected.map((a) => a.asset.key)).toContain('shop/Deployment/web');
    expect(affected.map((a) => a.asset.key)).not.toContain('shop/Deployment/worker');
    expect(affected.every((a) => a.asset.connectorId === clusterId && a.path.endsWith('securityContext.privileged'))).toBe(true);
    const lb = (recs.json.items as Array<{ slug: string; checkId: string }>).find((r) => r.slug === 'load-balancer-service-exposed')!;
    expect((await api('GET', `/api/v1/recommendations/${lb.checkId}`)).json.affectedResources.map((a: { asset: { key: string } }) => a.asset.key)).toEqual(['shop/Service/web']);
  });

  it.skipIf(registrySkip)('onboards the registry, scans its image and joins the CVEs to the exposed workload that runs it', async () => {
    const onboarded = await api('POST', '/api/v1/connectors', { kind: 'registry', name: 'shop-registry', url: registry!.url, plainHttp: true, auth: { username: REGISTRY_USER, password: REGISTRY_PASSWORD }, repositories: { include: ['team/*'] } });
    expect(onboarded.status, JSON.stringify(onboarded.json)).toBe(201);
    expect(onboarded.json.preflight.checks.map((c: { name: string; ok: boolean }) => `${c.name}:${c.ok}`)).toEqual(['catalog:true', 'tags:true', 'pull:true']);
    expect(JSON.stringify(onboarded.json)).not.toContain(REGISTRY_PASSWORD);
    registryId = onboarded.json.connector.id as string;
    expect((await api('POST', `/api/v1/connectors/${registryId}/preflight`)).json).toMatchObject({ ok: true, repositories: 1 });

    const sync = await api('POST', `/api/v1/connectors/${registryId}/sync`);
    expect(sync.status, JSON.stringify(sync.json)).toBe(200);
    expect(sync.json).toMatchObject({ repositories: 1, tags: 1, images: 1, errors: [] });

    const digest = shopImage!.manifestDigest;
    const rows = await eventually('the scan of the shop image', async () => {
      const r = await api('GET', `/api/v1/vulnerabilities?view=rows&image=${digest}`);
      return r.json.items.length > 0 ? (r.json.items as Array<{ vulnId: string; package: string; installedVersion: string; fixedVersion: string; layer: { index: number } }>) : undefined;
    });
    expect(rows.map((r) => r.vulnId).sort()).toEqual(['CVE-2023-5678', 'CVE-2024-0727']);
    expect(rows.find((r) => r.vulnId === 'CVE-2024-0727')).toMatchObject({ package: 'libssl3', installedVersion: '3.0.19-1~deb12u2', fixedVersion: '3.0.20-1~deb12u1', layer: { index: 0 } });

    // The cluster's web and worker run this image, web behind a LoadBalancer: the image view joins them.
    const joined: Json = await eventually('the image joined to its workloads', async () => {
      const r = await api('GET', `/api/v1/vulnerabilities?view=image&connector=${clusterId}&running=true&exposed=true`);
      return (r.json.items as Array<{ digest: string; total: number }>).find((i) => i.digest === digest && i.total > 0);
    });
    expect(joined).toMatchObject({ digest, running: true, exposed: true, total: 2, counts: { medium: 1, low: 1 } });
    // web (its Deployment, ReplicaSet and Pod) and worker run it.
    expect(joined.workloads).toBeGreaterThanOrEqual(2);
    expect(joined.references).toContainEqual(expect.objectContaining({ reference: `${registry!.host}/team/shop:1.0`, status: 'ok' }));
    const cve = await api('GET', '/api/v1/vulnerabilities?view=cve&cve=CVE-2024-0727');
    expect(cve.json.items).toEqual([expect.objectContaining({ vulnId: 'CVE-2024-0727', images: 1, runningImages: 1, exposedImages: 1, fixedVersions: ['3.0.20-1~deb12u1'] })]);
  });

  it('accepts audit events on the webhook with an ingest token and raises an alert', async () => {
    const created = await api('POST', '/api/v1/ingest-tokens', { connectorId: clusterId, name: 'kube-apiserver' });
    expect(created.status).toBe(201);
    ingestToken = created.json.token;
    ingestPath = created.json.url;
    expect(ingestPath).toBe(`/api/v1/audit/connectors/${clusterId}/events`);

    const posted = await fetch(`${url}${ingestPath}`, { method: 'POST', headers: { authorization: `Bearer ${ingestToken}`, 'content-type': 'application/json' }, body: JSON.stringify({ kind: 'EventList', apiVersion: 'audit.k8s.io/v1', metadata: {}, items: attackEvents(Date.now() - 10 * 60_000) }) });
    expect(posted.status, await posted.clone().text()).toBe(200);

    const alerts = await api('GET', `/api/v1/alerts?connector=${clusterId}&limit=100`);
    expect(alerts.status).toBe(200);
    const rules = (alerts.json.items as Array<{ ruleId: string }>).map((a) => a.ruleId);
    expect(rules).toContain('PAL-RT-010');
    expect(rules).toContain('PAL-RT-011');
    expect(alerts.json.items.every((a: { connectorId: string; status: string }) => a.connectorId === clusterId && a.status === 'new')).toBe(true);
  });

  it('offboards both connectors: the plan lists the dependencies, every step runs, the bundle verifies, the connector refuses events and syncs', async () => {
    // The API never returns credentials, sealed or not, so the store is read (a second reader of the server's
    // SQLite file) for the sealed values, to prove at the end that no copy of them is left in the database files.
    const peek = openSqliteStore(sqliteFileIn(dataDir));
    try {
      for (const id of [clusterId, ...(registryId ? [registryId] : [])]) sealed.push((await peek.getConnector(id))!.secrets!);
    } finally {
      await peek.close();
    }
    expect(sealed.every((s) => s.startsWith('v1:'))).toBe(true);

    const plan = await api('GET', `/api/v1/connectors/${clusterId}/offboarding/plan`);
    expect(plan.status, JSON.stringify(plan.json)).toBe(200);
    const deps = plan.json.dependencies;
    expect(plan.json.connector).toMatchObject({ id: clusterId, hasCredentials: true });
    expect(deps.findings).toBeGreaterThan(0);
    expect(deps.assets).toBeGreaterThan(0);
    expect(deps.alerts.count).toBeGreaterThanOrEqual(2);
    expect(deps.alerts.open).toBe(deps.alerts.count);
    expect(deps.ingestTokens).toMatchObject({ count: 1, active: 1 });
    expect(deps.schedule.monitored).toBe(true);
    // One scheduler in this process (the server's), which the execution stops.
    expect(deps.schedule.thisProcess).toHaveLength(1);
    expect(plan.json.identify.inactive).toBe(false);
    expect(plan.json.changes.map((c: { step: string }) => c.step)).toEqual(expect.arrayContaining(['backup', 'stop', 'revoke', 'record', 'validate', 'decommission']));
    // The dry run changed nothing: the webhook still takes events.
    expect((await fetch(`${url}${ingestPath}`, { method: 'POST', headers: { authorization: `Bearer ${ingestToken}`, 'content-type': 'application/json' }, body: JSON.stringify({ kind: 'EventList', apiVersion: 'audit.k8s.io/v1', items: [] }) })).status).toBe(200);

    // Active connectors (synced minutes ago) are refused unless forced.
    const refused = await api('POST', `/api/v1/connectors/${clusterId}/offboarding`, { reason: 'shop moved to the new cluster' });
    expect(refused.status).toBe(409);
    expect(refused.json.error).toBe('active');

    for (const id of [clusterId, ...(registryId ? [registryId] : [])]) {
      const done = await api('POST', `/api/v1/connectors/${id}/offboarding`, { reason: 'shop moved to the new cluster', force: true });
      expect(done.status, JSON.stringify(done.json)).toBe(200);
      expect(done.json).toMatchObject({ state: 'offboarded', complete: true, offboardedBy: 'user:admin' });

      const report = await api('GET', `/api/v1/connectors/${id}/offboarding`);
      expect(report.status).toBe(200);
      const r = report.json;
      expect(r.steps.map((s: { step: string; status: string }) => `${s.step}:${s.status}`)).toEqual(['identify:done', 'review:done', 'plan:done', 'backup:done', 'stop:done', 'revoke:done', 'record:done', 'validate:done', 'decommission:scheduled']);
      expect(r.steps.every((s: { by: string; at: string }) => s.by === 'user:admin' && Date.parse(s.at) >= started)).toBe(true);
      expect(r.validation.ok).toBe(true);
      expect(r.validation.checks.map((c: { name: string; ok: boolean }) => `${c.name}:${c.ok}`)).toEqual(['monitoring-stopped:true', 'no-job:true', 'no-event-accepted:true', 'no-credential:true', 'bundle-verified:true']);
      expect(r.steps.find((s: { step: string }) => s.step === 'revoke').result).toMatchObject({ credentialsDestroyed: true, verified: true });
      expect((await api('GET', `/api/v1/connectors/${id}`)).json.hasCredentials).toBe(false);
      expect(r.bundle.dir.startsWith(join(dataDir, 'offboarding'))).toBe(true);
      bundles.push(r.bundle.dir);

      // The sync of an offboarded connector is refused.
      const sync = await api('POST', `/api/v1/connectors/${id}/sync`);
      expect(sync.status).toBe(409);
      expect(sync.json.error).toBe('offboarded');

      if (id === clusterId) {
        // The access to remove in the cluster: the account of the kubeconfig's token, its bindings and roles.
        expect(r.accessRemoval.subject).toEqual({ kind: 'ServiceAccount', name: 'palisade-reader', namespace: 'palisade', from: 'token' });
        expect(r.accessRemoval.commands).toHaveLength(3);
        expect(r.accessRemoval.commands.every((c: string) => c.startsWith('kubectl --context shop-prod ') && c.endsWith(' --ignore-not-found'))).toBe(true);
        expect(r.accessRemoval.commands.at(-1)).toBe('kubectl --context shop-prod -n palisade delete serviceaccount palisade-reader --ignore-not-found');
        expect(r.accessRemoval.yaml).toContain('kind: ClusterRoleBinding');
        expect(r.accessRemoval.yaml).toContain('name: palisade-reader');
        expect(r.plan.dependencies.ingestTokens.active).toBe(1);
        expect(r.steps.find((s: { step: string }) => s.step === 'stop').result).toMatchObject({ tokensRevoked: 1, schedulersStopped: 1 });
      } else {
        expect(r.accessRemoval.notes.join('\n')).toContain(`the account "${REGISTRY_USER}"`);
      }
    }

    // The old ingest token is gone for good: kube-apiserver is told not to retry.
    const gone = await fetch(`${url}${ingestPath}`, { method: 'POST', headers: { authorization: `Bearer ${ingestToken}`, 'content-type': 'application/json' }, body: JSON.stringify({ kind: 'EventList', apiVersion: 'audit.k8s.io/v1', items: attackEvents(Date.now()) }) });
    expect(gone.status).toBe(410);

    // Each bundle: every file the manifest lists has the SHA-256 it lists, and SHA256SUMS agrees.
    for (const dir of bundles) {
      const manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as { files: Array<{ kind: string; file: string; rows: number; sha256: string }> };
      expect(manifest.files.length).toBeGreaterThan(10);
      for (const f of manifest.files) expect(sha256File(join(dir, f.file)), f.file).toBe(f.sha256);
      const sums = readFileSync(join(dir, 'SHA256SUMS'), 'utf8').trim().split('\n').map((l) => l.split(/\s+/));
      for (const [sum, file] of sums) expect(sha256File(join(dir, file!)), file).toBe(sum);
    }
    const clusterManifest = JSON.parse(readFileSync(join(bundles[0]!, 'manifest.json'), 'utf8')) as { files: Array<{ kind: string; rows: number }> };
    const rowsOf = (kind: string) => clusterManifest.files.find((f) => f.kind === kind)!.rows;
    expect(rowsOf('findings')).toBe(deps.findings);
    expect(rowsOf('alerts')).toBe(deps.alerts.count);
    expect(rowsOf('ingest-tokens')).toBe(1);
    // The bundle keeps no credential: the kubeconfig's token is nowhere in it.
    for (const f of clusterManifest.files as Array<{ file?: string }>) expect(readFileSync(join(bundles[0]!, f.file!), 'utf8')).not.toContain(KUBE_TOKEN);
  });

  it('purges both connectors, leaves nothing of them, and the audit trail records every step with who and when', async () => {
    for (const id of [clusterId, ...(registryId ? [registryId] : [])]) {
      const purged = await api('POST', `/api/v1/connectors/${id}/offboarding/purge`);
      expect(purged.status, JSON.stringify(purged.json)).toBe(200);
      expect(purged.json).toMatchObject({ state: 'purged', purge: { verified: true, by: 'user:admin' } });
      expect(purged.json.steps.at(-1)).toMatchObject({ step: 'decommission', status: 'done' });
      expect(Object.values(purged.json.purge.remaining as Record<string, number>).filter((n, i) => n > 0 && !['ingest-tokens', 'audit-trail'].includes(Object.keys(purged.json.purge.remaining)[i]!))).toEqual([]);
      expect((await api('GET', `/api/v1/connectors/${id}`)).status).toBe(404);
    }

    expect((await api('GET', `/api/v1/recommendations?connector=${clusterId}`)).json.items).toEqual([]);
    expect((await api('GET', '/api/v1/recommendations')).json.items).toEqual([]);
    for (const id of [clusterId, ...(registryId ? [registryId] : [])]) {
      expect((await api('GET', `/api/v1/assets?connector=${id}`)).json.items, id).toEqual([]);
      expect((await api('GET', `/api/v1/vulnerabilities?connector=${id}`)).json.items, id).toEqual([]);
      expect((await api('GET', `/api/v1/vulnerabilities?view=rows&connector=${id}`)).json.items, id).toEqual([]);
    }
    // Image scans are kept per digest, shared by connectors: once no connector claims the image, the purge forgets it.
    for (const view of ['image', 'cve', 'rows']) expect((await api('GET', `/api/v1/vulnerabilities?view=${view}`)).json.items, view).toEqual([]);
    expect((await api('GET', '/api/v1/assets')).json.items).toEqual([]);
    expect((await api('GET', `/api/v1/alerts?connector=${clusterId}`)).json.items).toEqual([]);
    expect((await api('GET', '/api/v1/alerts')).json.items).toEqual([]);
    // No active ingest token remains; the revoked one is kept on purpose, so the webhook keeps answering 410 Gone.
    expect((await api('GET', `/api/v1/ingest-tokens?connector=${clusterId}`)).json.items).toEqual([]);
    const kept = (await api('GET', `/api/v1/ingest-tokens?connector=${clusterId}&includeRevoked=true`)).json.items as Array<{ revokedAt: string | null }>;
    expect(kept).toHaveLength(1);
    expect(kept[0]!.revokedAt).not.toBeNull();
    expect((await fetch(`${url}${ingestPath}`, { method: 'POST', headers: { authorization: `Bearer ${ingestToken}`, 'content-type': 'application/json' }, body: JSON.stringify({ kind: 'EventList', apiVersion: 'audit.k8s.io/v1', items: [] }) })).status).toBe(410);
    expect((await api('GET', '/api/v1/connectors')).json.items).toEqual([]);

    // The audit trail: onboarding, syncs, the token, each offboarding step and the purge, each with who and when.
    const trail = await auditTrail();
    for (const id of [clusterId, ...(registryId ? [registryId] : [])]) {
      const mine = trail.filter((e) => e.target === `connector:${id}`);
      expect(mine.every((e) => e.actor === 'user:admin' && Date.parse(e.at) >= started - 1000)).toBe(true);
      const actions = mine.map((e) => e.action).reverse();
      expect(actions[0]).toBe('connector.create');
      expect(actions).toContain('connector.sync');
      expect(actions.slice(-10)).toEqual(['identify', 'review', 'plan', 'backup', 'stop', 'revoke', 'record', 'validate', 'decommission'].map((s) => `connector.offboard.${s}`).concat('connector.purge'));
    }
    expect(trail.find((e) => e.action === 'ingest-token.create')).toMatchObject({ actor: 'user:admin', target: `ingest-token:${ingestToken.slice(0, 12)}` });

    // No API can show that a credential is destroyed (the API never returns credentials, and the connector is
    // gone), so once the server has stopped its store is read directly: no connector row is left that could
    // hold one, and the sealed values are nowhere in the database files, not even in freed pages (the secret
    // key sits in the same data directory, so a leftover would be readable by anyone with a copy of it).
    stopServer();
    await serving;
    const store = openSqliteStore(sqliteFileIn(dataDir));
    try {
      expect(await store.getConnector(clusterId)).toBeUndefined();
      if (registryId) expect(await store.getConnector(registryId)).toBeUndefined();
      expect((await store.listConnectors()).filter((c) => c.secrets !== null)).toEqual([]);
    } finally {
      await store.close();
    }
    const files = readdirSync(dataDir).filter((f) => f.startsWith(basename(sqliteFileIn(dataDir))));
    expect(files.length).toBeGreaterThan(0);
    for (const f of files) {
      const bytes = readFileSync(join(dataDir, f));
      for (const s of sealed) expect(bytes.includes(Buffer.from(s)), `${f} still holds a destroyed credential`).toBe(false);
    }
  });
});
