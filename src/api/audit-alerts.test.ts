/**
 * The server's audit webhook, ingest tokens, alerts and suppressions through the HTTP API (Fastify inject, SQLite).
 */
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { loadThreatRules } from '../app/audit.js';
import { ServerAudit } from '../app/server-audit.js';
import { EventBuilder } from '../app/simulate.js';
import { addUser, createToken } from '../app/users.js';
import { openSqliteStore } from '../storage/sqlite/index.js';
import { ROLES, type Role, type Store } from '../storage/store.js';
import { buildApp } from './server.js';

const system = { name: 'system', role: 'owner' as const };

let store: Store;
let app: FastifyInstance;
let audit: ServerAudit;
const tokens = {} as Record<Role, string>;

beforeAll(async () => {
  store = openSqliteStore(':memory:');
  await store.migrate();
  for (const role of ROLES) {
    const u = await addUser(store, system, { username: role, role, password: 'a-long-enough-password' });
    tokens[role] = (await createToken(store, system, { userId: u.id, name: role, role })).token;
  }
  audit = new ServerAudit({ store, ruleSet: loadThreatRules(), limits: { maxEventBytes: 8 * 1024, maxBatchBytes: 64 * 1024, maxBatchEvents: 50 } });
  app = await buildApp({ store, validateResponses: true, audit });
});
afterAll(async () => {
  await app.close();
  await store.close();
});

const as = (role: Role) => ({ authorization: `Bearer ${tokens[role]}` });
const call = (role: Role, method: 'GET' | 'POST' | 'DELETE' | 'PATCH', url: string, payload?: unknown) => app.inject({ method, url, headers: as(role), payload: payload as Record<string, unknown> });

let connectorId: string;
let ingestToken: string;
beforeEach(async () => {
  connectorId = (await store.createConnector({ kind: 'cluster', name: `lab-${Math.random().toString(36).slice(2, 8)}`, config: {}, secrets: null })).id;
  const res = await call('owner', 'POST', '/api/v1/ingest-tokens', { connectorId, name: 'apiserver' });
  expect(res.statusCode, res.body).toBe(201);
  ingestToken = res.json().token;
});

const events = new EventBuilder('api-test', Date.parse('2026-01-10T12:00:00Z'));
let n = 0;
/** An exec into a pod (PAL-RT-010), by `user`. */
function execEvent(user = 'mallory@example.com', pod = 'web-0'): Record<string, unknown> {
  return events.at(n++ * 1000, {
    stage: 'ResponseStarted',
    verb: 'create',
    user: { username: user, groups: ['system:authenticated'] },
    sourceIPs: ['203.0.113.66'],
    objectRef: { resource: 'pods', namespace: 'shop', name: pod, subresource: 'exec', apiVersion: 'v1' },
    requestURI: `/api/v1/namespaces/shop/pods/${pod}/exec?command=sh&container=app`,
    responseStatus: { metadata: {}, code: 101 },
  });
}
const eventList = (items: unknown[]) => ({ kind: 'EventList', apiVersion: 'audit.k8s.io/v1', metadata: {}, items });
const ingest = (body: unknown, token: string = ingestToken, id = connectorId) =>
  app.inject({
    method: 'POST',
    url: `/api/v1/audit/connectors/${id}/events`,
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    payload: typeof body === 'string' ? body : JSON.stringify(body),
  });

describe('ingest tokens', () => {
  it('are created by Owners for an existing connector, shown once, listed without the secret, and revoked with audit entries', async () => {
    expect((await call('contributor', 'POST', '/api/v1/ingest-tokens', { connectorId, name: 'x' })).statusCode).toBe(403);
    expect((await call('contributor', 'GET', '/api/v1/ingest-tokens')).statusCode).toBe(403);
    expect((await call('owner', 'POST', '/api/v1/ingest-tokens', { connectorId: 'no-such', name: 'x' })).statusCode).toBe(404);
    const created = await call('owner', 'POST', '/api/v1/ingest-tokens', { connectorId, name: 'second' });
    expect(created.statusCode).toBe(201);
    const { token, info, url } = created.json();
    expect(token).toMatch(/^pai_[\w-]{40}$/);
    expect(info).toMatchObject({ connectorId, name: 'second', prefix: token.slice(0, 12), createdBy: `token:${tokens.owner.slice(0, 12)}`, revokedAt: null });
    expect(url).toBe(`/api/v1/audit/connectors/${connectorId}/events`);
    const list = await call('owner', 'GET', `/api/v1/ingest-tokens?connector=${connectorId}`);
    expect(list.json().items.map((t: { name: string }) => t.name)).toEqual(['apiserver', 'second']);
    expect(list.body).not.toContain(token);
    expect(list.body).not.toContain('tokenHash');
    expect((await call('owner', 'DELETE', `/api/v1/ingest-tokens/${info.prefix}`)).statusCode).toBe(204);
    expect((await call('owner', 'DELETE', `/api/v1/ingest-tokens/${info.id}`)).statusCode).toBe(404);
    expect((await call('owner', 'GET', `/api/v1/ingest-tokens?connector=${connectorId}`)).json().items).toHaveLength(1);
    expect((await call('owner', 'GET', `/api/v1/ingest-tokens?connector=${connectorId}&includeRevoked=true`)).json().items).toHaveLength(2);
    const log = (await call('owner', 'GET', '/api/v1/audit-log?limit=3')).json().items;
    expect(log[0]).toMatchObject({ action: 'ingest-token.revoke', target: `ingest-token:${info.prefix}` });
    expect(log[1]).toMatchObject({ action: 'ingest-token.create', target: `ingest-token:${info.prefix}`, after: { name: 'second', connectorId } });
    expect(JSON.stringify(log)).not.toContain(token);
  });
});

