/**
 * List latency of the server API with a large inventory: 100 clusters x 500 workloads (with their
 * namespaces, containers, images, service accounts, relations, findings and score points, and a scan of each
 * image they run with its vulnerabilities) inserted through the Store, then each list endpoint under 50
 * concurrent clients (autocannon) for a few seconds: p50 and p99 latency and requests per second, on SQLite
 * and on PostgreSQL (when installed, see test/helpers/postgres.ts). The server runs in a child process, so
 * the load generator does not share its event loop. Each line ends with the p50 ratio to `GET /healthz` under the same load in the same run.
 *
 *   npm run bench:api [-- --clusters 100 --workloads 500 --seconds 5 --only sqlite|postgres]
 */
import { fork, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import autocannon from 'autocannon';
import { postgresUnavailable, startPostgres } from '../test/helpers/postgres.js';
import { secretBox } from '../src/app/secrets.js';
import { addUser, createToken } from '../src/app/users.js';
import { openPostgresStore } from '../src/storage/postgres/index.js';
import { openSqliteStore } from '../src/storage/sqlite/index.js';
import type { Store } from '../src/storage/store.js';

function arg(name: string, def: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1]! : def;
}

const CLUSTERS = Number(arg('clusters', '100'));
const WORKLOADS = Number(arg('workloads', '500'));
const SECONDS = Number(arg('seconds', '5'));
const CONNECTIONS = 50;
const ONLY = arg('only', '');
const NAMESPACES = 20;
const CHECKS = ['PAL-K8S-001', 'PAL-K8S-002', 'PAL-K8S-005', 'PAL-K8S-010', 'PAL-K8S-013', 'PAL-K8S-021', 'PAL-K8S-030', 'PAL-K8S-044'];
const SEVERITY = ['critical', 'high', 'high', 'medium', 'medium', 'medium', 'low', 'low'];
const KINDS = ['Deployment', 'Deployment', 'Deployment', 'StatefulSet', 'DaemonSet', 'CronJob'];
const VULNS_PER_IMAGE = 100;
const CVES = 3000;

/** Child mode: serve the API on the given store and report the address. */
if (process.argv[2] === '--serve') {
  const spec = JSON.parse(process.argv[3]!) as { sqlite?: string; postgres?: string };
  const { buildApp } = await import('../src/api/server.js');
  const store = spec.postgres ? openPostgresStore(spec.postgres, { maxConnections: 20 }) : openSqliteStore(spec.sqlite!);
  await store.migrate();
  const app = await buildApp({ store, secrets: secretBox(randomBytes(32)) });
  const address = await app.listen({ host: '127.0.0.1', port: 0 });
  process.send!({ address });
  process.on('message', async () => {
    await app.close();
    await store.close();
    process.exit(0);
  });
} else {
  await run();
}

/**
 * Waits until the server has worked off the requests of the previous case that were still in flight when it
 * ended (their clients are gone, the handlers are not): until `/healthz` answers quickly five times in a row
 * (a queued handler that runs a query delays it), at most a minute.
 */
async function drain(address: string): Promise<void> {
  const until = Date.now() + 60_000;
  for (let quick = 0; quick < 5 && Date.now() < until; ) {
    const t = performance.now();
    await fetch(`${address}/healthz`).then((r) => r.text());
    quick = performance.now() - t < 20 ? quick + 1 : 0;
  }
}

