import { randomBytes } from 'node:crypto';
import SwaggerParser from '@apidevtools/swagger-parser';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { secretBox } from '../app/secrets.js';
import { createToken, addUser } from '../app/users.js';
import { openSqliteStore } from '../storage/sqlite/index.js';
import { roleAtLeast, ROLES, type Role, type Store } from '../storage/store.js';
import { RESOURCES } from './routes/index.js';
import type { RouteSpec } from './route.js';
import { buildApp, loggerOptions } from './server.js';

const system = { name: 'system', role: 'owner' as const };
const PASSWORD = 'a-long-enough-password';

let store: Store;
let app: FastifyInstance;
const tokens = {} as Record<Role, string>;

beforeAll(async () => {
  store = openSqliteStore(':memory:');
  await store.migrate();
  for (const role of ROLES) {
    const u = await addUser(store, system, { username: role, role, password: PASSWORD });
    tokens[role] = (await createToken(store, system, { userId: u.id, name: `${role}-token`, role })).token;
  }
  // The matrix is about authorisation: a stub printer keeps it from launching a browser (src/api/reports.test.ts prints for real).
  app = await buildApp({ store, validateResponses: true, secrets: secretBox(randomBytes(32)), pdf: { render: async () => ({ ok: true, pdf: Buffer.from('%PDF-1.7\n') }), close: async () => {} } });
});
afterAll(async () => {
  await app.close();
  await store.close();
});

const as = (role: Role) => ({ authorization: `Bearer ${tokens[role]}` });

/** Every registered route, from the same list the server uses. */
function allRoutes(): RouteSpec[] {
  return RESOURCES.flatMap((r) => r.routes({ store, metrics: undefined as never }));
}

/** A request that passes validation for each route (so the matrix tests authorisation, not schemas). */
function sample(r: RouteSpec): { url: string; payload?: Record<string, unknown> } {
  const url = r.url.replace(/:(\w+)/g, 'no-such-$1');
  if (r.method === 'POST' && r.url === '/api/v1/users') return { url, payload: { username: `u${Math.random().toString(36).slice(2, 8)}`, role: 'reader', password: PASSWORD } };
  if (r.method === 'POST' && r.url === '/api/v1/tokens') return { url, payload: { name: 'matrix', role: 'reader' } };
  if (r.method === 'POST' && r.url === '/api/v1/exemptions') return { url, payload: { scope: '*', checkId: 'X', reason: 'r', owner: 'o' } };
  if (r.method === 'POST' && r.url === '/api/v1/login') return { url, payload: { username: 'reader', password: PASSWORD } };
  if (r.method === 'POST' && r.url === '/api/v1/role-bindings') return { url, payload: { user: 'no-such-user', connector: 'no-such-connector', role: 'reader' } };
  if (r.method === 'PUT' && r.url === '/api/v1/role-bindings/global') return { url, payload: { user: 'no-such-user', role: 'reader' } };
  // A kubeconfig that does not parse: refused with 422 once past authorisation, without reaching any cluster.
  if (r.method === 'POST' && r.url === '/api/v1/connectors') return { url, payload: { kind: 'cluster', name: 'matrix', kubeconfig: 'clusters: [' } };
  if (r.method === 'POST' && r.url === '/api/v1/ingest-tokens') return { url, payload: { connectorId: 'no-such-connector', name: 'matrix' } };
  if (r.method === 'POST' && r.url === '/api/v1/alerts/:id/status') return { url, payload: { status: 'acknowledged' } };
  if (r.method === 'POST' && r.url === '/api/v1/suppressions') return { url, payload: { rule: 'PAL-RT-010', reason: 'matrix', owner: 'o' } };
  if (r.method === 'PATCH' && r.url === '/api/v1/suppressions/:id') return { url, payload: { reason: 'matrix' } };
  if (r.method === 'POST' && r.url === '/api/v1/connectors/:id/offboarding') return { url, payload: { reason: 'matrix' } };
  if (r.method === 'GET' && r.url === '/api/v1/vulnerabilities') return { url: `${url}?view=cve&severity=high&running=true&exposed=true&limit=5` };
  return { url };
}