describe('audit ingest', () => {
  it('answers 401 without a token, with a user token, or with the token of another connector; 410 once revoked or the connector is gone', async () => {
    const body = eventList([execEvent()]);
    expect((await ingest(body, '')).statusCode).toBe(401);
    expect((await ingest(body, tokens.owner)).statusCode).toBe(401);
    const other = (await store.createConnector({ kind: 'cluster', name: `other-${n}`, config: {}, secrets: null })).id;
    const otherToken = (await call('owner', 'POST', '/api/v1/ingest-tokens', { connectorId: other, name: 'o' })).json().token;
    expect((await ingest(body, otherToken)).statusCode).toBe(401);
    expect((await ingest(body, otherToken, other)).statusCode).toBe(200);

    const prefix = ingestToken.slice(0, 12);
    expect((await call('owner', 'DELETE', `/api/v1/ingest-tokens/${prefix}`)).statusCode).toBe(204);
    const gone = await ingest(body);
    expect(gone.statusCode).toBe(410);
    expect(gone.json()).toMatchObject({ error: 'gone' });
    expect(gone.json().message).toMatch(new RegExp(`ingest token ${prefix} was revoked`));

    await store.deleteConnector(other);
    const deleted = await ingest(body, otherToken, other);
    expect(deleted.statusCode).toBe(410);
    expect(deleted.json().message).toMatch(/no longer exists/);
  });

  it('stores a batch, refuses bad events while the rest flows, and counts what it refused', async () => {
    const huge = { ...execEvent(), requestObject: { blob: 'x'.repeat(9000) } };
    const res = await ingest(eventList([execEvent('alice@example.com'), huge, { kind: 'Pod', apiVersion: 'v1' }, { kind: 'Event', verb: 42 }, execEvent('bob@example.com')]));
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toEqual({ accepted: 2, duplicates: 0, rejected: { 'event-too-large': 1, 'wrong-kind': 1, 'malformed-event': 1 } });
    expect(audit.stats.rejected).toMatchObject({ 'event-too-large': 1, 'wrong-kind': 1, 'malformed-event': 1 });
  });

  it('refuses what is not an EventList with 400 and oversized batches with 413, storing nothing', async () => {
    const before = audit.stats.accepted;
    for (const bad of ['{not json', JSON.stringify({ kind: 'PodList', items: [] }), JSON.stringify([execEvent()])]) {
      const res = await ingest(bad);
      expect(res.statusCode, bad).toBe(400);
      expect(res.json().error).toBe('malformed-batch');
    }
    const tooMany = await ingest(eventList(Array.from({ length: 51 }, () => execEvent())));
    expect(tooMany.statusCode).toBe(413);
    expect(tooMany.json().error).toBe('batch-too-many-events');
    const tooBig = await ingest(eventList(Array.from({ length: 20 }, () => ({ ...execEvent(), requestObject: { blob: 'y'.repeat(4000) } }))));
    expect(tooBig.statusCode).toBe(413);
    expect(tooBig.json().error).toBe('batch-too-large');
    expect(audit.stats.accepted).toBe(before);
    expect(audit.stats.rejected['malformed-batch']).toBeGreaterThanOrEqual(3);
    const metrics = (await call('reader', 'GET', '/metrics')).body;
    expect(metrics).toMatch(new RegExp(`^palisade_audit_refused_total\\{reason="malformed-batch"\\} ${audit.stats.rejected['malformed-batch']}$`, 'm'));
    expect(metrics).toMatch(/^palisade_audit_refused_total\{reason="batch-too-large"\} [1-9]/m);
    expect(metrics).toMatch(new RegExp(`^palisade_audit_events_total\\{result="stored"\\} ${audit.stats.accepted}$`, 'm'));
  });

  it('stores a batch sent twice once, and merges its alerts', async () => {
    const batch = eventList([execEvent('carol@example.com', 'db-0')]);
    expect((await ingest(batch)).json()).toMatchObject({ accepted: 1, duplicates: 0 });
    expect((await ingest(batch)).json()).toMatchObject({ accepted: 0, duplicates: 1 });
    const alerts = (await call('reader', 'GET', `/api/v1/alerts?connector=${connectorId}&rule=PAL-RT-010`)).json().items;
    expect(alerts).toHaveLength(1);
    expect(alerts[0]).toMatchObject({ count: 1, entities: { user: 'carol@example.com', name: 'db-0' } });
  });
});

