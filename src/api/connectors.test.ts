/**
 * Cluster onboarding and the inventory it produces, through the HTTP API, against the fake Kubernetes API
 * server (the real protocol: lists, self-subject reviews).
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import jsYaml from 'js-yaml';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startFakeKubeApiServer, type FakeKubeApiServer, type FakeRule } from '../../test/helpers/fake-kube-apiserver.js';
import { secretBox } from '../app/secrets.js';
import { addUser, createToken } from '../app/users.js';
import { openSqliteStore } from '../storage/sqlite/index.js';
import { ROLES, type Role, type Store } from '../storage/store.js';
import { buildApp } from './server.js';

const TOKEN = 'kube-token-7c1f0a9e-not-for-the-database';
const system = { name: 'system', role: 'owner' as const };
/** Everything but get/watch on the networking kinds: onboarding must be refused. */
const PARTIAL: FakeRule[] = [
  { verbs: ['get', 'list', 'watch'], apiGroups: ['', 'apps', 'batch', 'policy', 'autoscaling', 'admissionregistration.k8s.io', 'rbac.authorization.k8s.io'], resources: ['*'] },
  { verbs: ['list'], apiGroups: ['networking.k8s.io'], resources: ['ingresses', 'networkpolicies'] },
];

let dir: string;
let store: Store;
let app: FastifyInstance;
let kube: FakeKubeApiServer;
const tokens = {} as Record<Role, string>;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'palisade-connectors-'));
  store = openSqliteStore(join(dir, 'palisade.db'));
  await store.migrate();
  for (const role of ROLES) {
    const u = await addUser(store, system, { username: role, role, password: 'a-long-enough-password' });
    tokens[role] = (await createToken(store, system, { userId: u.id, name: role, role })).token;
  }
  app = await buildApp({ store, validateResponses: true, secrets: secretBox(randomBytes(32)) });
  kube = await startFakeKubeApiServer({ token: TOKEN });
});
afterAll(async () => {
  await app.close();
  await kube.close();
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});
beforeEach(async () => {
  for (const c of await store.listConnectors()) await store.deleteConnector(c.id);
  kube.rules = [{ verbs: ['get', 'list', 'watch'], apiGroups: ['*'], resources: ['*'] }];
});

const as = (role: Role) => ({ authorization: `Bearer ${tokens[role]}` });
const call = (role: Role, method: 'GET' | 'POST' | 'DELETE', url: string, payload?: unknown) => app.inject({ method, url, headers: as(role), payload: payload as Record<string, unknown> });
const onboard = (role: Role, name: string, query = '') => call(role, 'POST', `/api/v1/connectors${query}`, { kind: 'cluster', name, kubeconfig: kube.kubeconfig('lab'), context: 'lab' });

async function onboarded(name = 'lab'): Promise<string> {
  const res = await onboard('owner', name);
  expect(res.statusCode, res.body).toBe(201);
  return res.json().connector.id as string;
}

