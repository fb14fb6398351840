import { request } from 'node:https';
import { appendFileSync, copyFileSync, mkdtempSync, renameSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeTestPki, type TestPki } from '../../test/helpers/tls.js';
import { addSuppression } from './alerts.js';
import { openAuditStore, serveAuditWebhook, watchAuditFile, type ServeHandle } from './audit-live.js';

let pki: TestPki;
beforeAll(() => {
  pki = makeTestPki();
});

interface Reply {
  status: number;
  body: string;
}

function post(port: number, body: string | Buffer, o: { token?: string; cert?: string; key?: string; path?: string; method?: string } = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        path: o.path ?? '/audit',
        method: o.method ?? 'POST',
        ca: pki.caCert,
        ...(o.cert ? { cert: o.cert, key: o.key } : {}),
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), ...(o.token ? { authorization: `Bearer ${o.token}` } : {}) },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString() }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

function execEvent(id: string, user = 'alice', t = '2024-05-14T10:00:00Z'): Record<string, unknown> {
  return { kind: 'Event', apiVersion: 'audit.k8s.io/v1', level: 'Metadata', auditID: id, stage: 'ResponseStarted', verb: 'create', user: { username: user }, sourceIPs: ['192.0.2.200'], objectRef: { resource: 'pods', namespace: 'shop', name: 'cart-0', subresource: 'exec' }, requestURI: '/api/v1/namespaces/shop/pods/cart-0/exec?command=sh', responseStatus: { code: 101 }, stageTimestamp: t };
}

function listEvent(id: string): Record<string, unknown> {
  return { kind: 'Event', apiVersion: 'audit.k8s.io/v1', level: 'Metadata', auditID: id, stage: 'ResponseComplete', verb: 'list', user: { username: 'system:kube-controller-manager' }, objectRef: { resource: 'pods', apiVersion: 'v1' }, responseStatus: { code: 200 }, stageTimestamp: '2024-05-14T10:00:00Z' };
}

const eventList = (items: unknown[]) => JSON.stringify({ kind: 'EventList', apiVersion: 'audit.k8s.io/v1', items });

