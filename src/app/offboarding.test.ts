import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { appendFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startFakeKubeApiServer, type FakeKubeApiServer } from '../../test/helpers/fake-kube-apiserver.js';
import { openSqliteStore } from '../storage/sqlite/index.js';
import type { ConnectorRow, Store } from '../storage/store.js';
import { onboardCluster, syncConnector } from './connectors.js';
import { InProcessQueue } from './jobs.js';
import { serviceAccountOfToken } from './offboarding-access.js';
import { verifyBundle } from './offboarding-bundle.js';
import {
  executeOffboarding,
  getOffboardingReport,
  listInactiveConnectors,
  OFFBOARDING_STEPS,
  OffboardingError,
  planOffboarding,
  purgeDueOffboardings,
  purgeOffboardedConnector,
  type MonitoringControl,
  type OffboardingEnv,
} from './offboarding.js';
import { SyncScheduler } from './scheduler.js';
import { secretBox } from './secrets.js';

const box = secretBox(randomBytes(32));
const owner = { name: 'user:alice', role: 'owner' as const, source: '10.0.0.7' };
const DAY = 86_400_000;
const T0 = new Date('2026-01-01T00:00:00Z');

/** A service-account token as kube-apiserver issues them (the signature is not checked by what reads it). */
function saToken(namespace: string, name: string): string {
  const part = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
  return `${part({ alg: 'RS256' })}.${part({ sub: `system:serviceaccount:${namespace}:${name}`, 'kubernetes.io': { namespace, serviceaccount: { name } } })}.c2ln`;
}

function kubeconfig(token: string): string {
  return `apiVersion: v1
kind: Config
current-context: old
clusters: [{ name: old, cluster: { server: 'https://old.example:6443' } }]
contexts: [{ name: old, context: { cluster: old, user: reader } }]
users: [{ name: reader, user: { token: '${token}' } }]
`;
}

let store: Store;
let dataDir: string;
let clock: Date;

beforeEach(async () => {
  store = openSqliteStore(':memory:');
  await store.migrate();
  dataDir = mkdtempSync(join(tmpdir(), 'palisade-offboard-'));
  clock = new Date(T0.getTime() + 45 * DAY);
});
afterEach(async () => {
  await store.close();
  rmSync(dataDir, { recursive: true, force: true });
});

const env = (extra: Partial<OffboardingEnv> = {}): OffboardingEnv => ({ store, secrets: box, dataDir, now: () => clock, ...extra });

/** A cluster connector last seen at T0 (45 days before the clock), with inventory, findings, scores, exemptions, a token and suppressions. */
async function seed(name = 'old', lastSeen = T0): Promise<{ c: ConnectorRow; tokenHash: string; exemptionIds: string[] }> {
  const created = await store.createConnector({ kind: 'cluster', name, config: { context: 'old', inCluster: false, scope: {}, lastSync: { at: lastSeen.toISOString(), ok: true } }, secrets: null });
  const c = (await store.updateConnector(created.id, { secrets: box.seal(JSON.stringify({ kubeconfig: kubeconfig(saToken('security', 'palisade-reader')) }), created.id) }))!;
  const [w, img] = await store.upsertAssets(
    [
      { connectorId: c.id, type: 'workload', key: 'shop/Deployment/web', attributes: {} },
      { connectorId: c.id, type: 'image', key: 'nginx:1.27', attributes: {} },
    ],
    lastSeen.toISOString(),
  );
  await store.putRelations([{ fromAsset: w.id, toAsset: img.id, kind: 'runs' }]);
  await store.upsertFindings([{ assetId: w.id, checkId: 'PAL-001', severity: 'high', path: 'spec.x', message: 'm' }], lastSeen.toISOString());
  await store.appendScore({ scope: `connector:${c.id}`, at: lastSeen.toISOString(), score: 72 });
  const e1 = await store.createExemption({ scope: `connector:${c.id}`, checkId: '*', reason: 'legacy', owner: 'team-a', expiresAt: null, createdBy: 'user:alice' });
  const e2 = await store.createExemption({ scope: `namespace:${name}/shop`, checkId: 'PAL-001', reason: 'vendor', owner: 'team-a', expiresAt: null, createdBy: 'user:alice' });
  await store.createExemption({ scope: '*', checkId: 'PAL-002', reason: 'global', owner: 'sec', expiresAt: null, createdBy: 'user:alice' });
  await store.createIngestToken({ connectorId: c.id, name: 'apiserver', prefix: 'pai_abcdefgh', tokenHash: `hash-${name}`, createdBy: 'user:alice' });
  await store.createSuppression({ connectorId: c.id, rule: 'PAL-RT-001', reason: 'noisy', owner: 'sec', createdBy: 'user:alice' });
  return { c, tokenHash: `hash-${name}`, exemptionIds: [e1.id, e2.id] };
}