describe('onboarding', () => {
  it('refuses a cluster whose credentials miss a required permission, with each one and the grant to apply', async () => {
    kube.rules = PARTIAL;
    const res = await onboard('owner', 'lab');
    expect(res.statusCode).toBe(422);
    const body = res.json();
    expect(body.error).toBe('missing_permissions');
    expect(body.message).toMatch(/4 required permissions.*kubectl apply/);
    expect(body.preflight.missing.map((m: { verb: string; resource: string }) => `${m.verb} ${m.resource}`).sort()).toEqual(['get ingresses', 'get networkpolicies', 'watch ingresses', 'watch networkpolicies']);
    expect(body.preflight.grant).toContain('kind: ClusterRole');
    expect(await store.listConnectors()).toEqual([]);
    expect((await store.listAudit({ action: 'connector.refuse' })).items[0]).toMatchObject({ actor: 'token:' + tokens.owner.slice(0, 12), target: 'connector:lab' });

    // Apply the grant it printed: the same request is now accepted.
    kube.rules = (jsYaml.loadAll(body.preflight.grant)[0] as { rules: FakeRule[] }).rules;
    const again = await onboard('owner', 'lab');
    expect(again.statusCode, again.body).toBe(201);
    expect(again.json().preflight).toMatchObject({ ok: true, missing: [] });
    expect(again.json().connector).toMatchObject({ kind: 'cluster', name: 'lab', hasCredentials: true, config: { context: 'lab', server: kube.url } });
  });

  it('answers the preflight without saving anything on a dry run, whatever it finds', async () => {
    const before = (await store.listConnectors()).length;
    kube.rules = PARTIAL;
    const partial = await onboard('owner', 'dry', '?dryRun=true');
    expect(partial.statusCode, partial.body).toBe(200);
    expect(partial.json()).toMatchObject({ dryRun: true, preflight: { ok: false } });
    expect(partial.json().preflight.grant).toContain('kind: ClusterRole');
    kube.rules = (jsYaml.loadAll(partial.json().preflight.grant)[0] as { rules: FakeRule[] }).rules;
    const full = await onboard('owner', 'dry', '?dryRun=true');
    expect(full.json()).toMatchObject({ dryRun: true, preflight: { ok: true, missing: [] } });
    expect((await store.listConnectors()).length).toBe(before);
    expect((await call('reader', 'POST', '/api/v1/connectors?dryRun=true', { kind: 'cluster', name: 'dry', kubeconfig: kube.kubeconfig('dry') })).statusCode).toBe(403);
  });

  it('saves despite missing permissions with force=true, and says so', async () => {
    kube.rules = PARTIAL;
    const res = await onboard('owner', 'forced', '?force=true');
    expect(res.statusCode, res.body).toBe(201);
    expect(res.json().preflight.ok).toBe(false);
    expect(res.json().connector.config.preflight).toMatchObject({ ok: false, forced: true });
    expect(res.json().connector.config.preflight.missing).toHaveLength(4);
  });

  it('lets a Reader list connectors but not create, sync or delete them, and only an Owner create or delete one', async () => {
    const id = await onboarded();
    expect((await onboard('reader', 'other')).statusCode).toBe(403);
    expect((await onboard('contributor', 'other')).statusCode).toBe(403);
    expect((await call('contributor', 'DELETE', `/api/v1/connectors/${id}`)).statusCode).toBe(403);
    expect((await call('reader', 'POST', `/api/v1/connectors/${id}/sync`)).statusCode).toBe(403);
    expect((await call('reader', 'POST', `/api/v1/connectors/${id}/preflight`)).statusCode).toBe(403);
    expect((await call('reader', 'DELETE', `/api/v1/connectors/${id}`)).statusCode).toBe(403);
    const list = await call('reader', 'GET', '/api/v1/connectors');
    expect(list.json().items.map((c: { id: string }) => c.id)).toEqual([id]);
    expect((await call('reader', 'GET', `/api/v1/connectors/${id}`)).statusCode).toBe(200);
  });

  it('never returns the credentials and never writes them in clear to the database', async () => {
    const res = await onboard('owner', 'lab');
    const id = res.json().connector.id as string;
    expect(res.body).not.toContain(TOKEN);
    for (const url of ['/api/v1/connectors', `/api/v1/connectors/${id}`, '/api/v1/audit-log']) {
      const r = await call('owner', 'GET', url);
      expect(r.statusCode, url).toBe(200);
      expect(r.body, url).not.toContain(TOKEN);
      expect(r.body, url).not.toContain('kubeconfig:');
    }
    const row = (await store.getConnector(id))!;
    expect(row.secrets).toMatch(/^v1:/);
    expect(JSON.stringify(row)).not.toContain(TOKEN);
    // The database files themselves (main file and write-ahead log).
    for (const f of readdirSync(dir)) expect(readFileSync(join(dir, f)).includes(Buffer.from(TOKEN)), f).toBe(false);
    // The stored kubeconfig still works: a preflight through the stored connector passes.
    const pre = await call('contributor', 'POST', `/api/v1/connectors/${id}/preflight`);
    expect(pre.statusCode, pre.body).toBe(200);
    expect(pre.json().ok).toBe(true);
  });

  it('refuses a duplicate name with 409 and an unreadable kubeconfig with 422', async () => {
    await onboarded('lab');
    expect((await onboard('owner', 'lab')).statusCode).toBe(409);
    const bad = await call('owner', 'POST', '/api/v1/connectors', { kind: 'cluster', name: 'bad', kubeconfig: kube.kubeconfig('lab'), context: 'nope' });
    expect(bad.statusCode).toBe(422);
    expect(bad.json().message).toContain('context "nope" is not in the kubeconfig');
  });
});

