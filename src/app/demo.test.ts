import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openSqliteStore, sqliteFileIn } from '../storage/sqlite/index.js';
import type { Store } from '../storage/store.js';
import { listRecommendations } from './connectors.js';
import { applyDemoLogin, DEMO_DIR, demoLogin, loadDemoEnvironment, type DemoSummary } from './demo.js';
import { secretBox } from './secrets.js';
import { login } from './users.js';

describe('the bundled demo folder', () => {
  it('stays small and its image blobs match their digests', () => {
    const size = (dir: string): number => readdirSync(dir, { withFileTypes: true }).reduce((n, e) => n + (e.isDirectory() ? size(join(dir, e.name)) : statSync(join(dir, e.name)).size), 0);
    expect(size(DEMO_DIR)).toBeLessThan(300 * 1024);
    const blobs = join(DEMO_DIR, 'image', 'blobs', 'sha256');
    for (const name of readdirSync(blobs)) expect(createHash('sha256').update(readFileSync(join(blobs, name))).digest('hex')).toBe(name);
  });
});

describe('loadDemoEnvironment', () => {
  let dir: string;
  let store: Store;
  let first: DemoSummary;
  const secrets = secretBox(Buffer.alloc(32, 7));
  const now = new Date('2026-06-01T09:30:00Z');

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'palisade-demo-'));
    store = openSqliteStore(sqliteFileIn(dir));
    await store.migrate();
    first = await loadDemoEnvironment({ store, secrets }, { dataDir: dir, now });
  }, 120_000);

  afterAll(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('creates one snapshot connector and syncs it like a cluster', async () => {
    expect(first.created).toBe(true);
    const connectors = await store.listConnectors();
    expect(connectors).toHaveLength(1);
    const c = connectors[0]!;
    expect(c.kind).toBe('cluster');
    expect(c.config.snapshot).toMatch(/examples[\\/]demo[\\/]cluster\.yaml$/);
    expect(first.sync?.errors).toEqual([]);
    expect(first.sync!.resources).toBeGreaterThan(40);
    // The inventory knows pods by their owners and the LoadBalancer service.
    const pods = await store.listAssets({ type: 'pod', connectorId: c.id, limit: 100 });
    expect(pods.items.length).toBeGreaterThanOrEqual(10);
    const services = await store.listAssets({ type: 'service', connectorId: c.id, limit: 100 });
    expect(services.items.some((s) => s.attributes.serviceType === 'LoadBalancer')).toBe(true);
    expect(await store.listScores({ scope: `connector:${c.id}` })).toHaveLength(1);
  });

  it('stores posture findings, the risky binding and the privileged workload among them', async () => {
    expect(first.findings).toBeGreaterThan(0);
    const recs = await listRecommendations(store, { connectorId: first.connectorId });
    expect(recs.length).toBeGreaterThan(5);
    expect(recs.some((r) => r.severity === 'critical' || r.severity === 'high')).toBe(true);
  });

  it('replays the audit log into alerts with MITRE tactics, shifted to now', async () => {
    expect(first.auditEvents).toBeGreaterThan(100);
    const alerts = (await store.listAlerts({ connectorId: first.connectorId, limit: 100 })).items;
    const withTactics = alerts.filter((a) => a.mitre.tactics.length > 0);
    expect(withTactics.length).toBeGreaterThan(0);
    const slugs = new Set(alerts.map((a) => a.slug));
    for (const s of ['pod-exec-or-attach', 'secret-read-by-unexpected-identity', 'privileged-pod-created', 'cluster-admin-binding']) expect(slugs).toContain(s);
    // The incident happened about three hours before "now", not in the recording's past.
    const latest = alerts.map((a) => Date.parse(a.lastSeen)).sort((a, b) => b - a)[0]!;
    expect(now.getTime() - latest).toBeLessThan(6 * 3_600_000);
    expect(now.getTime() - latest).toBeGreaterThanOrEqual(0);
  });

  it('scans the bundled image from its OCI layout and joins it to the running, exposed storefront', async () => {
    expect(first.images).toEqual([expect.objectContaining({ reference: 'registry.shop.example/shop/storefront:2.3.1', status: 'ok', digest: expect.stringMatching(/^sha256:/) })]);
    expect(first.vulnerabilities).toBeGreaterThan(0);
    const exposed = await store.listVulnerableImages({ connectorId: first.connectorId, exposed: true, limit: 10 });
    expect(exposed.items).toHaveLength(1);
    expect(exposed.items[0]!.workloads).toBeGreaterThan(0);
    const rows = (await store.listImageVulnerabilities({ connectorId: first.connectorId, running: true, limit: 100 })).items;
    const ids = new Set(rows.map((r) => r.vulnId));
    expect(ids).toContain('DEBIAN-CVE-2024-2961');
    // Fixed before the installed version: not reported.
    expect(ids).not.toContain('DEBIAN-CVE-2023-4807');
    expect(rows.some((r) => r.severity === 'critical')).toBe(true);
  });

  it('is idempotent: a second load finds the connector and duplicates nothing', async () => {
    const again = await loadDemoEnvironment({ store, secrets }, { dataDir: dir, now: new Date(now.getTime() + 60_000) });
    expect(again.created).toBe(false);
    expect(again.connectorId).toBe(first.connectorId);
    expect(again.sync).toBeUndefined();
    expect(again.auditEvents).toBe(0);
    expect(await store.listConnectors()).toHaveLength(1);
    expect(again.findings).toBe(first.findings);
    expect(again.alerts).toBe(first.alerts);
    expect(again.vulnerabilities).toBe(first.vulnerabilities);
  }, 60_000);

  it('keeps the demo login in a 0600 file that works', async () => {
    const l = demoLogin(dir, {});
    expect(l.created).toBe(true);
    expect(statSync(l.file).mode & 0o777).toBe(0o600);
    await applyDemoLogin(store, l);
    expect(await login(store, l.username, l.password!)).toBeDefined();
    const again = demoLogin(dir, {});
    expect(again).toMatchObject({ created: false, password: l.password });
  });
});
