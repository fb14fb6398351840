import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createIngestTokenFor } from '../app/ingest-tokens.js';
import { secretBox } from '../app/secrets.js';
import { addUser, createToken } from '../app/users.js';
import { openSqliteStore } from '../storage/sqlite/index.js';
import { roleAtLeast, ROLES, type Role, type Store } from '../storage/store.js';
import { offboardingRoutes } from './routes/offboarding.js';
import { buildApp } from './server.js';

const system = { name: 'system', role: 'owner' as const };
const box = secretBox(randomBytes(32));
const DAY = 86_400_000;
// The server's clock, 40 days on: connectors created now count as inactive.
const later = () => new Date(Date.now() + 40 * DAY);

let store: Store;
let app: FastifyInstance;
let dataDir: string;
const tokens = {} as Record<Role, string>;

beforeAll(async () => {
  store = openSqliteStore(':memory:');
  await store.migrate();
  for (const role of ROLES) {
    const u = await addUser(store, system, { username: role, role, password: 'a-long-enough-password' });
    tokens[role] = (await createToken(store, system, { userId: u.id, name: role, role })).token;
  }
  dataDir = mkdtempSync(join(tmpdir(), 'palisade-offboard-api-'));
  app = await buildApp({ store, secrets: box, validateResponses: true, offboarding: { dataDir, now: later } });
});
afterAll(async () => {
  await app.close();
  await store.close();
  rmSync(dataDir, { recursive: true, force: true });
});

const as = (role: Role) => ({ authorization: `Bearer ${tokens[role]}` });

async function connector(name: string) {
  const c = await store.createConnector({ kind: 'cluster', name, config: { context: name, inCluster: false, scope: {} }, secrets: null });
  await store.updateConnector(c.id, { secrets: box.seal(JSON.stringify({ kubeconfig: 'apiVersion: v1\nkind: Config\n' }), c.id) });
  await store.upsertAssets([{ connectorId: c.id, type: 'node', key: 'Node/n1', attributes: {} }], new Date().toISOString());
  return c;
}