describe('sync and inventory', () => {
  it('fills assets with relations, recommendations and the secure score, and keeps first-seen across syncs', async () => {
    const id = await onboarded();
    const sync = await call('contributor', 'POST', `/api/v1/connectors/${id}/sync`);
    expect(sync.statusCode, sync.body).toBe(200);
    const s = sync.json();
    expect(s.resources).toBeGreaterThan(20);
    expect(s.findings).toBeGreaterThan(10);
    expect(s.errors).toEqual([]);

    // Assets: every kind the brief names, filtered and paged.
    const types = new Set<string>();
    let cursor: string | undefined;
    let pages = 0;
    do {
      const p = (await call('reader', 'GET', `/api/v1/assets?connector=${id}&limit=7${cursor ? `&cursor=${cursor}` : ''}`)).json();
      for (const a of p.items) types.add(a.type);
      cursor = p.next;
      pages++;
    } while (cursor);
    expect(pages).toBeGreaterThan(3);
    for (const t of ['cluster', 'namespace', 'workload', 'pod', 'container', 'image', 'service-account', 'role', 'role-binding', 'service', 'ingress', 'node']) expect(types, t).toContain(t);
    const storefront = (await call('reader', 'GET', '/api/v1/assets?namespace=storefront&type=workload')).json().items.map((a: { key: string }) => a.key).sort();
    expect(storefront).toEqual(['storefront/CronJob/nightly-report', 'storefront/Deployment/web', 'storefront/ReplicaSet/web-7d9f8b6c5']);
    const [web] = (await call('reader', 'GET', '/api/v1/assets?q=deployment/WEB&type=workload')).json().items;
    expect(web.key).toBe('storefront/Deployment/web');

    // Relations: workload runs image, service exposes workload, ingress routes to service.
    const detail = (await call('reader', 'GET', `/api/v1/assets/${web.id}`)).json();
    const rel = (d: { relations: Array<{ kind: string; direction: string; asset: { key: string } }> }) => d.relations.map((r) => `${r.direction} ${r.kind} ${r.asset.key}`);
    expect(rel(detail)).toContain('out runs nginx:latest');
    expect(rel(detail)).toContain('in exposes storefront/Service/web');
    expect(rel(detail)).toContain('in contains storefront/Namespace/storefront');
    expect(detail.findings.some((f: { path: string }) => f.path.endsWith('securityContext.privileged'))).toBe(true);
    const image = (await call('reader', 'GET', '/api/v1/assets?type=image&q=nginx')).json().items[0];
    expect(image.attributes).toMatchObject({ repository: 'nginx', tag: 'latest' });
    // Binding grants role to account.
    const [binding] = (await call('reader', 'GET', '/api/v1/assets?type=role-binding&q=ci-is-admin')).json().items;
    const b = rel((await call('reader', 'GET', `/api/v1/assets/${binding.id}`)).json());
    expect(b).toContain('out grants ClusterRole/cluster-admin');
    expect(b.some((x: string) => x.startsWith('out binds ') && x.includes('/ServiceAccount/'))).toBe(true);
    expect((await call('reader', 'GET', '/api/v1/assets/no-such-asset')).statusCode).toBe(404);

    // Recommendations: grouped by check, most severe first, with the affected resources.
    const recs = (await call('reader', 'GET', '/api/v1/recommendations')).json().items as Array<{ checkId: string; severity: string; affected: number; findings: number; remediation: string; title: string }>;
    expect(recs.length).toBeGreaterThan(5);
    const rank = ['info', 'low', 'medium', 'high', 'critical'];
    for (let i = 1; i < recs.length; i++) expect(rank.indexOf(recs[i - 1].severity)).toBeGreaterThanOrEqual(rank.indexOf(recs[i].severity));
    expect(recs.every((r) => r.affected >= 1 && r.findings >= r.affected && r.remediation.length > 0 && r.title !== r.checkId)).toBe(true);
    const total = recs.reduce((n, r) => n + r.findings, 0);
    expect(total).toBe(s.findings);
    const privileged = (await call('reader', 'GET', `/api/v1/assets/${web.id}`)).json().findings.find((f: { path: string }) => f.path.endsWith('securityContext.privileged')).checkId as string;
    const one = (await call('reader', 'GET', `/api/v1/recommendations/${privileged}`)).json();
    expect(one.affectedResources.map((a: { asset: { key: string } }) => a.asset.key)).toContain('storefront/Deployment/web');
    expect(one.affected).toBe(new Set(one.affectedResources.map((a: { asset: { id: string } }) => a.asset.id)).size);
    // The suggested fix is a JSON Patch against the live object, with the kubectl command that applies it.
    const webFix = one.affectedResources.find((a: { asset: { key: string } }) => a.asset.key === 'storefront/Deployment/web').fix;
    expect(webFix.patch).toContainEqual({ op: 'replace', path: expect.stringMatching(/^\/spec\/template\/spec\/containers\/\d+\/securityContext\/privileged$/), value: false });
    expect(webFix.command).toMatch(/^kubectl patch deployment 'web' -n 'storefront' --type=json -p '\[/);
    expect((await call('reader', 'GET', '/api/v1/recommendations/PAL-NOPE')).statusCode).toBe(404);

    // Score: per connector and overall.
    const score = (await call('reader', 'GET', '/api/v1/score')).json();
    expect(score.connectors).toEqual([expect.objectContaining({ connectorId: id, name: 'lab', score: s.score })]);
    expect(score.overall.score).toBe(s.score);
    expect(s.score).toBeGreaterThan(0);
    expect(s.score).toBeLessThan(100);

    // A second sync after the careless Deployment is fixed away: its findings go, first-seen of the rest stays.
    kube.remove('Deployment', 'web', 'storefront');
    const second = (await call('contributor', 'POST', `/api/v1/connectors/${id}/sync`)).json();
    expect(second.resolved).toBeGreaterThan(0);
    expect((await call('reader', 'GET', `/api/v1/assets/${web.id}`)).json().findings).toEqual([]);
    const ledger = (await call('reader', 'GET', '/api/v1/assets?q=payments/Deployment/ledger&type=workload')).json().items[0];
    expect(ledger.firstSeen).toBe(s.at);
    expect(ledger.lastSeen).toBe(second.at);
    const history = (await call('reader', 'GET', `/api/v1/score/history?scope=connector:${id}`)).json().items;
    expect(history.map((p: { score: number }) => p.score)).toEqual([s.score, second.score]);

    // Audit trail and delete: the inventory goes with the connector.
    const actions = (await store.listAudit({ limit: 50 })).items.filter((e) => e.target === `connector:${id}`).map((e) => e.action);
    expect(actions).toEqual(['connector.sync', 'connector.sync', 'connector.create']);
    expect((await call('owner', 'DELETE', `/api/v1/connectors/${id}`)).statusCode).toBe(204);
    expect((await call('reader', 'GET', `/api/v1/assets?connector=${id}`)).json().items).toEqual([]);
    expect((await call('reader', 'GET', '/api/v1/recommendations')).json().items).toEqual([]);
    expect((await store.listAudit({ action: 'connector.delete' })).items[0].target).toBe(`connector:${id}`);
    expect((await call('owner', 'DELETE', `/api/v1/connectors/${id}`)).statusCode).toBe(404);
  });

  it('stores no finding an active exemption covers, and drops those it newly covers', async () => {
    const id = await onboarded();
    const first = (await call('contributor', 'POST', `/api/v1/connectors/${id}/sync`)).json();
    expect(first.exempted).toBe(0);
    const inStorefront = async () => {
      let n = 0;
      for (const f of (await store.listFindings({ connectorId: id, limit: 1000 })).items) if ((await store.getAsset(f.assetId))!.key.startsWith('storefront/')) n++;
      return n;
    };
    expect(await inStorefront()).toBeGreaterThan(0);
    const ex = await call('contributor', 'POST', '/api/v1/exemptions', { scope: 'namespace:lab/storefront', checkId: '*', reason: 'vendor shop', owner: 'team-shop' });
    expect(ex.statusCode).toBe(201);
    const second = (await call('contributor', 'POST', `/api/v1/connectors/${id}/sync`)).json();
    expect(second.exempted).toBeGreaterThan(0);
    expect(second.resolved).toBe(second.exempted);
    expect(second.findings).toBe(first.findings - second.exempted);
    expect(await inStorefront()).toBe(0);
    await store.deleteExemption(ex.json().id);
  });
});
