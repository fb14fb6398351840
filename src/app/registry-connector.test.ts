/**
 * Registry connectors and the vulnerabilities of images in the server, through the HTTP API: onboarding with
 * its preflight, catalog and tag discovery with patterns, scans matched against a generated vulnerability
 * database, the images a cluster runs (fake Kubernetes API server) joined to their scans, ordering, the
 * schedule and matching again after a database update. Against Debian's real `docker-registry`.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeKubeApiServer, type FakeKubeApiServer, type FakeObject } from '../../test/helpers/fake-kube-apiserver.js';
import { image, layer, type BuiltImage } from '../../test/helpers/oci-image.js';
import { freePort, hasOpenssl, hasRegistry, makeCertificates, pushImage, startRegistry, startTokenServer, type RunningRegistry } from '../../test/helpers/registry.js';
import { DEBIAN_FIXTURES, sampleAdvisories, writeSampleImage } from '../../test/helpers/vuln-db.js';
import { buildApp } from '../api/server.js';
import { listRepositories, listTags, nextLink } from '../inputs/image/index.js';
import { openSqliteStore } from '../storage/sqlite/index.js';
import { openVulnDb } from '../storage/vulndb/index.js';
import type { Store } from '../storage/store.js';
import { createImageScanning, type ImageScanning } from './registry-connector-scheduler.js';
import { matchesPatterns, registryPreflight, registrySettings } from './registry-connector.js';
import { secretBox } from './secrets.js';
import { addUser, createToken } from './users.js';

const USER = 'palisade-robot';
const PASSWORD = 'robot-secret-5b2e9c';
const KUBE_TOKEN = 'kube-token-for-registry-tests';
const skip = hasRegistry() ? false : `${'/usr/bin/docker-registry'} is not installed (apt-get install docker-registry)`;
if (skip) console.warn(`registry connector tests skipped: ${skip}`);

let dir: string;
let dbPath: string;
let store: Store;
let app: FastifyInstance;
let scanning: ImageScanning;
let registry: RunningRegistry;
let kube: FakeKubeApiServer;
let token: string;
let appImage: BuiltImage;
let toolImage: BuiltImage;
let unreachable: string;

/** Writes the sample advisories (Debian openssl and zlib, npm lodash) as one generated database, plus `extra` rows. */
function writeVulnDb(updatedAt: string, extra: { vulnerabilities?: ReturnType<typeof sampleAdvisories>['vulnerabilities']; affected?: ReturnType<typeof sampleAdvisories>['affected'] } = {}): void {
  const data = sampleAdvisories(updatedAt);
  const db = openVulnDb(dbPath, { create: true });
  try {
    for (const source of data.sources) {
      const rows = { vulnerabilities: [...data.vulnerabilities, ...(extra.vulnerabilities ?? [])], affected: [...data.affected, ...(extra.affected ?? [])].filter((a) => a.source === source.id) };
      db.replaceDocument(source, 'all', { url: `file:///${source.id}`, digest: `sha256:${source.id}-${updatedAt}`, importedAt: updatedAt, vulnerabilities: rows.vulnerabilities.length, affected: rows.affected.length }, rows);
    }
  } finally {
    db.close();
  }
}

const debianFiles = () => [
  { name: 'etc/os-release', content: readFileSync(DEBIAN_FIXTURES.osRelease) },
  { name: 'etc/debian_version', content: readFileSync(DEBIAN_FIXTURES.debianVersion) },
  { name: 'var/lib/dpkg/status', content: readFileSync(DEBIAN_FIXTURES.dpkgStatus) },
];

const auth = () => ({ authorization: `Basic ${Buffer.from(`${USER}:${PASSWORD}`).toString('base64')}` });
const push = (repository: string, im: BuiltImage, tag: string) => pushImage({ url: registry.url, repository, ...auth() }, im, tag);