describe('alerts', () => {
  it('lists with filters, shows one with named tactics and raw events, and moves through the lifecycle with audit entries', async () => {
    const ev = execEvent('dave@example.com', 'api-0');
    expect((await ingest(eventList([ev]))).statusCode).toBe(200);
    const list = await call('reader', 'GET', `/api/v1/alerts?connector=${connectorId}&severity=low,medium&status=new&rule=pod-exec-or-attach`);
    expect(list.statusCode, list.body).toBe(200);
    const [alert] = list.json().items;
    expect(alert).toMatchObject({ connectorId, ruleId: 'PAL-RT-010', status: 'new', severity: 'low', mitre: { tactics: ['TA0002'] }, entities: { user: 'dave@example.com', namespace: 'shop', subresource: 'exec' }, auditIds: [ev.auditID] });
    expect((await call('reader', 'GET', `/api/v1/alerts?connector=${connectorId}&severity=critical`)).json().items).toEqual([]);
    expect((await call('reader', 'GET', '/api/v1/alerts?severity=urgent')).statusCode).toBe(400);

    const detail = (await call('reader', 'GET', `/api/v1/alerts/${alert.id}`)).json();
    expect(detail.tactics).toEqual([{ id: 'TA0002', name: 'Execution' }]);
    expect(detail.events).toHaveLength(1);
    expect(detail.events[0].event).toMatchObject({ auditID: ev.auditID, objectRef: { subresource: 'exec' } });
    expect((await call('reader', 'GET', '/api/v1/alerts/999999')).statusCode).toBe(404);
    expect((await call('reader', 'GET', '/api/v1/alerts/abc')).statusCode).toBe(404);

    const move = (role: Role, status: string, reason?: string) => call(role, 'POST', `/api/v1/alerts/${alert.id}/status`, { status, ...(reason ? { reason } : {}) });
    expect((await move('reader', 'acknowledged')).statusCode).toBe(403);
    expect((await move('contributor', 'dismissed')).statusCode).toBe(400);
    const ack = await move('contributor', 'acknowledged');
    expect(ack.json()).toMatchObject({ status: 'acknowledged', statusBy: `token:${tokens.contributor.slice(0, 12)}` });
    expect((await move('contributor', 'resolved', 'pod rebuilt')).json()).toMatchObject({ status: 'resolved', statusReason: 'pod rebuilt' });
    const again = await move('contributor', 'acknowledged');
    expect(again.statusCode).toBe(409);
    expect(again.json().message).toMatch(/is resolved/);
    const log = (await call('owner', 'GET', '/api/v1/audit-log?limit=2')).json().items;
    expect(log.map((e: { action: string }) => e.action)).toEqual(['alert.resolve', 'alert.acknowledge']);
    expect(log[0]).toMatchObject({ target: `alert:${alert.id}`, before: { status: 'acknowledged' }, after: { status: 'resolved', reason: 'pod rebuilt' } });

    // A recurrence after resolution is a new alert.
    expect((await ingest(eventList([execEvent('dave@example.com', 'api-0')]))).statusCode).toBe(200);
    expect((await call('reader', 'GET', `/api/v1/alerts?connector=${connectorId}&rule=PAL-RT-010`)).json().items.map((a: { status: string }) => a.status)).toEqual(['new', 'resolved']);
  });

  it('pages newest first and counts per day and severity for the dashboard', async () => {
    await ingest(eventList([execEvent('erin@example.com', 'a'), execEvent('frank@example.com', 'b'), execEvent('grace@example.com', 'c')]));
    const p1 = (await call('reader', 'GET', `/api/v1/alerts?connector=${connectorId}&limit=2`)).json();
    expect(p1.items).toHaveLength(2);
    const p2 = (await call('reader', 'GET', `/api/v1/alerts?connector=${connectorId}&limit=2&cursor=${p1.next}`)).json();
    expect(p2.items).toHaveLength(1);
    expect(p2.next).toBeUndefined();
    expect([...p1.items, ...p2.items].map((a: { entities: { user: string } }) => a.entities.user)).toEqual(['grace@example.com', 'frank@example.com', 'erin@example.com']);
    const summary = (await call('reader', 'GET', `/api/v1/alerts/summary?connector=${connectorId}&since=2026-01-01T00:00:00Z`)).json();
    expect(summary).toMatchObject({ bucket: 'day', since: '2026-01-01T00:00:00.000Z', series: [{ bucket: '2026-01-10', counts: { low: 3, high: 0 } }], totals: { low: 3, critical: 0 } });
    const hourly = (await call('reader', 'GET', `/api/v1/alerts/summary?connector=${connectorId}&since=2026-01-01T00:00:00Z&bucket=hour`)).json();
    expect(hourly.series.map((s: { bucket: string }) => s.bucket)).toEqual(['2026-01-10T12']);
  });
});

