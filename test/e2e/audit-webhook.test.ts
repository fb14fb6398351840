/**
 * The audit webhook of `palisade serve`, end to end over HTTP: a real server (the CLI command) on SQLite and on
 * PostgreSQL, a cluster connector onboarded against the fake Kubernetes API server, an ingest token, and the
 * lateral-movement attack posted as kube-apiserver's webhook backend posts it (EventList batches with a bearer
 * token). The alerts must then be visible through the API, with their evidence; after the token is revoked the
 * same post answers 410 Gone.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postEvents, simulateEvents } from '../../src/app/simulate.js';
import { serveCommand } from '../../src/cli/commands/serve.js';
import type { Io } from '../../src/cli/io.js';
import { startFakeKubeApiServer, type FakeKubeApiServer } from '../helpers/fake-kube-apiserver.js';
import { postgresUnavailable, startPostgres, type RunningPostgres } from '../helpers/postgres.js';

const PASSWORD = 'e2e-admin-password-1';
const dirs: string[] = [];
let kube: FakeKubeApiServer;
beforeAll(async () => {
  kube = await startFakeKubeApiServer({ token: 'kube-e2e-token' });
});
afterAll(async () => {
  await kube.close();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** Runs `palisade serve` on a free port until `fn` is done, then stops it as a signal would. */
async function withServer(env: NodeJS.ProcessEnv, fn: (url: string) => Promise<void>): Promise<void> {
  const dataDir = mkdtempSync(join(tmpdir(), 'palisade-audit-e2e-'));
  dirs.push(dataDir);
  let err = '';
  const io: Io = { stdoutIsTty: false, stderrIsTty: false, env, stdout: () => undefined, stderr: (s: string) => void (err += s) };
  let stop!: () => void;
  const until = new Promise<void>((r) => (stop = r));
  let listening!: (url: string) => void;
  const address = new Promise<string>((r) => (listening = r));
  const run = serveCommand(io, () => undefined, { until, onListening: listening }).parseAsync(['--port', '0', '--data-dir', dataDir, '--log-level', 'silent', '--no-watch', '--sync-interval', '1h'], { from: 'user' });
  const url = await Promise.race([address, run.then(() => Promise.reject(new Error(`serve exited: ${err}`)))]);
  try {
    await fn(url);
  } finally {
    stop();
    await run;
  }
}

/** Logs in as the first Owner and returns a JSON client with the session cookie. */
async function client(url: string) {
  const login = await fetch(`${url}/api/v1/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'admin', password: PASSWORD }) });
  expect(login.status).toBe(200);
  const cookie = login.headers.get('set-cookie')!.split(';')[0]!;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- answers are read as loose JSON; the server checks them against its schemas
  return async (method: string, path: string, body?: unknown): Promise<{ status: number; json: any }> => {
    const res = await fetch(`${url}${path}`, { method, headers: { cookie, ...(body ? { 'content-type': 'application/json' } : {}) }, ...(body ? { body: JSON.stringify(body) } : {}) });
    const text = await res.text();
    return { status: res.status, json: text ? JSON.parse(text) : undefined };
  };
}

async function attackAndSeeAlerts(url: string): Promise<void> {
  const api = await client(url);
  const onboarded = await api('POST', '/api/v1/connectors', { kind: 'cluster', name: 'prod', kubeconfig: kube.kubeconfig('lab'), context: 'lab' });
  expect(onboarded.status, JSON.stringify(onboarded.json)).toBe(201);
  const connectorId = onboarded.json.connector.id as string;
  const created = await api('POST', '/api/v1/ingest-tokens', { connectorId, name: 'kube-apiserver' });
  expect(created.status).toBe(201);
  const { token, url: path, info } = created.json as { token: string; url: string; info: { id: string } };

  // What `palisade simulate lateral-movement --post <url> --token <token>` sends: EventList batches with a bearer token.
  const events = simulateEvents('lateral-movement', Date.parse('2026-03-02T09:00:00Z'));
  await postEvents(`${url}${path}`, events, { token, batchSize: 7 });

  const alerts = await api('GET', `/api/v1/alerts?connector=${connectorId}&limit=100`);
  expect(alerts.status).toBe(200);
  const rules = new Set((alerts.json.items as Array<{ ruleId: string }>).map((a) => a.ruleId));
  // Exec into the pod, then secret reads with that pod's service account, among the scenario's expected alerts.
  for (const rule of ['PAL-RT-010', 'PAL-RT-068', 'PAL-RT-017', 'PAL-RT-011']) expect(rules, rule).toContain(rule);
  const chain = (alerts.json.items as Array<{ id: number; ruleId: string }>).find((a) => a.ruleId === 'PAL-RT-068')!;
  const detail = await api('GET', `/api/v1/alerts/${chain.id}`);
  expect(detail.json.alert).toMatchObject({ connectorId, severity: 'high', status: 'new', entities: { user: 'system:serviceaccount:shop:shop-api' } });
  expect(detail.json.tactics).toContainEqual({ id: 'TA0006', name: 'Credential Access' });
  expect(detail.json.events[0].event).toMatchObject({ kind: 'Event', user: { username: 'system:serviceaccount:shop:shop-api' } });
  const summary = await api('GET', `/api/v1/alerts/summary?connector=${connectorId}&since=2026-03-01T00:00:00Z`);
  expect(summary.json.series.map((s: { bucket: string }) => s.bucket)).toEqual(['2026-03-02']);
  expect(summary.json.totals.high).toBeGreaterThanOrEqual(1);

  // Sent again (the answers were lost): stored once, no new alert.
  await postEvents(`${url}${path}`, events, { token, batchSize: 50 });
  expect((await api('GET', `/api/v1/alerts?connector=${connectorId}&limit=100`)).json.items).toHaveLength(alerts.json.items.length);

  // Revoked: kube-apiserver is told the endpoint is gone, not to retry.
  expect((await api('DELETE', `/api/v1/ingest-tokens/${info.id}`)).status).toBe(204);
  const gone = await fetch(`${url}${path}`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify({ kind: 'EventList', apiVersion: 'audit.k8s.io/v1', items: events.slice(0, 1) }) });
  expect(gone.status).toBe(410);
  expect(((await gone.json()) as { message: string }).message).toMatch(/revoked/);
  const trail = await api('GET', '/api/v1/audit-log?action=ingest-token.revoke');
  expect(trail.json.items[0]).toMatchObject({ actor: 'user:admin', target: `ingest-token:${token.slice(0, 12)}` });
}

describe('audit webhook of palisade serve', () => {
  it('on SQLite: raises alerts from a posted attack, shows them through the API, answers 410 after revocation', async () => {
    await withServer({ PALISADE_ADMIN_PASSWORD: PASSWORD }, attackAndSeeAlerts);
  }, 120_000);
});

const pgSkip = postgresUnavailable();
describe.skipIf(pgSkip)('audit webhook of palisade serve on PostgreSQL', () => {
  let pg: RunningPostgres;
  beforeAll(async () => {
    pg = await startPostgres();
  }, 60_000);
  afterAll(() => pg?.stop());

  it('raises the same alerts with the store on PostgreSQL', async () => {
    const db = await pg.createDatabase('audit_e2e');
    await withServer({ DATABASE_URL: db, PALISADE_ADMIN_PASSWORD: PASSWORD, PALISADE_SECRET_KEY: 'b'.repeat(64) }, attackAndSeeAlerts);
  }, 120_000);
});
if (pgSkip) console.warn(pgSkip);
