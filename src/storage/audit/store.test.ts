import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import type { Alert } from '../../model/audit.js';
import { AUDIT_MIGRATIONS, AuditStore, MAX_ALERT_EVENTS, auditDbPath, defaultDataDir } from './index.js';

const tmp = () => join(mkdtempSync(join(tmpdir(), 'palisade-audit-store-')), 'audit.db');

function alert(over: Partial<Alert> = {}): Alert {
  return {
    ruleId: 'PAL-RT-010',
    slug: 'pod-exec-or-attach',
    title: 'Exec',
    severity: 'low',
    mitre: { tactics: ['TA0002'], techniques: [] },
    output: 'alice exec',
    entities: { user: 'alice', verb: 'create' },
    auditIds: ['a1'],
    count: 1,
    source: { file: 'webhook:127.0.0.1', format: 'kubernetes' },
    equivalents: {},
    ...over,
  };
}

const ev = (id: string, stage = 'ResponseComplete') => ({ body: JSON.stringify({ auditID: id, stage }), auditId: id, stage, format: 'kubernetes' });

describe('AuditStore', () => {
  it('lists every migration file of the folder, numbered in order', () => {
    const dir = join(dirname(fileURLToPath(import.meta.url)), 'migrations');
    const files = readdirSync(dir).filter((f) => /^\d{3}_.*\.ts$/.test(f) && !f.endsWith('.test.ts'));
    expect(AUDIT_MIGRATIONS.map((m) => m.id)).toEqual(files.map((_, i) => i + 1));
    expect(files.map((f) => Number(f.slice(0, 3)))).toEqual(AUDIT_MIGRATIONS.map((m) => m.id));
  });

  it('opens in WAL mode with synchronous FULL, at the latest schema version, and refuses a newer file', () => {
    const path = tmp();
    const s = AuditStore.open(path);
    expect(s.schemaVersion()).toBe(AUDIT_MIGRATIONS.length);
    s.close();
    const raw = new Database(path);
    expect(raw.pragma('journal_mode', { simple: true })).toBe('wal');
    raw.pragma('user_version = 99');
    raw.close();
    expect(() => AuditStore.open(path)).toThrow(/schema version 99, newer/);
  });

  it('journals a batch once: a retried batch counts as duplicates, and rejections go to the ingest log', () => {
    const s = AuditStore.open(tmp());
    const first = s.ingest({ source: 'webhook:x', events: [ev('a'), ev('b'), ev('a', 'ResponseStarted')], rejected: { 'event-too-large': 2 } });
    expect(first).toMatchObject({ accepted: 3, duplicates: 0 });
    const again = s.ingest({ source: 'webhook:x', events: [ev('a'), ev('c')] });
    expect(again.accepted).toBe(1);
    expect(again.duplicates).toBe(1);
    expect(again.seqs[0]).toBeUndefined();
    expect(s.stats()).toMatchObject({ events: 4, unprocessed: 4, ingest: { accepted: 4, duplicates: 1, rejected: 2, reasons: { 'event-too-large': 2 } } });
    expect([...s.journaledAuditIds(['a', 'b', 'c', 'zz'])].sort()).toEqual(['a', 'b', 'c']);
    s.close();
  });

  it('merges occurrences of one key within the window into one alert, and opens a new alert after it or after resolution', () => {
    let now = new Date('2024-05-14T12:00:00Z');
    const s = AuditStore.open(tmp(), { now: () => now });
    const { seqs } = s.ingest({ source: 'f', events: [ev('a'), ev('b'), ev('c'), ev('d')] });
    const occ = (at: string, id: string, seq: number) => ({ alert: alert({ auditIds: [id] }), dedupeKey: 'k', at, eventSeq: seq });
    const r1 = s.commitProcessed({ cursor: seqs[1]!, windowMs: 600_000, occurrences: [occ('2024-05-14T10:00:00.000Z', 'a', seqs[0]!), occ('2024-05-14T10:05:00.000Z', 'b', seqs[1]!)] });
    expect(r1.created).toHaveLength(1);
    expect(r1.merged).toBe(1);
    const id = r1.created[0]!.id;
    expect(s.getAlert(id)).toMatchObject({ count: 2, firstSeen: '2024-05-14T10:00:00.000Z', lastSeen: '2024-05-14T10:05:00.000Z', auditIds: ['a', 'b'], status: 'new' });
    expect(s.alertEventSeqs(id)).toEqual([seqs[0], seqs[1]]);
    expect(s.cursor()).toBe(seqs[1]);
    // After the window: a new alert.
    const r2 = s.commitProcessed({ cursor: seqs[2]!, windowMs: 600_000, occurrences: [occ('2024-05-14T10:11:00.000Z', 'c', seqs[2]!)] });
    expect(r2.created).toHaveLength(1);
    // Resolved alerts take no more occurrences.
    now = new Date('2024-05-14T12:01:00Z');
    expect(s.setAlertStatus(r2.created[0]!.id, 'resolved', ['new', 'acknowledged'], 'bob', 'fixed')).toMatchObject({ alert: { status: 'resolved', statusBy: 'bob', statusReason: 'fixed' } });
    const r3 = s.commitProcessed({ cursor: seqs[3]!, windowMs: 600_000, occurrences: [occ('2024-05-14T10:12:00.000Z', 'd', seqs[3]!)] });
    expect(r3.created).toHaveLength(1);
    expect(s.listTrail(`alert:${r2.created[0]!.id}`)).toMatchObject([{ actor: 'bob', action: 'alert.resolve', reason: 'fixed', before: { status: 'new' }, after: { status: 'resolved' } }]);
    expect(s.setAlertStatus(r2.created[0]!.id, 'acknowledged', ['new'], 'bob')).toMatchObject({ error: 'wrong-status' });
    expect(s.setAlertStatus(999, 'acknowledged', ['new'], 'bob')).toEqual({ error: 'not-found' });
    s.close();
  });

  it('links at most the first events of an alert as evidence, and prunes only unlinked processed events', () => {
    const s = AuditStore.open(tmp(), { now: () => new Date('2024-05-14T12:00:00Z') });
    const events = Array.from({ length: MAX_ALERT_EVENTS + 10 }, (_, i) => ev(`e${i}`));
    const { seqs } = s.ingest({ source: 'f', events: [...events, ev('loose')] });
    const occurrences = seqs.slice(0, -1).map((seq, i) => ({ alert: alert({ auditIds: [`e${i}`] }), dedupeKey: 'k', at: '2024-05-14T10:00:00.000Z', eventSeq: seq! }));
    const r = s.commitProcessed({ cursor: seqs[seqs.length - 2]!, windowMs: 3_600_000, occurrences });
    const id = r.created[0]!.id;
    expect(s.getAlert(id)!.count).toBe(MAX_ALERT_EVENTS + 10);
    expect(s.alertEventSeqs(id)).toHaveLength(MAX_ALERT_EVENTS);
    // 10 processed unlinked events go; the unprocessed one stays.
    expect(s.pruneEvents('2099-01-01T00:00:00.000Z')).toBe(10);
    expect(s.unprocessed().map((e) => JSON.parse(e.body).auditID)).toEqual(['loose']);
    s.close();
  });

  it('keeps suppressions with their audit trail, counts hits, and hides removed or expired ones from the active set', () => {
    const s = AuditStore.open(tmp(), { now: () => new Date('2024-05-14T12:00:00Z') });
    const a = s.addSuppression({ rule: 'PAL-RT-010', user: 'ci-*', reason: 'CI smoke tests', owner: 'platform' }, 'alice');
    const b = s.addSuppression({ namespace: 'dev', reason: 'sandbox', owner: 'bob', expiresAt: '2024-05-14T11:00:00.000Z' }, 'alice');
    expect(s.activeSuppressions('2024-05-14T12:00:00.000Z').map((x) => x.id)).toEqual([a.id]);
    s.commitProcessed({ cursor: 0, windowMs: 1, occurrences: [], suppressed: new Map([[a.id, { at: '2024-05-14T11:30:00.000Z', count: 3 }]]) });
    expect(s.getSuppression(a.id)).toMatchObject({ matchCount: 3, lastMatchedAt: '2024-05-14T11:30:00.000Z' });
    expect(s.removeSuppression(a.id, 'carol', 'tests moved')).toMatchObject({ removedBy: 'carol' });
    expect(s.removeSuppression(a.id, 'carol')).toBeUndefined();
    expect(s.listSuppressions().map((x) => x.id)).toEqual([b.id]);
    expect(s.listSuppressions({ includeRemoved: true })).toHaveLength(2);
    expect(s.listTrail(`suppression:${a.id}`).map((t) => [t.action, t.actor, t.reason])).toEqual([
      ['suppression.add', 'alice', 'CI smoke tests'],
      ['suppression.remove', 'carol', 'tests moved'],
    ]);
    s.close();
  });

  it('round-trips detector state and file positions across reopen', () => {
    const path = tmp();
    const s = AuditStore.open(path);
    s.saveState('PAL-RT-050', { v: 1, principals: [['sa', 1, 2, ['get pods']]] });
    s.saveState('PAL-RT-050', { v: 1, principals: [] });
    s.savePosition({ path: '/var/log/audit.log', dev: '1', inode: '42', offset: 100, fingerprint: 'ab', fingerprintLength: 10 });
    s.close();
    const t = AuditStore.open(path);
    expect(t.loadState('PAL-RT-050')).toEqual({ v: 1, principals: [] });
    expect(t.loadState('nope')).toBeUndefined();
    expect(t.loadStates()).toEqual({ 'PAL-RT-050': { v: 1, principals: [] } });
    expect(t.getPosition('/var/log/audit.log')).toMatchObject({ inode: '42', offset: 100 });
    t.close();
  });

  it('resolves the data folder from PALISADE_DATA_DIR, then an absolute XDG_DATA_HOME, then the home folder', () => {
    expect(defaultDataDir({ PALISADE_DATA_DIR: '/d' }, '/home/u')).toBe('/d');
    expect(defaultDataDir({ XDG_DATA_HOME: '/x' }, '/home/u')).toBe('/x/palisade');
    expect(defaultDataDir({ XDG_DATA_HOME: 'rel' }, '/home/u')).toBe('/home/u/.local/share/palisade');
    expect(auditDbPath('/d')).toBe('/d/audit.db');
  });
});
