import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { buildApp } from '../api/server.js';
import { openSqliteStore } from '../storage/sqlite/index.js';
import type { Store } from '../storage/store.js';
import { loadThreatRules } from './audit.js';
import { createIngestTokenFor } from './ingest-tokens.js';
import { suppressionView } from './server-alerts.js';
import { ServerAudit, startServerAudit } from './server-audit.js';
import { simulateEvents } from './simulate.js';
import { validateAuditEvent } from '../inputs/audit/webhook.js';
import type { WebhookBatch } from '../inputs/audit/webhook.js';

const dirs: string[] = [];
const stores: Store[] = [];
afterEach(async () => {
  for (const s of stores.splice(0)) await s.close();
});
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** A migrated SQLite store in a new folder, and a function opening it again (another process on the same file). */
async function newStore(): Promise<{ store: Store; reopen: () => Promise<Store> }> {
  const dir = mkdtempSync(join(tmpdir(), 'palisade-server-audit-'));
  dirs.push(dir);
  const open = async () => {
    const s = openSqliteStore(join(dir, 'palisade.db'));
    await s.migrate();
    stores.push(s);
    return s;
  };
  return { store: await open(), reopen: open };
}

function batchOf(events: readonly Record<string, unknown>[]): WebhookBatch {
  return {
    source: 'test',
    identity: 'test',
    rejected: {},
    events: events.map((e) => {
      const v = validateAuditEvent(e);
      if ('error' in v) throw new Error(v.error);
      return { event: v.event, body: JSON.stringify(e), format: 'kubernetes' as const };
    }),
  };
}

const START = Date.parse('2026-03-02T09:00:00Z');
const attack = simulateEvents('lateral-movement', START);
/** Where the stolen service-account token is first used to read secrets: after the exec. */
const split = attack.findIndex((e) => (e.objectRef as { resource?: string } | undefined)?.resource === 'secrets' && String((e.user as { username: string }).username).startsWith('system:serviceaccount:'));
const ruleSet = loadThreatRules();

describe('server audit pipeline', () => {
  it('processes events journaled before a crash at the next start, and none twice', async () => {
    const { store } = await newStore();
    const batch = batchOf(attack);
    // A crash right after the commit: journaled, never processed.
    await store.journalAuditEvents('c1', batch.events.map((e) => ({ body: e.body, stage: e.event.stage, format: 'kubernetes', ...(e.event.auditID ? { auditId: e.event.auditID } : {}) })), new Date().toISOString());
    expect((await store.listAlerts({})).items).toEqual([]);
    const running = await startServerAudit(store, { retentionMs: 0 });
    try {
      expect(running.audit.stats.processed).toBe(attack.length);
      const rules = new Set((await store.listAlerts({ limit: 1000 })).items.map((a) => a.ruleId));
      expect(rules).toContain('PAL-RT-010');
      expect(rules).toContain('PAL-RT-068');
      const count = (await store.listAlerts({ limit: 1000 })).items.length;
      expect(await running.audit.drain()).toBe(0);
      expect((await store.listAlerts({ limit: 1000 })).items).toHaveLength(count);
    } finally {
      await running.stop();
    }
  });

  it('keeps what the detectors learned across a restart, per connector', async () => {
    const { store, reopen } = await newStore();
    const first = new ServerAudit({ store, ruleSet });
    await first.ingest('c1', batchOf(attack.slice(0, split)));
    await first.saveStates();
    expect((await store.listAlerts({ ruleId: 'PAL-RT-068' })).items).toEqual([]);

    // Restarted: the exec session opened before the restart is joined with the secret reads after it.
    const second = new ServerAudit({ store: await reopen(), ruleSet });
    await second.ingest('c1', batchOf(attack.slice(split)));
    expect((await store.listAlerts({ ruleId: 'PAL-RT-068' })).items.map((a) => a.connectorId)).toEqual(['c1']);

    // Another connector did not see the exec: the same secret reads raise no exec-then-secret alert there.
    await second.ingest('c2', batchOf(attack.slice(split)));
    expect((await store.listAlerts({ ruleId: 'PAL-RT-068', connectorId: 'c2' })).items).toEqual([]);
  });

  it('lets two processes on one database process each event once', async () => {
    const { store, reopen } = await newStore();
    const batch = batchOf(attack);
    await store.journalAuditEvents('c1', batch.events.map((e) => ({ body: e.body, stage: e.event.stage, format: 'kubernetes', ...(e.event.auditID ? { auditId: e.event.auditID } : {}) })), new Date().toISOString());
    const a = new ServerAudit({ store, ruleSet });
    const b = new ServerAudit({ store: await reopen(), ruleSet });
    const [na, nb] = await Promise.all([a.drain(5), b.drain(5)]);
    expect(na + nb).toBe(attack.length);
    expect(await store.pendingAuditEvents(10)).toEqual([]);
    // Each alert once (a detector whose events were split across processes may see less, never more).
    const ids = (await store.listAlerts({ limit: 1000 })).items.map((x) => x.id);
    expect(new Set(ids).size).toBe(ids.length);
    const single = (await store.listAlerts({ limit: 1000, ruleId: 'PAL-RT-010' })).items;
    expect(single).toHaveLength(1);
    expect(single[0].count).toBe(1);
  });

  it('answers 503 when the batch cannot be committed, so kube-apiserver sends it again', async () => {
    const { store } = await newStore();
    const failing = new Proxy(store, {
      get: (target, p, r) => (p === 'journalAuditEvents' ? () => Promise.reject(new Error('disk full')) : Reflect.get(target, p, r)),
    });
    const connector = await store.createConnector({ kind: 'cluster', name: 'lab', config: {}, secrets: null });
    const { token } = (await createIngestTokenFor(store, { name: 'system', role: 'owner' }, { connectorId: connector.id, name: 'k' }))!;
    const audit = new ServerAudit({ store: failing, ruleSet });
    const app = await buildApp({ store, audit });
    try {
      const res = await app.inject({ method: 'POST', url: `/api/v1/audit/connectors/${connector.id}/events`, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, payload: JSON.stringify({ kind: 'EventList', items: attack.slice(0, 2) }) });
      expect(res.statusCode).toBe(503);
      expect(res.json()).toMatchObject({ error: 'commit-failed' });
      expect(res.json().message).toMatch(/disk full/);
      expect(audit.stats.rejected['commit-failed']).toBe(1);
    } finally {
      await app.close();
    }
  });

  it('reports a suppression unmatched for 30 days as stale, and one past its expiry as expired', async () => {
    const { store } = await newStore();
    const s = await store.createSuppression({ rule: 'PAL-RT-010', reason: 'r', owner: 'o', expiresAt: '2099-01-01T00:00:00Z', createdBy: 'user:a' });
    expect(suppressionView(s, new Date(Date.parse(s.createdAt) + 86_400_000)).state).toBe('active');
    expect(suppressionView(s, new Date(Date.parse(s.createdAt) + 31 * 86_400_000)).state).toBe('stale');
    expect(suppressionView(s, new Date('2099-01-02T00:00:00Z')).state).toBe('expired');
  });
});
