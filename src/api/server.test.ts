import { randomBytes } from 'node:crypto';
import SwaggerParser from '@apidevtools/swagger-parser';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
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
  app = await buildApp({ store, validateResponses: true, secrets: secretBox(randomBytes(32)) });
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
  // A kubeconfig that does not parse: refused with 422 once past authorisation, without reaching any cluster.
  if (r.method === 'POST' && r.url === '/api/v1/connectors') return { url, payload: { kind: 'cluster', name: 'matrix', kubeconfig: 'clusters: [' } };
  return { url };
}

describe('authorisation', () => {
  it('every route declares a minimum role, and only health, readiness and login are public', () => {
    const pub = allRoutes().filter((r) => r.access === 'public').map((r) => r.url);
    expect(pub.sort()).toEqual(['/api/v1/login', '/healthz', '/readyz']);
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