describe('authorisation', () => {
  it('every route declares a minimum role, and only health, readiness, login and audit ingest (its own tokens) are public', () => {
    const pub = allRoutes().filter((r) => r.access === 'public').map((r) => r.url);
    expect(pub.sort()).toEqual(['/api/v1/audit/connectors/:connectorId/events', '/api/v1/login', '/healthz', '/readyz']);
  });

  it('answers 401 without credentials, and with a wrong or revoked token', async () => {
    for (const r of allRoutes().filter((x) => x.access !== 'public')) {
      const { url, payload } = sample(r);
      const res = await app.inject({ method: r.method, url, payload });
      expect(res.statusCode, `${r.method} ${r.url}`).toBe(401);
      const bad = await app.inject({ method: r.method, url, payload, headers: { authorization: 'Bearer pal_not-a-real-token' } });
      expect(bad.statusCode, `${r.method} ${r.url}`).toBe(401);
    }
  });

  it('applies the matrix: every role against every route, 403 below the minimum role and never above', async () => {
    for (const r of allRoutes().filter((x) => x.access !== 'public')) {
      for (const role of ROLES) {
        const { url, payload } = sample(r);
        const res = await app.inject({ method: r.method, url, payload, headers: as(role) });
        const label = `${role} ${r.method} ${r.url} -> ${res.statusCode} ${res.body.slice(0, 120)}`;
        if (roleAtLeast(role, r.access as Role)) expect([200, 201, 204, 404, ...(r.url === '/api/v1/connectors' && r.method === 'POST' ? [422] : [])], label).toContain(res.statusCode);
        else expect(res.statusCode, label).toBe(403);
      }
    }
  });

  it('applies the onboarding role to registries as to clusters; every vulnerability view is a Reader\'s', async () => {
    // Plain HTTP without plainHttp: refused with 400 once past authorisation, without reaching any registry.
    const body = { kind: 'registry', name: 'matrix-registry', url: 'http://127.0.0.1:9', repositories: { include: ['team/*'] } };
    const need = allRoutes().find((r) => r.method === 'POST' && r.url === '/api/v1/connectors')!.access as Role;
    for (const role of ROLES) {
      const res = await app.inject({ method: 'POST', url: '/api/v1/connectors', payload: body, headers: as(role) });
      expect(res.statusCode, `${role}: ${res.body}`).toBe(roleAtLeast(role, need) ? 400 : 403);
      if (res.statusCode === 400) expect(res.json().message).toMatch(/plainHttp: true/);
    }
    for (const view of ['image', 'cve', 'rows']) {
      const res = await app.inject({ method: 'GET', url: `/api/v1/vulnerabilities?view=${view}&fixable=true`, headers: as('reader') });
      expect(res.statusCode, res.body).toBe(200);
      expect(res.json()).toEqual({ view, items: [] });
    }
  });

  it('lets a Reader read exemptions but not write them', async () => {
    expect((await app.inject({ method: 'GET', url: '/api/v1/exemptions', headers: as('reader') })).statusCode).toBe(200);
    const w = await app.inject({ method: 'POST', url: '/api/v1/exemptions', headers: as('reader'), payload: { scope: '*', checkId: 'X', reason: 'r', owner: 'o' } });
    expect(w.statusCode).toBe(403);
    expect(w.json()).toMatchObject({ error: 'forbidden' });
  });

  it('does not let a token be created above its user\'s role', async () => {
    const res = await app.inject({ method: 'POST', url: '/api/v1/tokens', headers: as('contributor'), payload: { name: 'x', role: 'owner' } });
    expect(res.statusCode).toBe(403);
  });

  it('rejects a revoked token and a Reader revoking someone else\'s token', async () => {
    const created = await app.inject({ method: 'POST', url: '/api/v1/tokens', headers: as('contributor'), payload: { name: 'short-lived' } });
    expect(created.statusCode).toBe(201);
    const { token, info } = created.json() as { token: string; info: { id: string; role: string } };
    expect(info.role).toBe('contributor');
    expect((await app.inject({ method: 'GET', url: '/api/v1/me', headers: { authorization: `Bearer ${token}` } })).json()).toMatchObject({ role: 'contributor' });
    expect((await app.inject({ method: 'DELETE', url: `/api/v1/tokens/${info.id}`, headers: as('reader') })).statusCode).toBe(404);
    expect((await app.inject({ method: 'DELETE', url: `/api/v1/tokens/${info.id}`, headers: as('contributor') })).statusCode).toBe(204);
    expect((await app.inject({ method: 'GET', url: '/api/v1/me', headers: { authorization: `Bearer ${token}` } })).statusCode).toBe(401);
  });
});