/** One cluster's inventory: what a sync of a cluster with `WORKLOADS` workloads stores. */
async function seedCluster(store: Store, n: number, at: string): Promise<{ id: string; assets: number }> {
  const c = await store.createConnector({ kind: 'cluster', name: `cluster-${String(n).padStart(3, '0')}`, config: { context: `ctx-${n}`, server: `https://10.0.${n}.1:6443`, scope: {} }, secrets: null });
  const assets: Array<{ connectorId: string; type: string; key: string; attributes: Record<string, unknown> }> = [
    { connectorId: c.id, type: 'cluster', key: `cluster/${c.name}`, attributes: { server: `https://10.0.${n}.1:6443` } },
  ];
  for (let s = 0; s < NAMESPACES; s++) {
    assets.push({ connectorId: c.id, type: 'namespace', key: `Namespace/team-${s}`, attributes: { labels: { team: `t${s}` } } });
    assets.push({ connectorId: c.id, type: 'service-account', key: `team-${s}/ServiceAccount/default`, attributes: {} });
  }
  for (let i = 0; i < WORKLOADS; i++) {
    const ns = `team-${i % NAMESPACES}`;
    const kind = KINDS[i % KINDS.length]!;
    const image = `registry.example.com/team-${i % NAMESPACES}/svc-${i % 60}:1.${i % 7}`;
    assets.push({ connectorId: c.id, type: 'workload', key: `${ns}/${kind}/svc-${i}`, attributes: { kind, replicas: 1 + (i % 3), labels: { app: `svc-${i}` } } });
    assets.push({ connectorId: c.id, type: 'container', key: `${ns}/${kind}/svc-${i}/app`, attributes: { image } });
    assets.push({ connectorId: c.id, type: 'image', key: image, attributes: { reference: image, repository: `registry.example.com/team-${i % NAMESPACES}/svc-${i % 60}`, tag: `1.${i % 7}`, digest: null } });
  }
  const rows = await store.upsertAssets(assets, at);
  const id = new Map(rows.map((r) => [`${r.type} ${r.key}`, r.id]));
  const relations = [];
  const findings = [];
  for (let i = 0; i < WORKLOADS; i++) {
    const ns = `team-${i % NAMESPACES}`;
    const kind = KINDS[i % KINDS.length]!;
    const w = id.get(`workload ${ns}/${kind}/svc-${i}`)!;
    const ctr = id.get(`container ${ns}/${kind}/svc-${i}/app`)!;
    const img = id.get(`image registry.example.com/team-${i % NAMESPACES}/svc-${i % 60}:1.${i % 7}`)!;
    relations.push({ fromAsset: id.get(`namespace Namespace/${ns}`)!, toAsset: w, kind: 'contains' });
    relations.push({ fromAsset: w, toAsset: ctr, kind: 'contains' });
    relations.push({ fromAsset: w, toAsset: img, kind: 'runs' });
    relations.push({ fromAsset: w, toAsset: id.get(`service-account ${ns}/ServiceAccount/default`)!, kind: 'uses' });
    // Three findings a workload on average, as a scan of typical charts gives.
    for (let k = 0; k < 3; k++) {
      const j = (i * 3 + k + n) % CHECKS.length;
      findings.push({ assetId: w, checkId: CHECKS[j]!, severity: SEVERITY[j]!, path: `spec.template.spec.containers[0].securityContext.f${k}`, message: 'finding' });
    }
  }
  await store.putRelations(relations);
  await store.upsertFindings(findings, at);
  await store.appendScore({ scope: `connector:${c.id}`, at, score: 40 + (n % 50) });
  await store.refreshImageExposure(c.id);
  return { id: c.id, assets: id.size };
}

/**
 * The scans of the images the clusters run (each reference once; 420 with the default sizes): `VULNS_PER_IMAGE`
 * vulnerabilities each out of a pool of `CVES`, so the by-CVE view groups rows shared by many images.
 */
async function seedImages(store: Store, at: string): Promise<number> {
  const refs = new Set<string>();
  for (let i = 0; i < WORKLOADS; i++) refs.add(`registry.example.com/team-${i % NAMESPACES}/svc-${i % 60}:1.${i % 7}`);
  let rows = 0;
  let n = 0;
  for (const reference of refs) {
    const digest = `sha256:${n.toString(16).padStart(64, '0')}`;
    const vulns = Array.from({ length: VULNS_PER_IMAGE }, (_, k) => {
      const cve = (n * 37 + k * 101) % CVES;
      const sev = ['critical', 'high', 'medium', 'low'][cve % 4]!;
      return { digest, vulnId: `CVE-2025-${String(10000 + cve)}`, package: `pkg-${cve % 300}`, installedVersion: '1.0.0', packagePath: '', ecosystem: 'debian', fixedVersion: cve % 3 ? '1.0.1' : null, status: cve % 3 ? 'fixed' : 'affected', severity: sev, title: `issue ${cve}`, aliases: [], primaryUrl: null, layer: null };
    });
    await store.putImageScan({ digest, reference, platform: 'linux/amd64', os: null, packages: [], layers: [], packageCount: 300, scannedAt: at, matchedAt: at, dbUpdatedAt: null }, vulns);
    await store.putImageReference({ reference, digest, status: 'ok', errorCode: null, error: null, attemptedAt: at, succeededAt: at });
    rows += vulns.length;
    n++;
  }
  return rows;
}

interface Case {
  name: string;
  path: string;
}

interface Measured {
  p50: number;
  p99: number;
  rps: number;
  errors: number;
  timeouts: number;
}

function measure(url: string, token: string): Promise<Measured> {
  return new Promise((resolve, reject) => {
    autocannon({ url, connections: CONNECTIONS, duration: SECONDS, timeout: 30, headers: { authorization: `Bearer ${token}` } }, (err, r) => {
      if (err) return reject(err);
      resolve({ p50: r.latency.p50, p99: r.latency.p99, rps: r.requests.average, errors: r.errors - r.timeouts + r.non2xx, timeouts: r.timeouts });
    });
  });
}

async function startServer(spec: { sqlite?: string; postgres?: string }): Promise<{ address: string; child: ChildProcess }> {
  const child = fork(import.meta.filename, ['--serve', JSON.stringify(spec)], { execArgv: ['--import', 'tsx'], stdio: 'inherit' });
  const address = await new Promise<string>((resolve, reject) => {
    child.once('message', (m) => resolve((m as { address: string }).address));
    child.once('exit', (code) => reject(new Error(`server exited with ${code}`)));
  });
  return { address, child };
}