/** The cluster: a web Deployment behind a LoadBalancer running the app image, a worker running the tool image unexposed, and one whose registry does not answer. */
function clusterObjects(): FakeObject[] {
  const deployment = (name: string, img: string): FakeObject => ({
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace: 'shop', labels: { app: name } },
    spec: { replicas: 1, selector: { matchLabels: { app: name } }, template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'main', image: img }] } } },
  });
  return [
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'shop' } },
    deployment('web', `${registry.host}/team/app:1.0`),
    deployment('worker', `${registry.host}/team/tool:2.0`),
    deployment('ghost', unreachable),
    { apiVersion: 'v1', kind: 'Service', metadata: { name: 'web', namespace: 'shop' }, spec: { type: 'LoadBalancer', selector: { app: 'web' }, ports: [{ port: 80 }] } },
    { apiVersion: 'v1', kind: 'Service', metadata: { name: 'worker', namespace: 'shop' }, spec: { type: 'ClusterIP', selector: { app: 'worker' }, ports: [{ port: 80 }] } },
  ];
}

beforeAll(async () => {
  if (skip) return;
  dir = mkdtempSync(join(tmpdir(), 'palisade-registry-connector-'));
  dbPath = join(dir, 'vuln.db');
  writeVulnDb('2026-02-28T00:00:00Z');
  registry = await startRegistry({ auth: { htpasswd: { username: USER, password: PASSWORD } } });
  appImage = await writeSampleImage(join(dir, 'app-layout'));
  toolImage = image([await layer(debianFiles())], { history: [{ created_by: 'ADD rootfs.tar /' }] });
  const other = image([await layer([{ name: 'etc/motd', content: 'other' }])]);
  await push('team/app', appImage, '1.0');
  await push('team/app', appImage, '1.1');
  await push('team/app', other, 'dev-7');
  await push('team/tool', toolImage, '2.0');
  await push('other/thing', other, '1');
  unreachable = `127.0.0.1:${await freePort()}/ghost/app:1`;

  store = openSqliteStore(join(dir, 'palisade.db'));
  await store.migrate();
  const system = { name: 'system', role: 'owner' as const };
  const u = await addUser(store, system, { username: 'owner', role: 'owner', password: 'a-long-enough-password' });
  token = (await createToken(store, system, { userId: u.id, name: 'owner', role: 'owner' })).token;
  const secrets = secretBox(randomBytes(32));
  scanning = createImageScanning({ store, secrets }, { dbPath, registryDefaults: { attempts: 1, backoffMs: 0, timeoutMs: 5000 } });
  await scanning.scans.start();
  app = await buildApp({ store, validateResponses: true, secrets, images: scanning.scans });
  kube = await startFakeKubeApiServer({ token: KUBE_TOKEN, objects: clusterObjects() });
}, 60_000);

afterAll(async () => {
  if (skip) return;
  await scanning?.stop();
  await app?.close();
  await kube?.close();
  await store?.close();
  await registry?.stop();
  rmSync(dir, { recursive: true, force: true });
});

const call = (method: 'GET' | 'POST' | 'DELETE', url: string, payload?: unknown) => app.inject({ method, url, headers: { authorization: `Bearer ${token}` }, payload: payload as Record<string, unknown> });
const registryBody = (extra: Record<string, unknown> = {}) => ({
  kind: 'registry',
  name: 'lab-registry',
  url: registry.url,
  plainHttp: true,
  auth: { username: USER, password: PASSWORD },
  repositories: { include: ['team/*'] },
  tags: { exclude: ['dev-*'] },
  ...extra,
});