describe('audit webhook receiver', () => {
  let h: ServeHandle;
  let dataDir: string;
  const logs: string[] = [];
  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'palisade-serve-'));
    h = await serveAuditWebhook({ dataDir, host: '127.0.0.1', port: 0, cert: pki.serverCert, key: pki.serverKey, clientCa: pki.caCert, tokens: ['s3cret-token'], maxBatchBytes: 4 * 1024 * 1024, log: (l) => logs.push(l) });
  });
  afterAll(async () => {
    await h?.stop(0);
  });

  it('authenticates by bearer token or client certificate and refuses everything else', async () => {
    const body = eventList([listEvent('auth-1')]);
    expect((await post(h.port, body)).status).toBe(401);
    expect((await post(h.port, body, { token: 'wrong' })).status).toBe(401);
    expect((await post(h.port, body, { cert: pki.rogueCert, key: pki.rogueKey })).status).toBe(401);
    expect((await post(h.port, body, { token: 's3cret-token' })).status).toBe(200);
    expect((await post(h.port, eventList([listEvent('auth-2')]), { cert: pki.clientCert, key: pki.clientKey })).status).toBe(200);
    expect(h.webhook.rejected.unauthorized).toBe(3);
    expect([...h.store.journaledAuditIds(['auth-1', 'auth-2'])].sort()).toEqual(['auth-1', 'auth-2']);
  });

  it('stores a batch, refusing (and counting) oversized, malformed and wrong-kind items while the rest flows', async () => {
    const big = { ...listEvent('big'), requestObject: { data: 'x'.repeat(300 * 1024) } };
    const r = await post(h.port, eventList([execEvent('ok-1'), big, { kind: 'Event', auditID: 'bad', verb: 'get' }, { kind: 'Pod', metadata: {} }, listEvent('ok-2')]), { token: 's3cret-token' });
    expect(r.status).toBe(200);
    expect(JSON.parse(r.body)).toEqual({ accepted: 2, rejected: { 'event-too-large': 1, 'malformed-event': 1, 'wrong-kind': 1 } });
    expect([...h.store.journaledAuditIds(['ok-1', 'ok-2', 'big', 'bad'])].sort()).toEqual(['ok-1', 'ok-2']);
    expect(logs.some((l) => /refused event 1 \(auditID big\).*event-too-large/.test(l))).toBe(true);
    expect(h.store.stats().ingest.reasons).toMatchObject({ 'event-too-large': 1, 'malformed-event': 1, 'wrong-kind': 1 });
    // The exec event raised an alert.
    const alerts = h.store.listAlerts({ ruleId: 'PAL-RT-010' });
    expect(alerts).toHaveLength(1);
    expect(alerts[0]).toMatchObject({ status: 'new', count: 1, auditIds: ['ok-1'], entities: { user: 'alice', namespace: 'shop' } });
  });

  it('refuses a malformed or oversized batch whole, then keeps serving', async () => {
    expect((await post(h.port, '{not json', { token: 's3cret-token' })).status).toBe(400);
    expect((await post(h.port, JSON.stringify({ kind: 'Status' }), { token: 's3cret-token' })).status).toBe(400);
    const huge = eventList(Array.from({ length: 20 }, (_, i) => ({ ...listEvent(`huge-${i}`), requestObject: { pad: 'y'.repeat(240 * 1024) } })));
    expect(Buffer.byteLength(huge)).toBeGreaterThan(4 * 1024 * 1024);
    expect((await post(h.port, huge, { token: 's3cret-token' })).status).toBe(413);
    expect(h.webhook.rejected['batch-too-large']).toBe(1);
    expect(h.webhook.rejected['malformed-batch']).toBe(2);
    expect(h.store.journaledAuditIds(['huge-0']).size).toBe(0);
    expect((await post(h.port, eventList([listEvent('after')]), { token: 's3cret-token' })).status).toBe(200);
  });

  it('deduplicates a repeated occurrence into one alert, ignores a resent batch, and applies suppressions', async () => {
    const body = eventList([execEvent('dup-1', 'bob', '2024-05-14T11:00:00Z')]);
    expect((await post(h.port, body, { token: 's3cret-token' })).status).toBe(200);
    // kube-apiserver resends a batch whose answer it lost: stored once, counted once.
    expect((await post(h.port, body, { token: 's3cret-token' })).status).toBe(200);
    expect((await post(h.port, eventList([execEvent('dup-2', 'bob', '2024-05-14T11:20:00Z')]), { token: 's3cret-token' })).status).toBe(200);
    const bob = h.store.listAlerts({ ruleId: 'pod-exec-or-attach' }).filter((a) => a.entities.user === 'bob');
    expect(bob).toHaveLength(1);
    expect(bob[0]).toMatchObject({ count: 2, auditIds: ['dup-1', 'dup-2'], firstSeen: '2024-05-14T11:00:00.000Z', lastSeen: '2024-05-14T11:20:00.000Z' });

    const s = addSuppression(h.store, { rule: 'PAL-RT-010', user: 'ci-*', namespace: 'shop', reason: 'smoke tests', owner: 'platform' }, 'alice');
    expect((await post(h.port, eventList([execEvent('ci-1', 'ci-runner')]), { token: 's3cret-token' })).status).toBe(200);
    expect(h.store.listAlerts().filter((a) => a.entities.user === 'ci-runner')).toHaveLength(0);
    expect(h.store.getSuppression(s.id)).toMatchObject({ matchCount: 1, lastMatchedAt: '2024-05-14T10:00:00.000Z' });
  });

  it('stops reading a streamed body once it passes the batch limit', async () => {
    const status = await new Promise<number>((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port: h.port, path: '/audit', method: 'POST', ca: pki.caCert, headers: { 'content-type': 'application/json', authorization: 'Bearer s3cret-token' } }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('error', reject);
      const chunk = Buffer.alloc(1024 * 1024, 0x20);
      req.write('{"kind":"EventList","items":[');
      for (let i = 0; i < 5; i++) req.write(chunk);
      req.end(']}');
    });
    expect(status).toBe(413);
    expect(h.webhook.rejected['batch-too-large']).toBe(2);
  });

  it('answers /healthz without authentication and refuses other methods', async () => {
    expect((await post(h.port, '', { method: 'GET', path: '/healthz' })).status).toBe(200);
    expect((await post(h.port, '', { method: 'GET', token: 's3cret-token' })).status).toBe(405);
  });

  it('leaves a store the alerts commands can read from another connection', () => {
    const s = openAuditStore(dataDir);
    expect(s.listAlerts().length).toBeGreaterThan(0);
    s.close();
  });
});