describe('sessions', () => {
  it('logs in with an HttpOnly SameSite=Strict cookie that authenticates until logout', async () => {
    const bad = await app.inject({ method: 'POST', url: '/api/v1/login', payload: { username: 'owner', password: 'wrong-password!' } });
    expect(bad.statusCode).toBe(401);
    expect(bad.headers['set-cookie']).toBeUndefined();
    const res = await app.inject({ method: 'POST', url: '/api/v1/login', payload: { username: 'owner', password: PASSWORD } });
    expect(res.statusCode).toBe(200);
    const cookie = String(res.headers['set-cookie']);
    expect(cookie).toMatch(/^palisade_session=[\w-]{40,};/);
    expect(cookie).toContain('HttpOnly');
    expect(cookie).toContain('SameSite=Strict');
    const session = cookie.split(';')[0];
    expect((await app.inject({ method: 'GET', url: '/api/v1/users', headers: { cookie: session } })).statusCode).toBe(200);
    expect((await app.inject({ method: 'POST', url: '/api/v1/logout', headers: { cookie: session } })).statusCode).toBe(204);
    expect((await app.inject({ method: 'GET', url: '/api/v1/users', headers: { cookie: session } })).statusCode).toBe(401);
  });

  it('refuses logins of a user after five failures with 429 and Retry-After, even with the right password, without locking others', async () => {
    await addUser(store, system, { username: 'guessed', role: 'reader', password: PASSWORD });
    const attempt = (username: string, password: string) => app.inject({ method: 'POST', url: '/api/v1/login', payload: { username, password } });
    for (let i = 0; i < 5; i++) expect((await attempt('guessed', `wrong-${i}-password`)).statusCode).toBe(401);
    const locked = await attempt('guessed', PASSWORD);
    expect(locked.statusCode).toBe(429);
    expect(locked.json().error).toBe('too_many_attempts');
    expect(Number(locked.headers['retry-after'])).toBeGreaterThan(0);
    expect((await attempt('owner', PASSWORD)).statusCode).toBe(200);
    // Each refused guess was audited as a failed login; the throttled attempt never reached the password check.
    const failed = (await store.listAudit({ action: 'auth.login-failed', limit: 50 })).items.filter((e) => e.target === 'user:guessed');
    expect(failed).toHaveLength(5);
  });
});

describe('audit trail', () => {
  it('records who changed what, from where, with before and after', async () => {
    const created = await app.inject({ method: 'POST', url: '/api/v1/exemptions', headers: as('contributor'), payload: { scope: 'namespace:prod/legacy', checkId: 'PAL-K8S-001', reason: 'vendor image', owner: 'team-a', expiresAt: '2099-01-01T00:00:00Z' } });
    expect(created.statusCode).toBe(201);
    const id = (created.json() as { id: string }).id;
    expect((await app.inject({ method: 'DELETE', url: `/api/v1/exemptions/${id}`, headers: as('contributor') })).statusCode).toBe(204);
    const log = (await app.inject({ method: 'GET', url: '/api/v1/audit-log?limit=5', headers: as('owner') })).json() as { items: Array<Record<string, unknown>> };
    const [del, add] = log.items;
    const prefix = tokens.contributor.slice(0, 12);
    expect(del).toMatchObject({ actor: `token:${prefix}`, action: 'exemption.delete', target: `exemption:${id}`, source: '127.0.0.1', before: { scope: 'namespace:prod/legacy', reason: 'vendor image' }, after: null });
    expect(add).toMatchObject({ actor: `token:${prefix}`, action: 'exemption.create', after: { owner: 'team-a', expiresAt: '2099-01-01T00:00:00.000Z' } });
  });

  it('records user changes and never the password', async () => {
    const res = await app.inject({ method: 'POST', url: '/api/v1/users', headers: as('owner'), payload: { username: 'erin', role: 'contributor', password: 'erin-secret-password' } });
    expect(res.statusCode).toBe(201);
    expect(res.body).not.toContain('erin-secret-password');
    expect((await app.inject({ method: 'POST', url: '/api/v1/users', headers: as('owner'), payload: { username: 'erin', role: 'reader', password: 'another-password' } })).statusCode).toBe(409);
    const log = await app.inject({ method: 'GET', url: '/api/v1/audit-log?action=user.create', headers: as('owner') });
    expect(log.json().items[0]).toMatchObject({ action: 'user.create', target: 'user:erin', after: { username: 'erin', role: 'contributor' } });
    expect(log.body).not.toContain('erin-secret-password');
    expect(log.body).not.toContain('scrypt$');
  });
});