describe.skipIf(skip)('registry connectors', () => {
  it('pages the catalog and the tags with n and the Link header', async () => {
    const opts = { insecure: true, username: USER, password: PASSWORD };
    expect(await listRepositories(registry.host, opts, { pageSize: 1 })).toEqual(['other/thing', 'team/app', 'team/tool']);
    expect((await listTags(registry.host, 'team/app', opts, { pageSize: 2 })).sort()).toEqual(['1.0', '1.1', 'dev-7']);
    expect(nextLink('</v2/_catalog?last=b&n=1>; rel="next"')).toBe('/v2/_catalog?last=b&n=1');
    expect(nextLink(undefined)).toBeUndefined();
    expect(matchesPatterns('team/app', { include: ['team/*'] })).toBe(true);
    expect(matchesPatterns('team/sub/app', { include: ['team/*'] })).toBe(false);
    expect(matchesPatterns('team/sub/app', { include: ['team/**'] })).toBe(true);
    expect(matchesPatterns('dev-7', { exclude: ['dev-*'] })).toBe(false);
  });

  it('refuses a registry whose preflight fails, naming each failure and what to do, and saves nothing', async () => {
    const bad = await call('POST', '/api/v1/connectors', registryBody({ auth: { username: USER, password: 'wrong-password' } }));
    expect(bad.statusCode, bad.body).toBe(422);
    const body = bad.json();
    expect(body.error).toBe('registry_preflight_failed');
    expect(body.preflight.checks).toEqual([expect.objectContaining({ name: 'catalog', ok: false, fix: expect.stringMatching(/registry:catalog:\*.*repositories\.include/) })]);
    expect(body.message).toMatch(/catalog: listing the catalog failed: .*unauthorized/);
    expect(bad.body).not.toContain('wrong-password');

    const none = await call('POST', '/api/v1/connectors', registryBody({ repositories: { include: ['nobody/*'] } }));
    expect(none.statusCode).toBe(422);
    expect(none.json().preflight.checks[1]).toMatchObject({ name: 'tags', ok: false, detail: 'no repository matches repositories.include / exclude' });

    const gone = await call('POST', '/api/v1/connectors', registryBody({ url: `http://127.0.0.1:${await freePort()}` }));
    expect(gone.statusCode).toBe(422);
    expect(gone.json().preflight.checks[0].fix).toMatch(/reachable from the Palisade server/);

    const plain = await call('POST', '/api/v1/connectors', registryBody({ plainHttp: undefined }));
    expect(plain.statusCode).toBe(400);
    expect(plain.json().message).toMatch(/plainHttp: true/);
    expect(await store.listConnectors()).toEqual([]);
    expect((await store.listAudit({ action: 'connector.refuse' })).items).toHaveLength(3);
  });

  let registryId: string;
  let appDigest: string;

  it('onboards a registry after its catalog and pull checks, keeping the credentials encrypted', async () => {
    const res = await call('POST', '/api/v1/connectors', registryBody());
    expect(res.statusCode, res.body).toBe(201);
    const { connector, preflight } = res.json();
    expect(preflight).toMatchObject({ ok: true, registry: registry.host, repositories: 2, sample: expect.stringMatching(/\/team\/app:1\.[01]$/) });
    expect(preflight.checks.map((c: { name: string; ok: boolean }) => `${c.name}:${c.ok}`)).toEqual(['catalog:true', 'tags:true', 'pull:true']);
    expect(connector).toMatchObject({ kind: 'registry', name: 'lab-registry', hasCredentials: true, config: { host: registry.host, plainHttp: true, rescanIntervalMs: 86_400_000 } });
    expect(res.body).not.toContain(PASSWORD);
    const row = (await store.getConnector(connector.id))!;
    expect(JSON.stringify(row)).not.toContain(PASSWORD);
    expect(row.secrets).toMatch(/^v1:/);
    registryId = connector.id;

    const again = await call('POST', `/api/v1/connectors/${registryId}/preflight`);
    expect(again.statusCode).toBe(200);
    expect(again.json()).toMatchObject({ ok: true, repositories: 2 });
  });

  it('syncs the catalog and tags through the patterns, and scans each new image once per digest', async () => {
    const res = await call('POST', `/api/v1/connectors/${registryId}/sync`);
    expect(res.statusCode, res.body).toBe(200);
    // team/app (1.0 and 1.1: one digest; dev-7 excluded) and team/tool; other/thing is not included.
    expect(res.json()).toMatchObject({ repositories: 2, tags: 3, images: 2, queued: 2, errors: [] });
    await scanning.scans.idle();

    const repos = (await call('GET', `/api/v1/assets?type=repository&connector=${registryId}`)).json().items;
    expect(repos.map((a: { key: string }) => a.key).sort()).toEqual([`${registry.host}/team/app`, `${registry.host}/team/tool`]);
    const images = (await call('GET', `/api/v1/assets?type=image&connector=${registryId}`)).json().items as Array<{ id: string; key: string; attributes: Record<string, unknown> }>;
    const appAsset = images.find((a) => (a.attributes.tags as string[]).includes('1.0'))!;
    expect(appAsset.attributes).toMatchObject({ tags: ['1.0', '1.1'], repository: `${registry.host}/team/app`, vulnerabilities: { status: 'ok', total: 4, critical: 1, fixable: 3 } });
    appDigest = appAsset.attributes.digest as string;
    expect(appDigest).toBe(appImage.manifestDigest);
    const detail = (await call('GET', `/api/v1/assets/${appAsset.id}`)).json();
    expect(detail.relations).toContainEqual({ kind: 'contains', direction: 'in', asset: expect.objectContaining({ type: 'repository', key: `${registry.host}/team/app` }) });

    const rows = (await call('GET', `/api/v1/vulnerabilities?view=rows&image=${appDigest}`)).json();
    expect(rows.items.map((r: { vulnId: string }) => r.vulnId).sort()).toEqual(['CVE-2023-45853', 'CVE-2023-5678', 'CVE-2024-0727', 'GHSA-35jh-r3h4-6jhm']);
    expect(rows.items.find((r: { vulnId: string }) => r.vulnId === 'GHSA-35jh-r3h4-6jhm')).toMatchObject({ package: 'lodash', installedVersion: '4.17.20', fixedVersion: '4.17.21', packagePath: '/app/node_modules/lodash/package.json', layer: { index: 1, createdBy: 'COPY app /app' } });
    // The tags resolve to the scanned digest too, so a cluster running `team/app:1.1` meets this scan.
    expect((await store.getImageReference(`${registry.host}/team/app:1.1`))?.digest).toBe(appDigest);

    const one = (await call('GET', `/api/v1/vulnerabilities/images/${appDigest}`)).json();
    expect(one).toMatchObject({ digest: appDigest, platform: 'linux/amd64', os: { family: 'debian' }, total: 4, packageCount: expect.any(Number) });
    expect(one.vulnerabilities).toHaveLength(4);

    // Nothing new: nothing queued. A new tag with a new digest: one image queued.
    expect((await call('POST', `/api/v1/connectors/${registryId}/sync`)).json()).toMatchObject({ images: 2, queued: 0 });
    const fixed = image([appImage.layers[0], await layer([{ name: 'app/node_modules/lodash/package.json', content: JSON.stringify({ name: 'lodash', version: '4.17.21' }) }])]);
    await push('team/app', fixed, '1.2');
    expect((await call('POST', `/api/v1/connectors/${registryId}/sync`)).json()).toMatchObject({ tags: 4, images: 3, queued: 1 });
    await scanning.scans.idle();
    expect((await store.listImageVulnerabilities({ image: fixed.manifestDigest })).items.map((v) => v.vulnId).sort()).toEqual(['CVE-2023-45853', 'CVE-2023-5678', 'CVE-2024-0727']);
  });

  it('scans every image a cluster runs, joins it to its workloads, and puts exposed running images first', async () => {
    const onboard = await call('POST', '/api/v1/connectors', { kind: 'cluster', name: 'lab', kubeconfig: kube.kubeconfig('lab'), context: 'lab' });
    expect(onboard.statusCode, onboard.body).toBe(201);
    const clusterId = onboard.json().connector.id as string;
    const sync = await call('POST', `/api/v1/connectors/${clusterId}/sync`);
    expect(sync.statusCode, sync.body).toBe(200);
    await scanning.scans.idle();

    const view = (await call('GET', '/api/v1/vulnerabilities?view=image')).json();
    const first = view.items.slice(0, 2);
    expect(first.map((i: { digest: string }) => i.digest)).toEqual([appDigest, toolImage.manifestDigest]);
    expect(first[0]).toMatchObject({ running: true, exposed: true, workloads: 1, total: 4 });
    expect(first[0].references.map((r: { reference: string }) => r.reference)).toContain(`${registry.host}/team/app:1.0`);
    expect(first[1]).toMatchObject({ running: true, exposed: false, total: 3 });
    // The image whose registry does not answer is listed with its error, never as clean.
    const ghost = view.items.find((i: { image: string }) => i.image === unreachable);
    expect(ghost).toMatchObject({ digest: null, total: 0, running: true, references: [{ status: 'error', errorCode: 'E_IMAGE_NETWORK' }] });
    expect(ghost.references[0].error).toMatch(/^registry 127\.0\.0\.1:\d+ unreachable: .*onboard it as a registry connector/);

    const running = (await call('GET', `/api/v1/vulnerabilities?view=image&connector=${clusterId}&running=true&exposed=true`)).json();
    expect(running.items.map((i: { image: string }) => i.image)).toEqual([appDigest]);
    const cves = (await call('GET', '/api/v1/vulnerabilities?view=cve&severity=high')).json();
    expect(cves.items[0]).toMatchObject({ vulnId: 'CVE-2023-45853', severity: 'critical', exposedImages: 1, runningImages: 2 });
    expect(cves.items.map((c: { vulnId: string }) => c.vulnId)).toEqual(['CVE-2023-45853', 'GHSA-35jh-r3h4-6jhm']);

    // The workload's image asset carries its scan (the `image has vulnerabilities` join).
    const clusterImages = (await call('GET', `/api/v1/assets?type=image&connector=${clusterId}`)).json().items as Array<{ key: string; attributes: Record<string, unknown> }>;
    expect(clusterImages.find((a) => a.key === `${registry.host}/team/app:1.0`)?.attributes.vulnerabilities).toMatchObject({ status: 'ok', digest: appDigest, total: 4 });
    expect(clusterImages.find((a) => a.key === unreachable)?.attributes.vulnerabilities).toMatchObject({ status: 'error', total: 0, error: expect.stringMatching(/unreachable/) });

    // A scheduled cluster sync queues the running images the same way.
    let listener: ((id: string, r: { ok: boolean }) => void) | undefined;
    const fresh = createImageScanning({ store, secrets: secretBox(randomBytes(32)) }, { dbPath, tickMs: 3_600_000, registryDefaults: { attempts: 1 } });
    await fresh.start({ onSync: (l) => ((listener = l), () => undefined) });
    try {
      const before = (await store.getImageReference(`${registry.host}/team/tool:2.0`))!.attemptedAt;
      listener!(clusterId, { ok: true });
      await new Promise((r) => setTimeout(r, 50));
      await fresh.scans.idle();
      expect((await store.getImageReference(`${registry.host}/team/tool:2.0`))!.attemptedAt > before).toBe(true);
    } finally {
      await fresh.stop();
    }

    // A connector's excludeImages globs leave matching running images out of scanning.
    await scanning.scans.idle();
    expect(await scanning.scans.queueRunningImages(clusterId)).toBe(3);
    await scanning.scans.idle();
    await store.updateConnector(clusterId, { config: { ...(await store.getConnector(clusterId))!.config, scope: { excludeImages: [`${registry.host}/team/tool:*`, unreachable] } } });
    expect(await scanning.scans.queueRunningImages(clusterId)).toBe(1);
    await scanning.scans.idle();
  });

  it('rescans registries on their schedule, ticked without waiting', async () => {
    const lastSync = async () => ((await store.getConnector(registryId))!.config.lastSync as { at: string }).at;
    const before = await lastSync();
    const hour = 3_600_000;
    await scanning.scheduler.tick(new Date(Date.now() + hour));
    await scanning.scans.idle();
    expect(await lastSync()).toBe(before);
    await scanning.scheduler.tick(new Date(Date.now() + 25 * hour));
    await scanning.scans.idle();
    expect(await lastSync()).not.toBe(before);

    // A shorter interval per connector.
    const c = (await store.getConnector(registryId))!;
    await store.updateConnector(registryId, { config: { ...c.config, rescanIntervalMs: 2 * hour } });
    const mid = await lastSync();
    await scanning.scheduler.tick(new Date(Date.now() + 3 * hour));
    await scanning.scans.idle();
    expect(await lastSync()).not.toBe(mid);
  });

  it('matches every stored image again after a database update, without pulling anything', async () => {
    await registry.stop();
    writeVulnDb('2026-03-15T00:00:00Z', {
      vulnerabilities: [{ id: 'CVE-2026-1111', aliases: [], title: 'New lodash flaw', severity: 'critical', cvss: [], references: [] }],
      affected: [{ vulnerabilityId: 'CVE-2026-1111', namespace: 'npm', package: 'lodash', status: 'fixed', fixedVersion: '4.17.22', source: 'osv:npm' }],
    });
    await scanning.scheduler.tick();
    const cve = (await call('GET', '/api/v1/vulnerabilities?view=cve&cve=CVE-2026-1111')).json();
    // The app image (lodash 4.17.20) and the fixed one (4.17.21) both have it now; the app image runs exposed.
    expect(cve.items).toEqual([expect.objectContaining({ vulnId: 'CVE-2026-1111', severity: 'critical', images: 2, runningImages: 1, exposedImages: 1, fixedVersions: ['4.17.22'] })]);
    expect((await store.getImageScan(appDigest))?.dbUpdatedAt).toBe('2026-03-15T00:00:00Z');
    expect(await store.listImageScanDigests({ notMatchedAt: '2026-03-15T00:00:00Z' })).toEqual([]);
  });
});

