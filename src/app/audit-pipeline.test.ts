import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Alert, AuditEvent } from '../model/audit.js';
import { AuditStore } from '../storage/audit/index.js';
import { loadThreatRules } from './audit.js';
import { AuditPipeline } from './audit-pipeline.js';

const tmpDb = () => join(mkdtempSync(join(tmpdir(), 'palisade-pipeline-')), 'audit.db');
const exec = (id: string, t: string): AuditEvent => ({ kind: 'Event', apiVersion: 'audit.k8s.io/v1', auditID: id, stage: 'ResponseStarted', verb: 'create', user: { username: 'alice' }, sourceIPs: ['192.0.2.200'], objectRef: { resource: 'pods', namespace: 'shop', name: 'cart-0', subresource: 'exec' }, responseStatus: { code: 101 }, stageTimestamp: t });
const saGet = (id: string, ua: string, t: string): AuditEvent => ({ kind: 'Event', apiVersion: 'audit.k8s.io/v1', auditID: id, stage: 'ResponseComplete', verb: 'get', user: { username: 'system:serviceaccount:shop:cart' }, userAgent: ua, sourceIPs: ['10.0.0.9'], objectRef: { resource: 'configmaps', namespace: 'shop', name: 'cfg' }, responseStatus: { code: 200 }, stageTimestamp: t });
const batch = (events: AuditEvent[]) => ({ source: 'test', events: events.map((event) => ({ event, body: JSON.stringify(event), format: 'kubernetes' as const })) });

describe('AuditPipeline', () => {
  it('processes events journaled before a crash exactly once on the next start', () => {
    const path = tmpDb();
    const store = AuditStore.open(path);
    // Journaled (acknowledged) but the process died before processing.
    store.ingest({ source: 'webhook:x', events: [exec('e1', '2024-05-14T10:00:00Z'), exec('e2', '2024-05-14T10:01:00Z')].map((e) => ({ body: JSON.stringify(e), auditId: e.auditID!, stage: e.stage, format: 'kubernetes' })) });
    expect(store.stats().unprocessed).toBe(2);
    const published: Alert[] = [];
    const p = new AuditPipeline({ store, ruleSet: loadThreatRules(), publisher: { publish: (a) => published.push(a) } });
    expect(p.drain()).toBe(2);
    expect(store.listAlerts()).toMatchObject([{ ruleId: 'PAL-RT-010', count: 2, auditIds: ['e1', 'e2'] }]);
    expect(published.map((a) => a.ruleId)).toEqual(['PAL-RT-010']);
    store.close();
    const again = AuditStore.open(path);
    const q = new AuditPipeline({ store: again, ruleSet: loadThreatRules() });
    expect(q.drain()).toBe(0);
    expect(again.listAlerts()[0]!.count).toBe(2);
    again.close();
  });

  it('publishes only new alerts to the sinks, not occurrences merged into one', () => {
    const store = AuditStore.open(tmpDb());
    const published: Alert[] = [];
    const p = new AuditPipeline({ store, ruleSet: loadThreatRules(), windowMs: 600_000, publisher: { publish: (a) => published.push(a) } });
    p.ingest(batch([exec('e1', '2024-05-14T10:00:00Z')]));
    p.ingest(batch([exec('e2', '2024-05-14T10:05:00Z')]));
    p.ingest(batch([exec('e3', '2024-05-14T10:20:00Z')]));
    expect(published).toHaveLength(2);
    expect(p.stats).toMatchObject({ accepted: 3, alertsCreated: 2, alertsMerged: 1 });
    store.close();
  });

  it('keeps a batch stored when processing fails after the commit, and processes it with the next one', () => {
    const store = AuditStore.open(tmpDb());
    const logs: string[] = [];
    const p = new AuditPipeline({ store, ruleSet: loadThreatRules(), log: (l) => logs.push(l) });
    const real = store.commitProcessed.bind(store);
    store.commitProcessed = () => {
      throw new Error('disk full');
    };
    expect(p.ingest(batch([exec('e1', '2024-05-14T10:00:00Z')])).accepted).toBe(1);
    expect(p.stats.processingErrors).toBe(1);
    expect(logs[0]).toMatch(/disk full/);
    expect(store.stats().unprocessed).toBe(1);
    store.commitProcessed = real;
    p.ingest(batch([exec('e2', '2024-05-14T10:01:00Z')]));
    expect(store.stats().unprocessed).toBe(0);
    expect(store.listAlerts()).toMatchObject([{ count: 2, auditIds: ['e1', 'e2'] }]);
    store.close();
  });

  it('keeps what stateful detectors learned across a restart', () => {
    const path = tmpDb();
    const first = AuditStore.open(path);
    const a = new AuditPipeline({ store: first, ruleSet: loadThreatRules() });
    a.ingest(batch([saGet('s1', 'cart/1.2.0', '2024-05-14T00:00:00Z')]));
    a.saveStates();
    first.close();
    const second = AuditStore.open(path);
    expect(second.loadState('PAL-RT-065')).toBeDefined();
    const b = new AuditPipeline({ store: second, ruleSet: loadThreatRules() });
    // Past the account's 24-hour learning window, which started before the restart: a new client is reported.
    b.ingest(batch([saGet('s2', 'curl/8.5.0', '2024-05-15T01:00:00Z')]));
    expect(second.listAlerts({ ruleId: 'PAL-RT-065' })).toHaveLength(1);
    second.close();
    // Without the saved state the account would still be learning.
    const fresh = AuditStore.open(tmpDb());
    const c = new AuditPipeline({ store: fresh, ruleSet: loadThreatRules() });
    c.ingest(batch([saGet('s2', 'curl/8.5.0', '2024-05-15T01:00:00Z')]));
    expect(fresh.listAlerts({ ruleId: 'PAL-RT-065' })).toHaveLength(0);
    fresh.close();
  });
});