async function bench(label: string, store: Store, spec: { sqlite?: string; postgres?: string }): Promise<void> {
  const t0 = performance.now();
  await store.migrate();
  const at = new Date().toISOString();
  const ids: string[] = [];
  let assets = 0;
  for (let n = 0; n < CLUSTERS; n++) {
    const seeded = await seedCluster(store, n, at);
    ids.push(seeded.id);
    assets += seeded.assets;
  }
  await store.appendScore({ scope: 'overall', at, score: 61.5 });
  const vulnerabilities = await seedImages(store, at);
  const system = { name: 'system', role: 'owner' as const };
  const owner = await addUser(store, system, { username: 'bench', role: 'owner', password: 'bench-password-1234' });
  const token = (await createToken(store, system, { userId: owner.id, name: 'bench', role: 'owner' })).token;
  // A Reader of ten connectors only: the same lists, filtered to what it may read.
  const scoped = await addUser(store, system, { username: 'scoped', role: 'reader', password: 'bench-password-1234' });
  await store.setGlobalAccess({ kind: 'user', id: scoped.id }, false);
  for (const id of ids.slice(0, 10)) await store.putRoleBinding({ subjectKind: 'user', subjectId: scoped.id, connectorId: id, role: 'reader', createdBy: 'bench' });
  const scopedToken = (await createToken(store, system, { userId: scoped.id, name: 'bench', role: 'reader' })).token;
  console.log(`${label}: seeded ${CLUSTERS} clusters x ${WORKLOADS} workloads (${assets} assets, ${CLUSTERS * WORKLOADS * 3} findings, ${CLUSTERS * WORKLOADS * 4} relations, ${vulnerabilities} image vulnerabilities) in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  await store.close();

  const { address, child } = await startServer(spec);
  try {
    const one = ids[CLUSTERS >> 1]!;
    const cases: Array<Case & { token?: string }> = [
      { name: 'healthz (baseline)', path: '/healthz' },
      { name: 'assets page', path: '/api/v1/assets?limit=100' },
      { name: 'assets workloads of one cluster', path: `/api/v1/assets?type=workload&connector=${one}&limit=100` },
      { name: 'assets namespace + text', path: `/api/v1/assets?namespace=team-3&q=svc-1&limit=100` },
      { name: 'recommendations', path: '/api/v1/recommendations' },
      { name: 'recommendations one cluster', path: `/api/v1/recommendations?connector=${one}` },
      { name: 'recommendation affected page', path: `/api/v1/recommendations/${CHECKS[1]}?limit=100` },
      { name: 'vulnerabilities by CVE', path: '/api/v1/vulnerabilities?view=cve&limit=100' },
      { name: 'connectors', path: '/api/v1/connectors' },
      { name: 'score', path: '/api/v1/score' },
      { name: 'assets page (Reader of 10 connectors)', path: '/api/v1/assets?limit=100', token: scopedToken },
      { name: 'recommendations (Reader of 10)', path: '/api/v1/recommendations', token: scopedToken },
    ];
    let base = 0;
    for (const c of cases) {
      await drain(address);
      const m = await measure(`${address}${c.path}`, c.token ?? token);
      if (!base) base = Math.max(m.p50, 0.5);
      console.log(
        `${label.padEnd(10)} ${c.name.padEnd(40)} p50 ${String(m.p50).padStart(6)} ms  p99 ${String(m.p99).padStart(6)} ms  ${m.rps.toFixed(0).padStart(6)} req/s  ${m.errors ? `${m.errors} errors  ` : ''}${m.timeouts ? `${m.timeouts} timeouts  ` : ''}p50/healthz ${(m.p50 / base).toFixed(1)}`,
      );
    }
  } finally {
    child.send('stop');
    await new Promise((r) => child.once('exit', r));
  }
}

async function run(): Promise<void> {
  console.log(`API list latency: ${CLUSTERS} clusters x ${WORKLOADS} workloads, ${CONNECTIONS} concurrent clients, ${SECONDS} s per endpoint (autocannon)`);
  if (ONLY !== 'postgres') {
    const dir = mkdtempSync(join(tmpdir(), 'palisade-bench-api-'));
    try {
      const file = join(dir, 'palisade.db');
      await bench('sqlite', openSqliteStore(file), { sqlite: file });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
  if (ONLY === 'sqlite') return;
  const skip = postgresUnavailable();
  if (skip) return void console.log(`postgres: ${skip}`);
  const pg = await startPostgres();
  try {
    const url = await pg.createDatabase('bench');
    await bench('postgres', openPostgresStore(url), { postgres: url });
  } finally {
    await pg.stop();
  }
}