describe.skipIf(skip || !hasOpenssl())('registry credentials', () => {
  it('passes the preflight with a static bearer token, and names the refused pull when the token lacks it', async () => {
    const certs = await makeCertificates();
    const tokens = await startTokenServer(certs, { [USER]: PASSWORD });
    const reg = await startRegistry({ auth: { token: { realm: tokens.realm, service: tokens.service, issuer: tokens.issuer, rootCertBundle: certs.tokenCert } } });
    try {
      await pushImage({ url: reg.url, repository: 'team/app', authorization: `Bearer ${tokens.issue('repository:team/app:pull,push')}` }, image([await layer([{ name: 'etc/motd', content: 'hi' }])]), '1.0');
      const settings = registrySettings({ name: 'tok', url: reg.url, plainHttp: true });
      const good = await registryPreflight(settings, { token: tokens.issue('registry:catalog:* repository:team/app:pull') }, { attempts: 1 });
      expect(good.checks.map((c) => `${c.name}:${c.ok}`)).toEqual(['catalog:true', 'tags:true', 'pull:true']);
      const catalogOnly = await registryPreflight(settings, { token: tokens.issue('registry:catalog:*') }, { attempts: 1 });
      expect(catalogOnly.ok).toBe(false);
      expect(catalogOnly.checks.at(-1)).toMatchObject({ name: 'tags', ok: false, fix: expect.stringMatching(/pull access/) });
      // User and password go through the token server, which grants what the registry asks for.
      const basic = await registryPreflight(settings, { username: USER, password: PASSWORD }, { attempts: 1 });
      expect(basic.ok).toBe(true);
      expect(tokens.requests.some((r) => r.scope === 'registry:catalog:*' && r.authenticated)).toBe(true);
    } finally {
      await reg.stop();
      await tokens.stop();
      rmSync(certs.dir, { recursive: true, force: true });
    }
  });
});