/** Everything a dry run must leave as it was. */
async function snapshot() {
  const connectors = await store.listConnectors();
  const data = await Promise.all(connectors.map((c) => store.countConnectorData(c)));
  const tokens = await store.listIngestTokens({ includeRevoked: true });
  return { connectors, data, tokens, audit: (await store.listAudit({ limit: 1000 })).items, offboardings: await store.listOffboardings(), files: readdirSync(dataDir) };
}

describe('identify', () => {
  it('lists connectors without data or heartbeat for the period, from sync, assets and ingest activity', async () => {
    const { c } = await seed('old');
    const fresh = await seed('fresh', new Date(clock.getTime() - 2 * DAY));
    const silentSync = await seed('events-only');
    // No sync and old assets, but audit events arrived yesterday: alive.
    await store.journalAuditEvents(silentSync.c.id, [{ body: '{}', auditId: 'a', stage: 'ResponseComplete', format: 'kubernetes' }], new Date(clock.getTime() - DAY).toISOString());
    const inactive = await listInactiveConnectors(env());
    expect(inactive.map((s) => s.connector.name)).toEqual(['old']);
    expect(inactive[0]).toMatchObject({ connector: { id: c.id }, idleDays: 45, inactive: true, thresholdDays: 30, lastActivityAt: T0.toISOString() });
    expect((await listInactiveConnectors(env(), 60)).map((s) => s.connector.name)).toEqual([]);
    expect((await listInactiveConnectors(env(), 2)).map((s) => s.connector.name)).toEqual(['old', 'fresh']);
    expect(fresh.c.id).toBeTruthy();
  });
});

describe('plan', () => {
  it('is a true dry run: lists every change with counts and ids, and changes nothing', async () => {
    const { c, exemptionIds } = await seed();
    const before = await snapshot();
    const plan = await planOffboarding(env(), c.id);
    expect(await snapshot()).toEqual(before);

    expect(plan.identify).toMatchObject({ inactive: true, idleDays: 45 });
    expect(plan.dependencies.exemptions).toEqual({ count: 2, ids: [...exemptionIds].sort() });
    expect(plan.dependencies.ingestTokens).toMatchObject({ count: 1, active: 1 });
    expect(plan.dependencies.notificationRules.alertSuppressions.count).toBe(1);
    expect(plan.dependencies).toMatchObject({ assets: 2, findings: 1, relations: 1, scores: 1, schedule: { monitored: true } });
    expect(plan.counts).toMatchObject({ connector: 1, assets: 2, exemptions: 2, 'ingest-tokens': 1 });
    expect(plan.changes.map((x) => x.step)).toEqual(['backup', 'stop', 'stop', 'revoke', 'revoke', 'record', 'validate', 'decommission']);
    expect(plan.bundleDir?.startsWith(join(dataDir, 'offboarding', 'old-'))).toBe(true);
    // The access to remove is named from the service-account token in the stored kubeconfig.
    expect(plan.accessRemoval.subject).toEqual({ kind: 'ServiceAccount', name: 'palisade-reader', namespace: 'security', from: 'token' });
    expect(plan.accessRemoval.commands).toEqual([
      'kubectl --context old delete clusterrolebinding palisade-read palisade-read-secrets --ignore-not-found',
      'kubectl --context old delete clusterrole palisade-read palisade-read-secrets --ignore-not-found',
      'kubectl --context old -n security delete serviceaccount palisade-reader --ignore-not-found',
    ]);
    expect(plan.accessRemoval.yaml).toContain('kind: ClusterRoleBinding');
    expect(JSON.stringify(plan)).not.toContain(saToken('security', 'palisade-reader'));
    expect(plan.purge).toMatchObject({ retentionDays: 30, at: new Date(clock.getTime() + 30 * DAY).toISOString(), removes: { assets: 2, exemptions: 2 } });
    await expect(planOffboarding(env(), 'nope')).rejects.toMatchObject({ problem: 'not_found' });
  });

  it('reads the service account from the claims of a token', () => {
    expect(serviceAccountOfToken(saToken('a', 'b'))).toEqual({ namespace: 'a', name: 'b' });
    expect(serviceAccountOfToken('opaque-token')).toBeUndefined();
  });
});