describe('validation, health, OpenAPI, metrics', () => {
  it('answers 400 with the field at fault', async () => {
    const res = await app.inject({ method: 'POST', url: '/api/v1/exemptions', headers: as('owner'), payload: { scope: '*', checkId: 'X', owner: 'o', expiresAt: 'soon' } });
    expect(res.statusCode).toBe(400);
    expect(res.json().message).toMatch(/reason/);
    expect(res.json().message).toMatch(/expiresAt/);
  });

  it('reports readiness with the store and its migrations', async () => {
    const res = await app.inject({ method: 'GET', url: '/readyz' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ status: 'ready', store: 'sqlite', pendingMigrations: [] });
  });

  it('serves a valid OpenAPI 3 document that lists every route with its role', async () => {
    const doc = (await app.inject({ method: 'GET', url: '/openapi.json' })).json();
    await expect(SwaggerParser.validate(structuredClone(doc))).resolves.toBeTruthy();
    for (const r of allRoutes()) {
      const op = doc.paths[r.url.replace(/:(\w+)/g, '{$1}')]?.[r.method.toLowerCase()];
      expect(op, `${r.method} ${r.url}`).toBeDefined();
      expect(op['x-palisade-role']).toBe(r.access);
    }
    expect(doc.paths['/api/v1/exemptions'].post.requestBody.content['application/json'].schema.required).toEqual(['scope', 'checkId', 'reason', 'owner']);
  });

  it('exposes Prometheus text metrics with request counts by route pattern', async () => {
    await app.inject({ method: 'GET', url: '/api/v1/users/nobody', headers: as('owner') });
    const res = await app.inject({ method: 'GET', url: '/metrics', headers: as('reader') });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
    expect(res.body).toContain('# TYPE palisade_http_requests_total counter');
    expect(res.body).toMatch(/^palisade_http_requests_total\{method="GET",route="\/readyz",status="200"\} \d+$/m);
    expect(res.body).toContain('palisade_http_request_duration_seconds_bucket{le="0.005"');
    // Every line is a comment or `name{labels} value`.
    for (const line of res.body.trim().split('\n').filter(Boolean)) expect(line).toMatch(/^(# (HELP|TYPE) \w+ .*|[a-zA-Z_:][\w:]*(\{.*\})? -?[\d.e+-]+|[a-zA-Z_:][\w:]*(\{.*\})? (NaN|\+Inf|-Inf))$/);
  });
});

describe('route registry', () => {
  it('lists every file of src/api/routes', async () => {
    const { readdirSync } = await import('node:fs');
    const files = readdirSync(new URL('./routes/', import.meta.url)).filter((f) => f.endsWith('.ts') && f !== 'index.ts' && !f.endsWith('.test.ts')).map((f) => f.replace(/\.ts$/, ''));
    expect(RESOURCES.map((r) => r.file).sort()).toEqual(files.sort());
  });
});

describe('logging', () => {
  it('redacts credentials and secret-named fields', async () => {
    const lines: string[] = [];
    const stream = { write: (s: string) => void lines.push(s) };
    const logged = await buildApp({ store, logger: { ...loggerOptions('info'), stream } });
    try {
      logged.log.info({ req: { headers: { authorization: `Bearer ${tokens.owner}`, cookie: 'palisade_session=abc123' } }, connector: { name: 'ghcr', password: 'hunter2-registry', token: 'kube-token-xyz' } }, 'connector saved');
      await logged.inject({ method: 'POST', url: '/api/v1/login', payload: { username: 'owner', password: PASSWORD } });
      await logged.inject({ method: 'GET', url: '/api/v1/me', headers: as('owner') });
    } finally {
      await logged.close();
    }
    const text = lines.join('');
    expect(text).toContain('connector saved');
    expect(text).toContain('[redacted]');
    for (const secret of [tokens.owner, 'abc123', 'hunter2-registry', 'kube-token-xyz', PASSWORD]) expect(text).not.toContain(secret);
  });
});

describe('roles per connector', () => {
  /** Two connectors, each with an asset, a finding, an exemption and a binding; a user with each role on A only. */
  const fx = {} as { a: Fixture; b: Fixture; tokens: Record<Role, string> };
  interface Fixture {
    id: string;
    assetId: string;
    exemptionId: string;
    bindingId: string;
  }

  async function fixture(name: string): Promise<Fixture> {
    const c = await store.createConnector({ kind: 'cluster', name, config: {}, secrets: null });
    const [asset] = await store.upsertAssets([{ connectorId: c.id, type: 'workload', key: `shop/Deployment/${name}-web`, attributes: {} }], new Date().toISOString());
    await store.upsertFindings([{ assetId: asset.id, checkId: `CHECK-${name}`, severity: 'high', path: 'spec', message: 'm' }], new Date().toISOString());
    const ex = await store.createExemption({ scope: `connector:${c.id}`, checkId: '*', reason: 'r', owner: 'o', expiresAt: null, createdBy: 'system' });
    const b = await store.putRoleBinding({ subjectKind: 'user', subjectId: (await store.getUserByName('reader'))!.id, connectorId: c.id, role: 'reader', createdBy: 'system' });
    await store.appendScore({ scope: `connector:${c.id}`, at: new Date().toISOString(), score: 50 });
    return { id: c.id, assetId: asset.id, exemptionId: ex.id, bindingId: b.id };
  }

  beforeAll(async () => {
    fx.a = await fixture('conn-a');
    fx.b = await fixture('conn-b');
    fx.tokens = {} as Record<Role, string>;
    for (const role of ROLES) {
      const u = await addUser(store, system, { username: `${role}-on-a`, role: 'reader', password: PASSWORD });
      await store.setGlobalAccess({ kind: 'user', id: u.id }, false);
      await store.putRoleBinding({ subjectKind: 'user', subjectId: u.id, connectorId: fx.a.id, role, createdBy: 'system' });
      fx.tokens[role] = (await createToken(store, system, { userId: u.id, name: 'scoped', role: 'reader' })).token;
      // The token may act up to the user's role on A: its own global role is raised to match.
      const t = (await store.listApiTokens({ userId: u.id }))[0];
      await store.setGlobalAccess({ kind: 'token', id: t.id }, true, role);
    }
  });

  const onA = (role: Role) => ({ authorization: `Bearer ${fx.tokens[role]}` });

  /** The id of the object of `c` a route with `:id` is about, for the routes whose objects the fixture has. */
  function ids(r: RouteSpec, c: Fixture = fx.a): string | undefined {
    return ({ '/api/v1/assets/:id': c.assetId, '/api/v1/exemptions/:id': c.exemptionId, '/api/v1/role-bindings/:id': c.bindingId } as Record<string, string>)[r.url];
  }

  /** A request about connector `c` for a route. */
  function about(r: RouteSpec, c: Fixture): { url: string; payload?: Record<string, unknown> } {
    const base = sample(r);
    let url = r.url.replace(/:id\b/, ids(r, c) ?? (r.connector?.from === 'params.id' || r.url.startsWith('/api/v1/connectors/:id') ? c.id : 'no-such-id')).replace(/:(\w+)/g, 'no-such-$1');
    let payload = base.payload;
    if (r.connector?.from === 'query.connector') url += `${url.includes('?') ? '&' : '?'}connector=${c.id}`;
    if (r.url === '/api/v1/exemptions' && r.method === 'GET') url += `?scope=connector:${c.id}`;
    if (r.url === '/api/v1/score/history') url += `?scope=connector:${c.id}`;
    if (r.url === '/api/v1/exemptions' && r.method === 'POST') payload = { scope: `connector:${c.id}`, checkId: 'X', reason: 'r', owner: 'o' };
    if (r.url === '/api/v1/role-bindings' && r.method === 'POST') payload = { user: 'contributor', connector: c.id, role: 'reader' };
    if ((r.url === '/api/v1/suppressions' || r.url === '/api/v1/ingest-tokens') && r.method === 'POST') payload = { ...payload, connectorId: c.id };
    return { url, payload };
  }

  it('applies the matrix with a role on connector A: routes about A by role, about B never, global-only routes never', async () => {
    for (const r of allRoutes().filter((x) => x.access !== 'public')) {
      for (const role of ROLES) {
        for (const [which, c] of [['A', fx.a], ['B', fx.b]] as const) {
          const { url, payload } = about(r, c);
          const res = await app.inject({ method: r.method, url, payload, headers: onA(role) });
          const label = `${role} on A, ${r.method} ${url} (about ${which}) -> ${res.statusCode} ${res.body.slice(0, 120)}`;
          const byConnector = r.connector !== undefined && (r.access !== 'owner' || r.connector.connectorOwner === true);
          // A list whose request names no connector (GET /connectors, /score) answers for A alone, about A or B.
          const namesNone = r.connector?.list === true && typeof r.connector.from === 'function' && r.url !== '/api/v1/exemptions';
          const allowed = r.self === true || (byConnector && (which === 'A' || namesNone) && roleAtLeast(role, r.access as Role));
          if (allowed) expect([200, 201, 204, 404, 409, 422, 502], label).toContain(res.statusCode);
          // A resolver that finds no object (no offboarding of B yet) answers 404 before anything is read.
          else if (typeof r.connector?.from === 'function' && !r.connector.list && !ids(r)) expect([403, 404], label).toContain(res.statusCode);
          else expect(res.statusCode, label).toBe(403);
        }
      }
    }
  });

  it('lists only what the connectors a caller may read hold', async () => {
    const get = async (url: string) => (await app.inject({ method: 'GET', url, headers: onA('reader') })).json();
    expect((await get('/api/v1/connectors')).items.map((c: { id: string }) => c.id)).toEqual([fx.a.id]);
    const assets = (await get('/api/v1/assets')).items as Array<{ connectorId: string }>;
    expect(assets.length).toBeGreaterThan(0);
    expect(new Set(assets.map((a) => a.connectorId))).toEqual(new Set([fx.a.id]));
    expect((await get('/api/v1/recommendations')).items.map((r: { checkId: string }) => r.checkId)).toEqual(['CHECK-conn-a']);
    expect((await get('/api/v1/recommendations/CHECK-conn-b')).error).toBe('not_found');
    const score = await get('/api/v1/score');
    expect(score.overall).toBeNull();
    expect(score.connectors.map((c: { connectorId: string }) => c.connectorId)).toEqual([fx.a.id]);
    const scopes = (await get('/api/v1/exemptions')).items.map((e: { scope: string }) => e.scope);
    expect(scopes).toContain(`connector:${fx.a.id}`);
    expect(scopes).not.toContain(`connector:${fx.b.id}`);
    // A global Reader sees both.
    const all = (await app.inject({ method: 'GET', url: '/api/v1/connectors', headers: as('reader') })).json().items.map((c: { id: string }) => c.id);
    expect(all).toEqual(expect.arrayContaining([fx.a.id, fx.b.id]));
  });

  it('lets a Contributor on A suppress alerts of A but not of B or everywhere, and an Owner on A manage only ingest tokens of A', async () => {
    const suppress = (connectorId?: string) => app.inject({ method: 'POST', url: '/api/v1/suppressions', headers: onA('contributor'), payload: { rule: 'PAL-RT-010', reason: 'r', owner: 'o', ...(connectorId ? { connectorId } : {}) } });
    const mine = await suppress(fx.a.id);
    expect(mine.statusCode).toBe(201);
    expect((await suppress(fx.b.id)).statusCode).toBe(403);
    expect((await suppress()).statusCode).toBe(403);
    expect((await app.inject({ method: 'PATCH', url: `/api/v1/suppressions/${mine.json().id}`, headers: onA('contributor'), payload: { reason: 'still' } })).statusCode).toBe(200);
    const global = await app.inject({ method: 'POST', url: '/api/v1/suppressions', headers: as('contributor'), payload: { rule: 'PAL-RT-010', reason: 'r', owner: 'o' } });
    expect((await app.inject({ method: 'DELETE', url: `/api/v1/suppressions/${global.json().id}`, headers: onA('contributor') })).statusCode).toBe(403);

    const token = (connectorId: string) => app.inject({ method: 'POST', url: '/api/v1/ingest-tokens', headers: onA('owner'), payload: { connectorId, name: 'webhook' } });
    const onMine = await token(fx.a.id);
    expect(onMine.statusCode).toBe(201);
    expect((await token(fx.b.id)).statusCode).toBe(403);
    const other = await app.inject({ method: 'POST', url: '/api/v1/ingest-tokens', headers: as('owner'), payload: { connectorId: fx.b.id, name: 'webhook' } });
    const listed = (await app.inject({ method: 'GET', url: '/api/v1/ingest-tokens', headers: onA('owner') })).json().items as Array<{ id: string; connectorId: string }>;
    expect(new Set(listed.map((t) => t.connectorId))).toEqual(new Set([fx.a.id]));
    expect(listed.map((t) => t.id)).toContain(onMine.json().info.id);
    expect((await app.inject({ method: 'DELETE', url: `/api/v1/ingest-tokens/${other.json().info.id}`, headers: onA('owner') })).statusCode).toBe(403);
    expect((await app.inject({ method: 'DELETE', url: `/api/v1/ingest-tokens/${onMine.json().info.id}`, headers: onA('owner') })).statusCode).toBe(204);
  });

  it('lets a Contributor on A add exemptions scoped to A (by connector, namespace or asset) but not to B or everywhere', async () => {
    const post = (scope: string) => app.inject({ method: 'POST', url: '/api/v1/exemptions', headers: onA('contributor'), payload: { scope, checkId: '*', reason: 'r', owner: 'o' } });
    expect((await post(`connector:${fx.a.id}`)).statusCode).toBe(201);
    expect((await post('namespace:conn-a/shop')).statusCode).toBe(201);
    expect((await post(`asset:${fx.a.assetId}`)).statusCode).toBe(201);
    expect((await post(`connector:${fx.b.id}`)).statusCode).toBe(403);
    expect((await post('namespace:conn-b/shop')).statusCode).toBe(403);
    expect((await post(`asset:${fx.b.assetId}`)).statusCode).toBe(403);
    expect((await post('*')).statusCode).toBe(403);
  });

  it('grants, lists and revokes bindings (audited); an Owner of A manages bindings on A only', async () => {
    const grant = await app.inject({ method: 'POST', url: '/api/v1/role-bindings', headers: onA('owner'), payload: { user: 'erin-scoped', connector: fx.a.id, role: 'contributor' } });
    expect(grant.statusCode).toBe(404);
    await addUser(store, system, { username: 'erin-scoped', role: 'reader', password: PASSWORD });
    const ok = await app.inject({ method: 'POST', url: '/api/v1/role-bindings', headers: onA('owner'), payload: { user: 'erin-scoped', connector: fx.a.id, role: 'contributor' } });
    expect(ok.statusCode, ok.body).toBe(201);
    expect(ok.json()).toMatchObject({ subject: { kind: 'user', name: 'user:erin-scoped' }, connectorId: fx.a.id, role: 'contributor' });
    expect((await app.inject({ method: 'POST', url: '/api/v1/role-bindings', headers: onA('owner'), payload: { user: 'erin-scoped', connector: fx.b.id, role: 'reader' } })).statusCode).toBe(403);
    const listed = (await app.inject({ method: 'GET', url: '/api/v1/role-bindings', headers: onA('owner') })).json().items as Array<{ connectorId: string }>;
    expect(new Set(listed.map((b) => b.connectorId))).toEqual(new Set([fx.a.id]));
    expect((await app.inject({ method: 'DELETE', url: `/api/v1/role-bindings/${ok.json().id}`, headers: onA('owner') })).statusCode).toBe(204);
    const log = (await app.inject({ method: 'GET', url: '/api/v1/audit-log?action=role-binding.grant', headers: as('owner') })).json().items;
    expect(log[0]).toMatchObject({ actor: `token:${fx.tokens.owner.slice(0, 12)}`, target: `connector:${fx.a.id}`, after: { subject: 'user:erin-scoped', connector: 'conn-a', role: 'contributor' } });
    // Taking a user's global role away leaves it its bindings only.
    const put = await app.inject({ method: 'PUT', url: '/api/v1/role-bindings/global', headers: as('owner'), payload: { user: 'erin-scoped', role: null } });
    expect(put.json()).toEqual({ subject: 'user:erin-scoped', role: null });
  });

  it('writes a token\'s last use at most once a minute', async () => {
    const spy = vi.spyOn(store, 'touchApiToken');
    try {
      const u = await addUser(store, system, { username: 'touchy', role: 'reader', password: PASSWORD });
      const { token } = await createToken(store, system, { userId: u.id, name: 't', role: 'reader' });
      for (let i = 0; i < 5; i++) expect((await app.inject({ method: 'GET', url: '/api/v1/me', headers: { authorization: `Bearer ${token}` } })).statusCode).toBe(200);
      expect(spy).toHaveBeenCalledTimes(1);
      expect((await store.listApiTokens({ userId: u.id }))[0].lastUsedAt).not.toBeNull();
    } finally {
      spy.mockRestore();
    }
  });
});