async function waitFor(cond: () => boolean, what: string | (() => string)): Promise<void> {
  for (let i = 0; i < 500; i++) {
    if (cond()) return;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`gave up waiting for ${typeof what === 'string' ? what : what()}`);
}

describe('audit watch', () => {
  const jsonl = (ids: string[]) => ids.map((id) => `${JSON.stringify(id.startsWith('x') ? execEvent(id, 'eve') : listEvent(id))}\n`).join('');
  const ids = (p: string, a: number, b: number) => Array.from({ length: b - a + 1 }, (_, i) => `${p}${a + i}`);

  it('journals each line once across restarts and both kinds of rotation, and raises alerts from them', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'palisade-watch-'));
    const file = join(dataDir, 'audit.log');
    writeFileSync(file, jsonl([...ids('w', 1, 5), 'x1']) + 'not json\n');
    const logs: string[] = [];
    const o = { dataDir, file, pollMs: 10, log: (l: string) => logs.push(l) };
    let h = watchAuditFile(o);
    await waitFor(() => h.store.stats().events === 6, 'the first lines');
    expect(h.rejected).toEqual({ 'malformed-event': 1 });
    // Rename-and-create while running.
    appendFileSync(file, jsonl(ids('w', 6, 8)));
    renameSync(file, `${file}.1`);
    writeFileSync(file, jsonl(ids('w', 9, 10)));
    await waitFor(() => h.store.stats().events === 11, 'lines around a rename');
    await h.stop(0);
    // Written while stopped, then copytruncate while stopped.
    appendFileSync(file, jsonl(ids('w', 11, 12)));
    copyFileSync(file, `${file}.2`);
    truncateSync(file, 0);
    appendFileSync(file, jsonl([...ids('w', 13, 14), 'x2']));
    h = watchAuditFile(o);
    await waitFor(() => h.store.stats().events === 16, 'lines after a restart');
    // copytruncate while running.
    appendFileSync(file, jsonl(ids('w', 15, 16)));
    copyFileSync(file, `${file}.3`);
    truncateSync(file, 0);
    appendFileSync(file, jsonl(ids('w', 17, 17)));
    await waitFor(() => h.store.stats().events === 19, 'lines around a truncation');
    const stats = h.store.stats();
    const present = h.store.journaledAuditIds([...ids('w', 1, 17), 'x1', 'x2']);
    expect(present.size).toBe(19);
    expect(stats.ingest.duplicates).toBe(0);
    expect(stats.unprocessed).toBe(0);
    const eve = h.store.listAlerts({ ruleId: 'PAL-RT-010' });
    expect(eve).toHaveLength(1);
    expect(eve[0]).toMatchObject({ count: 2, auditIds: ['x1', 'x2'] });
    await h.stop(0);
    expect(logs.some((l) => /not JSON|invalid JSON/.test(l))).toBe(true);
  });
});