describe('suppressions', () => {
  it('keep matching alerts from being raised, count the matches, and are changed and removed with audit entries', async () => {
    expect((await call('reader', 'POST', '/api/v1/suppressions', { user: 'ci-*', reason: 'r', owner: 'o' })).statusCode).toBe(403);
    expect((await call('contributor', 'POST', '/api/v1/suppressions', { reason: 'r', owner: 'o' })).json().message).toMatch(/at least one of rule, user/);
    expect((await call('contributor', 'POST', '/api/v1/suppressions', { sourceIp: 'nowhere', reason: 'r', owner: 'o' })).json().message).toMatch(/sourceIp: "nowhere" is not an IP/);
    const created = await call('contributor', 'POST', '/api/v1/suppressions', { connectorId, rule: 'PAL-RT-010', user: 'ci-*', namespace: 'shop', reason: 'smoke tests exec into pods', owner: 'team-a', expiresAt: '2099-01-01T00:00:00Z' });
    expect(created.statusCode, created.body).toBe(201);
    const s = created.json();
    expect(s).toMatchObject({ connectorId, rule: 'PAL-RT-010', user: 'ci-*', state: 'active', matchCount: 0 });

    expect((await ingest(eventList([execEvent('ci-runner', 'x'), execEvent('ci-runner', 'y'), execEvent('heidi@example.com', 'z')]))).statusCode).toBe(200);
    const users = (await call('reader', 'GET', `/api/v1/alerts?connector=${connectorId}`)).json().items.map((a: { entities: { user: string } }) => a.entities.user);
    expect(users).toEqual(['heidi@example.com']);
    expect((await call('reader', 'GET', `/api/v1/suppressions/${s.id}`)).json()).toMatchObject({ matchCount: 2, lastMatchedAt: expect.any(String) });

    const patched = await call('contributor', 'PATCH', `/api/v1/suppressions/${s.id}`, { reason: 'smoke tests, reviewed', expiresAt: null });
    expect(patched.json()).toMatchObject({ reason: 'smoke tests, reviewed' });
    expect(patched.json().expiresAt).toBeUndefined();
    expect((await call('contributor', 'DELETE', `/api/v1/suppressions/${s.id}?reason=done`)).statusCode).toBe(204);
    expect((await call('contributor', 'DELETE', `/api/v1/suppressions/${s.id}`)).statusCode).toBe(404);
    expect((await call('contributor', 'PATCH', `/api/v1/suppressions/${s.id}`, { reason: 'x' })).statusCode).toBe(404);
    expect((await call('reader', 'GET', '/api/v1/suppressions?state=removed')).json().items.map((x: { id: number }) => x.id)).toContain(s.id);
    expect((await call('reader', 'GET', '/api/v1/suppressions')).json().items.map((x: { id: number }) => x.id)).not.toContain(s.id);
    const log = (await call('owner', 'GET', '/api/v1/audit-log?limit=3')).json().items;
    expect(log.map((e: { action: string }) => e.action)).toEqual(['suppression.delete', 'suppression.update', 'suppression.create']);
    expect(log[0]).toMatchObject({ target: `suppression:${s.id}`, after: { removed: true, reason: 'done' } });

    // Removed: the same events raise alerts again.
    expect((await ingest(eventList([execEvent('ci-runner', 'w')]))).statusCode).toBe(200);
    expect((await call('reader', 'GET', `/api/v1/alerts?connector=${connectorId}&rule=PAL-RT-010`)).json().items).toHaveLength(2);
  });

  it('reports the ones that no longer match anything: expired', async () => {
    const expired = await store.createSuppression({ rule: 'PAL-RT-999', reason: 'old', owner: 'o', expiresAt: '2020-01-01T00:00:00Z', createdBy: 'user:x' });
    const review = (await call('reader', 'GET', '/api/v1/suppressions/review')).json();
    expect(review.expired.map((x: { id: number }) => x.id)).toContain(expired.id);
    expect(review.expired.find((x: { id: number }) => x.id === expired.id).state).toBe('expired');
    expect((await call('reader', 'GET', '/api/v1/suppressions?state=expired')).json().items.map((x: { id: number }) => x.id)).toContain(expired.id);
  });
});