describe('execute', () => {
  it('runs the nine steps: bundle verified, monitoring stopped, token revoked, credentials destroyed, recorded, validated, purge scheduled', async () => {
    const { c, tokenHash } = await seed();
    const report = await executeOffboarding(env(), c.id, owner, { reason: 'cluster decommissioned' });
    expect(report.steps.map((s) => [s.step, s.status])).toEqual(OFFBOARDING_STEPS.map((s) => [s, s === 'decommission' ? 'scheduled' : 'done']));
    expect(report).toMatchObject({ state: 'offboarded', complete: true, reason: 'cluster decommissioned', offboardedBy: 'user:alice', offboardedAt: clock.toISOString(), purgeAfter: new Date(clock.getTime() + 30 * DAY).toISOString() });
    expect(report.validation?.ok).toBe(true);
    expect(report.accessRemoval?.commands[0]).toContain('palisade-read');

    expect((await store.getConnector(c.id))?.secrets).toBeNull();
    expect((await store.getIngestTokenByHash(tokenHash))?.revokedAt).toBe(clock.toISOString());
    expect((await store.getOffboarding(c.id))?.monitoringStoppedAt).toBe(clock.toISOString());
    // Data stays until the purge.
    expect((await store.countConnectorData(c)).assets).toBe(2);

    // One audit entry per step, each naming the connector.
    const audit = (await store.listAudit({ limit: 100 })).items.filter((e) => e.target === `connector:${c.id}`);
    expect(audit.map((e) => e.action).reverse()).toEqual(OFFBOARDING_STEPS.map((s) => `connector.offboard.${s}`));
    expect(audit.every((e) => e.actor === 'user:alice' && e.source === '10.0.0.7')).toBe(true);

    // Executing again answers the report and does nothing more.
    const again = await executeOffboarding(env(), c.id, owner, { reason: 'ignored' });
    expect(again.steps).toEqual(report.steps);
    expect((await store.listAudit({ limit: 100 })).items.filter((e) => e.target === `connector:${c.id}`)).toHaveLength(9);
  });

  it('writes a bundle whose checksums verify, with Palisade and with sha256sum, and detects a change', async () => {
    const { c } = await seed();
    const report = await executeOffboarding(env(), c.id, owner, { reason: 'r' });
    const dir = report.bundle!.dir;
    const manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as { files: Array<{ kind: string; rows: number }>; connector: { id: string } };
    expect(manifest.connector.id).toBe(c.id);
    expect(Object.fromEntries(manifest.files.map((f) => [f.kind, f.rows]))).toMatchObject({ connector: 1, assets: 2, relations: 1, findings: 1, scores: 1, exemptions: 2, 'ingest-tokens': 1, 'alert-suppressions': 1 });
    const assets = readFileSync(join(dir, 'assets.ndjson'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { key: string });
    expect(assets.map((a) => a.key).sort()).toEqual(['nginx:1.27', 'shop/Deployment/web']);
    // Neither the sealed credentials nor a token hash is in the bundle.
    const all = readdirSync(dir).map((f) => readFileSync(join(dir, f), 'utf8')).join('\n');
    expect(all).not.toMatch(/v1:[A-Za-z0-9+/=]+:/);
    expect(all).not.toContain('hash-old');
    expect(await verifyBundle(dir)).toEqual({ ok: true, problems: [] });
    if (existsSync('/usr/bin/sha256sum')) expect(execFileSync('sha256sum', ['-c', 'SHA256SUMS'], { cwd: dir }).toString()).toMatch(/assets\.ndjson: OK/);

    appendFileSync(join(dir, 'findings.ndjson'), '{"id":"forged"}\n');
    const check = await verifyBundle(dir);
    expect(check.ok).toBe(false);
    expect(check.problems.join('\n')).toMatch(/findings\.ndjson: SHA-256 .* differs/);
    expect(check.problems.join('\n')).toMatch(/findings\.ndjson: 2 rows, the manifest says 1/);
    // A tampered bundle stops the purge: nothing is removed.
    await expect(purgeOffboardedConnector(env(), c.id, owner)).rejects.toThrow(/does not verify/);
    expect((await store.countConnectorData(c)).assets).toBe(2);
  });

  it('resumes after a crash between steps where it stopped, without redoing a step', async () => {
    const { c } = await seed();
    for (const crashAfter of ['backup', 'stop', 'revoke'] as const) {
      const crash = env({
        afterStep: (step) => {
          if (step === crashAfter) throw new Error(`crash after ${step}`);
        },
      });
      await expect(executeOffboarding(crash, c.id, owner, { reason: 'moved to another cloud' })).rejects.toThrow(`crash after ${crashAfter}`);
      const mid = (await getOffboardingReport(env(), c.id))!;
      const upTo = OFFBOARDING_STEPS.indexOf(crashAfter);
      expect(mid.steps.map((s) => s.status)).toEqual(OFFBOARDING_STEPS.map((_, i) => (i <= upTo ? 'done' : 'pending')));
      expect(mid.complete).toBe(false);
    }
    const bundleBefore = (await getOffboardingReport(env(), c.id))!.bundle!;
    clock = new Date(clock.getTime() + 60_000);
    const done = await executeOffboarding(env(), c.id, owner, { reason: 'ignored on resume' });
    expect(done).toMatchObject({ complete: true, state: 'offboarded', reason: 'moved to another cloud' });
    expect(done.bundle).toEqual(bundleBefore);
    expect(done.offboardedAt).toBe(clock.toISOString());
    // Every step audited once, in order, however many runs it took.
    const actions = (await store.listAudit({ limit: 100 })).items.filter((e) => e.target === `connector:${c.id}`).map((e) => e.action).reverse();
    expect(actions).toEqual(OFFBOARDING_STEPS.map((s) => `connector.offboard.${s}`));
  });

  it('does not start on an active connector unless forced, and keeps one run at a time', async () => {
    const { c } = await seed('busy', new Date(clock.getTime() - DAY));
    await expect(executeOffboarding(env(), c.id, owner, { reason: 'r' })).rejects.toMatchObject({ problem: 'active' });
    expect(await store.getOffboarding(c.id)).toBeUndefined();
    await expect(executeOffboarding(env(), c.id, owner, { reason: '  ' , force: true })).rejects.toMatchObject({ problem: 'bad_request' });
    await expect(executeOffboarding(env(), c.id, owner, { reason: 'r', force: true, bundleDir: 'relative/dir' })).rejects.toMatchObject({ problem: 'bad_request' });

    // Another run holds the workflow: this one is refused and changes nothing.
    await expect(executeOffboarding(env({ afterStep: () => { throw new Error('crash'); } }), c.id, owner, { reason: 'r', force: true })).rejects.toThrow('crash');
    expect(await store.claimOffboarding(c.id, 'another-process', new Date(clock.getTime() + 60_000).toISOString(), clock.toISOString())).toBe(true);
    await expect(executeOffboarding(env(), c.id, owner, { reason: 'r' })).rejects.toMatchObject({ problem: 'in_progress' });
    // Its lease runs out: the workflow may be taken over.
    clock = new Date(clock.getTime() + 120_000);
    expect((await executeOffboarding(env(), c.id, owner, { reason: 'r' })).complete).toBe(true);
  });
});

describe('validate', () => {
  it('fails when something remains, keeps the connector from being purged, and passes once it is gone', async () => {
    const { c } = await seed();
    // Something slips in after the tokens were revoked: a new ingest token, and a scheduler still watching.
    let watching = true;
    const monitor: MonitoringControl = { stopConnector: async () => undefined, activity: () => ({ scheduled: false, running: false, watching }) };
    const e = env({
      monitoring: () => [monitor],
      afterStep: async (step) => {
        if (step === 'record') await store.createIngestToken({ connectorId: c.id, name: 'late', prefix: 'pai_late0000', tokenHash: 'late-hash', createdBy: 'user:mallory' });
      },
    });
    const err = await executeOffboarding(e, c.id, owner, { reason: 'r' }).catch((x: unknown) => x);
    expect(err).toBeInstanceOf(OffboardingError);
    expect(err).toMatchObject({ problem: 'step_failed', step: 'validate' });
    const report = (await getOffboardingReport(env(), c.id))!;
    expect(report.steps.find((s) => s.step === 'validate')).toMatchObject({ status: 'failed' });
    const failed = Object.fromEntries(report.validation!.checks.map((x) => [x.name, x.ok]));
    expect(failed).toEqual({ 'monitoring-stopped': true, 'no-job': false, 'no-event-accepted': false, 'no-credential': true, 'bundle-verified': true });
    expect(report.validation!.checks.find((x) => x.name === 'no-event-accepted')?.detail).toContain('pai_late0000');
    await expect(purgeOffboardedConnector(env(), c.id, owner)).rejects.toMatchObject({ problem: 'not_offboarded' });

    // Cleared: executing again resumes at validation and finishes.
    watching = false;
    await store.revokeIngestTokens(c.id, clock.toISOString());
    const done = await executeOffboarding(env({ monitoring: () => [monitor] }), c.id, owner, { reason: 'r' });
    expect(done.complete).toBe(true);
    expect(done.validation?.ok).toBe(true);
  });

  it('fails when credentials are stored again', async () => {
    const { c } = await seed();
    const e = env({
      afterStep: async (step) => {
        if (step === 'revoke') await store.updateConnector(c.id, { secrets: 'v1:put:back:again' });
      },
    });
    await expect(executeOffboarding(e, c.id, owner, { reason: 'r' })).rejects.toMatchObject({ step: 'validate' });
    const checks = (await getOffboardingReport(env(), c.id))!.validation!.checks;
    expect(checks.find((x) => x.name === 'no-credential')).toMatchObject({ ok: false, detail: 'encrypted credentials are still stored' });
  });
});

describe('decommission', () => {
  it('purges at once on request: data gone and verified, the revoked token and the audit trail kept, the purge audited', async () => {
    const { c, tokenHash } = await seed();
    const other = await seed('kept', new Date(clock.getTime() - DAY));
    const report = await executeOffboarding(env(), c.id, owner, { reason: 'r', purgeNow: true });
    expect(report).toMatchObject({ state: 'purged', purgedAt: clock.toISOString(), complete: true });
    expect(report.steps.at(-1)).toMatchObject({ step: 'decommission', status: 'done' });
    expect(report.purge).toMatchObject({ verified: true, removed: { connector: 1, assets: 2, findings: 1, exemptions: 2, scores: 1, 'alert-suppressions': 1 } });
    const left = await store.countConnectorData(c);
    expect(left).toMatchObject({ connector: 0, assets: 0, relations: 0, findings: 0, scores: 0, exemptions: 0, alerts: 0, 'alert-suppressions': 0, 'ingest-tokens': 1 });
    expect(await store.getConnector(c.id)).toBeUndefined();
    expect((await store.getIngestTokenByHash(tokenHash))?.revokedAt).not.toBeNull();
    expect((await store.listAudit({ action: 'connector.purge' })).items).toHaveLength(1);
    expect(await verifyBundle(report.bundle!.dir)).toMatchObject({ ok: true });
    // The other connector and the global exemption are untouched.
    expect(await store.countConnectorData(other.c)).toMatchObject({ connector: 1, assets: 2, exemptions: 2 });
    expect((await store.listExemptions({ scope: '*' })).length).toBe(2);
    // The record outlives the connector.
    expect((await getOffboardingReport(env(), c.id))?.state).toBe('purged');
    expect((await purgeOffboardedConnector(env(), c.id, owner)).state).toBe('purged');
  });

  it('purges after the retention period, not before', async () => {
    const { c } = await seed();
    await executeOffboarding(env(), c.id, owner, { reason: 'r', retentionDays: 7 });
    expect(await purgeDueOffboardings(env())).toEqual([]);
    clock = new Date(clock.getTime() + 6 * DAY);
    expect(await purgeDueOffboardings(env())).toEqual([]);
    expect((await store.countConnectorData(c)).assets).toBe(2);
    clock = new Date(clock.getTime() + DAY);
    expect(await purgeDueOffboardings(env())).toEqual([c.id]);
    expect((await store.countConnectorData(c)).assets).toBe(0);
    const r = (await getOffboardingReport(env(), c.id))!;
    expect(r.steps.at(-1)).toMatchObject({ status: 'done', by: 'system' });
  });
});

describe('with a running scheduler', () => {
  let kube: FakeKubeApiServer;
  beforeEach(async () => {
    kube = await startFakeKubeApiServer();
  });
  afterEach(async () => {
    await kube.close();
  });

  it('closes the watches, never schedules the connector again, also after a restart', async () => {
    const r = await onboardCluster(store, box, { name: 'system', role: 'owner' }, { name: 'lab', kubeconfig: kube.kubeconfig('lab'), context: 'lab' });
    if (!r.saved) throw new Error('onboarding refused');
    const id = r.connector.id;
    const queue = new InProcessQueue(2);
    const scheduler = new SyncScheduler({ store, secrets: box, queue, intervalMs: 3_600_000, debounceMs: 50, watchRetryMs: 20 });
    await queue.start();
    await scheduler.start();
    try {
      while (!scheduler.watching(id)) await new Promise((res) => setTimeout(res, 20));
      expect(kube.openWatches).toBeGreaterThan(0);
      const report = await executeOffboarding(env({ monitoring: () => [scheduler], now: () => new Date() }), id, owner, { reason: 'lab torn down', force: true });
      expect(report.complete).toBe(true);
      expect(report.validation?.checks.find((x) => x.name === 'no-job')).toMatchObject({ ok: true });
      expect(scheduler.activity(id)).toEqual({ scheduled: false, running: false, watching: false });
      while (kube.openWatches > 0) await new Promise((res) => setTimeout(res, 20));
    } finally {
      await scheduler.stop();
      await queue.stop();
    }
    // A restarted server does not pick it up.
    const queue2 = new InProcessQueue(2);
    const restarted = new SyncScheduler({ store, secrets: box, queue: queue2, intervalMs: 3_600_000, watch: false });
    let synced = 0;
    restarted.onSync(() => synced++);
    await queue2.start();
    await restarted.start();
    await queue2.idle();
    expect(restarted.activity(id)).toEqual({ scheduled: false, running: false, watching: false });
    expect(synced).toBe(0);
    await restarted.stop();
    await queue2.stop();
  });

  it('stores nothing from a sync that was already running when monitoring stopped', async () => {
    const r = await onboardCluster(store, box, { name: 'system', role: 'owner' }, { name: 'lab', kubeconfig: kube.kubeconfig('lab'), context: 'lab' });
    if (!r.saved) throw new Error('onboarding refused');
    const c = (await store.getConnector(r.connector.id))!;
    await store.createOffboarding({ connectorId: c.id, connectorName: c.name, connectorKind: c.kind, reason: 'r', requestedBy: 'user:alice', steps: {}, report: {} });
    await store.updateOffboarding(c.id, { monitoringStoppedAt: new Date().toISOString() });
    await expect(syncConnector(store, box, { name: 'system', role: 'owner' }, c)).rejects.toThrow(/being offboarded/);
    expect((await store.countConnectorData(c)).assets).toBe(0);
  });
});