describe('offboarding API', () => {
  it('is for Owners only: every role against every offboarding route', async () => {
    const c = await connector('matrix');
    const routes = offboardingRoutes({ store, metrics: undefined as never });
    expect(routes.map((r) => `${r.method} ${r.url}`).sort()).toEqual([
      'GET /api/v1/connectors/:id/offboarding',
      'GET /api/v1/connectors/:id/offboarding/plan',
      'GET /api/v1/offboarding',
      'GET /api/v1/offboarding/inactive',
      'POST /api/v1/connectors/:id/offboarding',
      'POST /api/v1/connectors/:id/offboarding/purge',
    ]);
    for (const r of routes) {
      expect(r.access, r.url).toBe('owner');
      for (const role of ROLES) {
        const url = r.url.replace(':id', c.id);
        const res = await app.inject({ method: r.method, url, headers: as(role), payload: r.method === 'POST' && r.url.endsWith('/offboarding') ? { reason: 'matrix', force: true } : undefined });
        const label = `${role} ${r.method} ${r.url} -> ${res.statusCode} ${res.body.slice(0, 160)}`;
        if (roleAtLeast(role, 'owner')) expect([200, 404, 409], label).toContain(res.statusCode);
        else expect(res.statusCode, label).toBe(403);
      }
      expect((await app.inject({ method: r.method, url: r.url.replace(':id', c.id) })).statusCode).toBe(401);
    }
  });

  it('lists inactive connectors, plans without changing anything, executes, reports and purges', async () => {
    const c = await connector('old');
    const inactive = await app.inject({ method: 'GET', url: '/api/v1/offboarding/inactive', headers: as('owner') });
    expect(inactive.statusCode).toBe(200);
    expect(inactive.json().items.map((i: { connector: { name: string } }) => i.connector.name)).toContain('old');
    expect((await app.inject({ method: 'GET', url: '/api/v1/offboarding/inactive?days=100', headers: as('owner') })).json().items).toEqual([]);
    expect((await app.inject({ method: 'GET', url: '/api/v1/offboarding/inactive?days=soon', headers: as('owner') })).statusCode).toBe(400);

    const ingest = (await createIngestTokenFor(store, system, { connectorId: c.id, name: 'apiserver' }))!.token;
    const post = () => app.inject({ method: 'POST', url: `/api/v1/audit/connectors/${c.id}/events`, headers: { authorization: `Bearer ${ingest}`, 'content-type': 'application/json' }, payload: { kind: 'EventList', items: [] } });
    expect((await post()).statusCode).not.toBe(410);
    const before = await store.countConnectorData(c);
    const plan = await app.inject({ method: 'GET', url: `/api/v1/connectors/${c.id}/offboarding/plan?purgeNow=true`, headers: as('owner') });
    expect(plan.statusCode).toBe(200);
    expect(plan.json()).toMatchObject({ connector: { id: c.id, hasCredentials: true }, counts: { assets: 1 }, purge: { at: 'immediately, once validated' } });
    expect(await store.countConnectorData(c)).toEqual(before);
    expect((await app.inject({ method: 'GET', url: `/api/v1/connectors/${c.id}/offboarding`, headers: as('owner') })).statusCode).toBe(404);
    expect((await app.inject({ method: 'POST', url: `/api/v1/connectors/${c.id}/offboarding/purge`, headers: as('owner') })).statusCode).toBe(404);

    expect((await app.inject({ method: 'POST', url: `/api/v1/connectors/${c.id}/offboarding`, headers: as('owner'), payload: {} })).statusCode).toBe(400);
    const done = await app.inject({ method: 'POST', url: `/api/v1/connectors/${c.id}/offboarding`, headers: as('owner'), payload: { reason: 'cluster retired' } });
    expect(done.statusCode, done.body).toBe(200);
    expect(done.json()).toMatchObject({ state: 'offboarded', complete: true, reason: 'cluster retired', offboardedBy: `token:${tokens.owner.slice(0, 12)}`, validation: { ok: true } });
    expect(existsSync(done.json().bundle.dir)).toBe(true);
    expect(done.json().bundle.dir.startsWith(join(dataDir, 'offboarding'))).toBe(true);

    // Its webhook is refused for good, and syncing it is refused.
    const gone = await post();
    expect(gone.statusCode).toBe(410);
    expect(gone.json().message).toMatch(/revoked/);
    const sync = await app.inject({ method: 'POST', url: `/api/v1/connectors/${c.id}/sync`, headers: as('owner') });
    expect(sync.statusCode).toBe(409);
    expect(sync.json()).toMatchObject({ error: 'offboarded' });

    const report = await app.inject({ method: 'GET', url: `/api/v1/connectors/${c.id}/offboarding`, headers: as('owner') });
    expect(report.json().steps.map((s: { status: string }) => s.status)).toEqual(['done', 'done', 'done', 'done', 'done', 'done', 'done', 'done', 'scheduled']);
    const list = await app.inject({ method: 'GET', url: '/api/v1/offboarding', headers: as('owner') });
    expect(list.json().items).toContainEqual(expect.objectContaining({ connector: { id: c.id, name: 'old', kind: 'cluster' }, state: 'offboarded' }));
    expect((await app.inject({ method: 'GET', url: '/api/v1/offboarding/inactive', headers: as('owner') })).json().items.map((i: { connector: { id: string } }) => i.connector.id)).not.toContain(c.id);

    const purged = await app.inject({ method: 'POST', url: `/api/v1/connectors/${c.id}/offboarding/purge`, headers: as('owner') });
    expect(purged.statusCode, purged.body).toBe(200);
    expect(purged.json()).toMatchObject({ state: 'purged', purge: { verified: true, removed: { assets: 1, connector: 1 } } });
    expect((await app.inject({ method: 'GET', url: `/api/v1/connectors/${c.id}`, headers: as('owner') })).statusCode).toBe(404);
    expect((await app.inject({ method: 'GET', url: `/api/v1/connectors/${c.id}/offboarding/plan`, headers: as('owner') })).statusCode).toBe(404);
    // The record stays; executing again answers it.
    const again = await app.inject({ method: 'POST', url: `/api/v1/connectors/${c.id}/offboarding`, headers: as('owner'), payload: { reason: 'x' } });
    expect(again.json()).toMatchObject({ state: 'purged' });
    const audit = (await store.listAudit({ limit: 100 })).items.filter((e) => e.target === `connector:${c.id}`).map((e) => e.action);
    expect(audit).toContain('connector.purge');
    expect(audit.filter((a) => a.startsWith('connector.offboard.'))).toHaveLength(9);
  });

  it('refuses to offboard an active connector unless forced, and a purge before the offboarding is done', async () => {
    const fresh = await buildApp({ store, secrets: box, offboarding: { dataDir } });
    try {
      const c = await connector('busy');
      const res = await fresh.inject({ method: 'POST', url: `/api/v1/connectors/${c.id}/offboarding`, headers: as('owner'), payload: { reason: 'r' } });
      expect(res.statusCode).toBe(409);
      expect(res.json()).toMatchObject({ error: 'active' });
      expect(res.json().message).toMatch(/force/);
      expect((await fresh.inject({ method: 'POST', url: `/api/v1/connectors/${c.id}/offboarding`, headers: as('owner'), payload: { reason: 'r', force: true, bundleDir: 'not/absolute' } })).statusCode).toBe(400);
    } finally {
      await fresh.close();
    }
  });
});
