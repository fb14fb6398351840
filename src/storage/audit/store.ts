import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { PalisadeError } from '../../model/errors.js';
import type { Severity } from '../../model/severity.js';
import { AUDIT_MIGRATIONS, type AuditMigration } from './migrations/index.js';
import {
  ALERT_STATUSES,
  type AlertQuery,
  type AlertStatus,
  type AuditStoreStats,
  type FollowPosition,
  type IngestBatch,
  type IngestResult,
  type JournalEvent,
  type NewSuppression,
  type ProcessedBatch,
  type ProcessResult,
  type StoredAlert,
  type Suppression,
  type TrailEntry,
} from './types.js';

type Db = Database.Database;
type Row = Record<string, unknown>;

/** Audit IDs kept on one alert, and events linked to it as evidence: the first ones (the count goes on). */
export const MAX_ALERT_AUDIT_IDS = 100;
export const MAX_ALERT_EVENTS = 50;

const CURSOR_KEY = 'processed_seq';

/** Options of {@link AuditStore.open}. */
export interface AuditStoreOptions {
  /**
   * SQLite `synchronous` in WAL mode. `full` (default) syncs the write-ahead log at every commit, so an
   * acknowledged batch survives a power loss as well as a killed process. `normal` syncs only at checkpoints:
   * a commit still survives SIGKILL (it is in the OS page cache), but the last commits may be lost if the
   * machine itself goes down.
   */
  synchronous?: 'full' | 'normal';
  /** Clock, for tests. */
  now?: () => Date;
  /** Migrations (tests of upgrades). */
  migrations?: readonly AuditMigration[];
}

const iso = (d: Date): string => d.toISOString();

function toAlert(r: Row): StoredAlert {
  return {
    id: Number(r.id),
    status: r.status as AlertStatus,
    ruleId: r.rule_id as string,
    slug: r.slug as string,
    title: r.title as string,
    severity: r.severity as Severity,
    output: r.output as string,
    entities: JSON.parse(r.entities as string) as StoredAlert['entities'],
    mitre: JSON.parse(r.mitre as string) as StoredAlert['mitre'],
    equivalents: JSON.parse(r.equivalents as string) as StoredAlert['equivalents'],
    source: JSON.parse(r.source as string) as StoredAlert['source'],
    auditIds: JSON.parse(r.audit_ids as string) as string[],
    count: Number(r.count),
    firstSeen: r.first_seen as string,
    lastSeen: r.last_seen as string,
    createdAt: r.created_at as string,
    updatedAt: r.updated_at as string,
    ...(r.status_by != null ? { statusBy: r.status_by as string } : {}),
    ...(r.status_at != null ? { statusAt: r.status_at as string } : {}),
    ...(r.status_reason != null ? { statusReason: r.status_reason as string } : {}),
  };
}

function toSuppression(r: Row): Suppression {
  const s: Suppression = {
    id: Number(r.id),
    reason: r.reason as string,
    owner: r.owner as string,
    createdBy: r.created_by as string,
    createdAt: r.created_at as string,
    matchCount: Number(r.match_count),
  };
  const fields: Array<[keyof Suppression, string]> = [
    ['rule', 'rule'],
    ['user', 'user'],
    ['namespace', 'namespace'],
    ['resource', 'resource'],
    ['sourceIp', 'source_ip'],
    ['expiresAt', 'expires_at'],
    ['removedBy', 'removed_by'],
    ['removedAt', 'removed_at'],
    ['lastMatchedAt', 'last_matched_at'],
  ];
  for (const [k, col] of fields) if (r[col] != null) (s as unknown as Record<string, unknown>)[k] = r[col];
  return s;
}

function toTrail(r: Row): TrailEntry {
  return {
    id: Number(r.id),
    at: r.at as string,
    actor: r.actor as string,
    action: r.action as string,
    target: r.target as string,
    ...(r.reason != null ? { reason: r.reason as string } : {}),
    ...(r.before_state != null ? { before: JSON.parse(r.before_state as string) as unknown } : {}),
    ...(r.after_state != null ? { after: JSON.parse(r.after_state as string) as unknown } : {}),
  };
}

/**
 * The audit store: one SQLite file (WAL) holding the event journal, alerts, suppressions, detector state,
 * file-follow positions and the audit trail. Every write that must be atomic is one transaction: a batch of
 * events with its ingest-log row and file position; a processing step's alerts with the journal cursor and
 * detector states; a status change with its trail entry. Several processes may open the same file (a receiver
 * and the `alerts` commands): SQLite serialises writers and waits up to five seconds for the lock.
 */
export class AuditStore {
  private readonly now: () => Date;

  private constructor(
    private readonly db: Db,
    readonly path: string,
    now?: () => Date,
  ) {
    this.now = now ?? (() => new Date());
  }

  /** Opens (creating the file and its folder when missing) and migrates the store. */
  static open(path: string, o: AuditStoreOptions = {}): AuditStore {
    if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
    let db: Db;
    try {
      db = new Database(path);
    } catch (e) {
      throw new PalisadeError('E_AUDIT_STORE', `cannot open the audit store: ${(e as Error).message}`, { file: path });
    }
    try {
      db.pragma('busy_timeout = 5000');
      db.pragma('journal_mode = WAL');
      db.pragma(`synchronous = ${o.synchronous === 'normal' ? 'NORMAL' : 'FULL'}`);
      db.pragma('foreign_keys = ON');
      migrate(db, o.migrations ?? AUDIT_MIGRATIONS, path);
    } catch (e) {
      db.close();
      if (e instanceof PalisadeError) throw e;
      throw new PalisadeError('E_AUDIT_STORE', `cannot open the audit store: ${(e as Error).message}`, { file: path });
    }
    return new AuditStore(db, path, o.now);
  }

  /** Schema version of the file. */
  schemaVersion(): number {
    return Number(this.db.pragma('user_version', { simple: true }));
  }

  close(): void {
    if (this.db.open) this.db.close();
  }

  private stamp(): string {
    return iso(this.now());
  }

  // Journal

  /**
   * Journals a batch in one transaction: its events (skipping any already stored, by audit ID and stage), one
   * ingest-log row, and the file position when given. When this returns, the batch is on disk.
   */
  ingest(batch: IngestBatch): IngestResult {
    const insert = this.db.prepare('INSERT OR IGNORE INTO events (received_at, source, format, audit_id, stage, event_time, body) VALUES (?, ?, ?, ?, ?, ?, ?)');
    const log = this.db.prepare('INSERT INTO ingest_log (at, source, accepted, duplicates, rejected, reasons) VALUES (?, ?, ?, ?, ?, ?)');
    return this.db.transaction((): IngestResult => {
      const at = this.stamp();
      const seqs: Array<number | undefined> = [];
      let accepted = 0;
      for (const e of batch.events) {
        const r = insert.run(at, batch.source, e.format, e.auditId ?? null, e.stage, e.eventTime ?? null, e.body);
        if (r.changes > 0) {
          accepted++;
          seqs.push(Number(r.lastInsertRowid));
        } else seqs.push(undefined);
      }
      const rejected = Object.values(batch.rejected ?? {}).reduce((a, b) => a + b, 0);
      const duplicates = batch.events.length - accepted;
      if (batch.events.length > 0 || rejected > 0) log.run(at, batch.source, accepted, duplicates, rejected, rejected > 0 ? JSON.stringify(batch.rejected) : null);
      if (batch.position) this.putPosition(batch.position, at);
      return { accepted, duplicates, seqs };
    }).immediate();
  }

  /** Journaled events after the processing cursor, oldest first. */
  unprocessed(limit = 1000): JournalEvent[] {
    const rows = this.db.prepare('SELECT seq, received_at, source, format, body FROM events WHERE seq > ? ORDER BY seq LIMIT ?').all(this.cursor(), limit) as Row[];
    return rows.map((r) => ({ seq: Number(r.seq), receivedAt: r.received_at as string, source: r.source as string, format: r.format as string, body: r.body as string }));
  }

  /** Highest journal sequence number already processed. */
  cursor(): number {
    const r = this.db.prepare('SELECT value FROM meta WHERE key = ?').get(CURSOR_KEY) as Row | undefined;
    return r ? Number(r.value) : 0;
  }

  /** Journaled events by sequence number (evidence of an alert). */
  events(seqs: readonly number[]): JournalEvent[] {
    if (seqs.length === 0) return [];
    const rows = this.db.prepare(`SELECT seq, received_at, source, format, body FROM events WHERE seq IN (${seqs.map(() => '?').join(',')}) ORDER BY seq`).all(...seqs) as Row[];
    return rows.map((r) => ({ seq: Number(r.seq), receivedAt: r.received_at as string, source: r.source as string, format: r.format as string, body: r.body as string }));
  }

  /** Audit IDs present in the journal among those given (tests, the durability check). */
  journaledAuditIds(ids: readonly string[]): Set<string> {
    const out = new Set<string>();
    const q = this.db.prepare('SELECT 1 FROM events WHERE audit_id = ? LIMIT 1');
    for (const id of ids) if (q.get(id)) out.add(id);
    return out;
  }

  /**
   * Deletes processed events received before `before` that no alert links to as evidence; returns how many.
   * Unprocessed events are never deleted.
   */
  pruneEvents(before: string): number {
    return this.db
      .prepare('DELETE FROM events WHERE received_at < ? AND seq <= ? AND NOT EXISTS (SELECT 1 FROM alert_events ae WHERE ae.event_seq = events.seq)')
      .run(before, this.cursor()).changes;
  }

  // Processing

  /**
   * Commits one processing step atomically: alerts (an occurrence whose key matches a new or acknowledged alert
   * whose window is still open increments its count and last-seen time; otherwise a new alert), suppression
   * hits, detector states and the journal cursor. A crash before the commit leaves the events unprocessed, to be
   * processed again on restart; after it, none is processed twice.
   */
  commitProcessed(p: ProcessedBatch): ProcessResult {
    const find = this.db.prepare("SELECT id, count, audit_ids, first_seen, last_seen FROM alerts WHERE dedupe_key = ? AND status IN ('new','acknowledged') AND first_seen <= ? AND window_end >= ? ORDER BY id DESC LIMIT 1");
    const bump = this.db.prepare('UPDATE alerts SET count = count + ?, last_seen = ?, audit_ids = ?, updated_at = ? WHERE id = ?');
    const insert = this.db.prepare(
      "INSERT INTO alerts (dedupe_key, rule_id, slug, title, severity, status, output, entities, mitre, equivalents, source, audit_ids, count, first_seen, last_seen, window_end, created_at, updated_at) VALUES (?, ?, ?, ?, ?, 'new', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING *",
    );
    const link = this.db.prepare('INSERT OR IGNORE INTO alert_events (alert_id, event_seq) SELECT ?, ? WHERE (SELECT COUNT(*) FROM alert_events WHERE alert_id = ?) < ?');
    const hit = this.db.prepare('UPDATE suppressions SET match_count = match_count + ?, last_matched_at = CASE WHEN last_matched_at IS NULL OR last_matched_at < ? THEN ? ELSE last_matched_at END WHERE id = ?');
    return this.db.transaction((): ProcessResult => {
      const now = this.stamp();
      const created: StoredAlert[] = [];
      let merged = 0;
      for (const o of p.occurrences) {
        const a = o.alert;
        const cur = find.get(o.dedupeKey, o.at, o.at) as Row | undefined;
        let id: number;
        if (cur) {
          const ids = JSON.parse(cur.audit_ids as string) as string[];
          for (const x of a.auditIds) if (ids.length < MAX_ALERT_AUDIT_IDS && !ids.includes(x)) ids.push(x);
          const last = (cur.last_seen as string) > o.at ? (cur.last_seen as string) : o.at;
          bump.run(a.count, last, JSON.stringify(ids), now, cur.id);
          id = Number(cur.id);
          merged++;
        } else {
          const windowEnd = iso(new Date(Date.parse(o.at) + p.windowMs));
          const row = insert.get(
            o.dedupeKey,
            a.ruleId,
            a.slug,
            a.title,
            a.severity,
            a.output,
            JSON.stringify(a.entities),
            JSON.stringify(a.mitre),
            JSON.stringify(a.equivalents),
            JSON.stringify(a.source),
            JSON.stringify(a.auditIds.slice(0, MAX_ALERT_AUDIT_IDS)),
            a.count,
            o.at,
            o.at,
            windowEnd,
            now,
            now,
          ) as Row;
          id = Number(row.id);
          created.push(toAlert(row));
        }
        if (o.eventSeq !== undefined) link.run(id, o.eventSeq, id, MAX_ALERT_EVENTS);
      }
      for (const [sid, h] of p.suppressed ?? []) hit.run(h.count, h.at, h.at, sid);
      for (const [key, value] of Object.entries(p.detectorStates ?? {})) this.saveState(key, value);
      this.db.prepare('INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value').run(CURSOR_KEY, String(p.cursor));
      return { created, merged };
    }).immediate();
  }

  // Alerts

  listAlerts(q: AlertQuery = {}): StoredAlert[] {
    const where: string[] = [];
    const params: unknown[] = [];
    const add = (clause: string, ...values: unknown[]): void => {
      where.push(clause);
      params.push(...values);
    };
    if (q.statuses && q.statuses.length > 0) add(`status IN (${q.statuses.map(() => '?').join(',')})`, ...q.statuses);
    if (q.severities && q.severities.length > 0) add(`severity IN (${q.severities.map(() => '?').join(',')})`, ...q.severities);
    if (q.ruleId) add('(rule_id = ? COLLATE NOCASE OR slug = ?)', q.ruleId, q.ruleId);
    if (q.since) add('last_seen >= ?', q.since);
    const sql = `SELECT * FROM alerts${where.length ? ` WHERE ${where.join(' AND ')}` : ''} ORDER BY last_seen DESC, id DESC LIMIT ?`;
    return (this.db.prepare(sql).all(...params, Math.max(1, Math.trunc(q.limit ?? 100))) as Row[]).map(toAlert);
  }

  getAlert(id: number): StoredAlert | undefined {
    const r = this.db.prepare('SELECT * FROM alerts WHERE id = ?').get(id) as Row | undefined;
    return r && toAlert(r);
  }

  /** Journal sequence numbers of the events linked to an alert (the first {@link MAX_ALERT_EVENTS}). */
  alertEventSeqs(id: number): number[] {
    return (this.db.prepare('SELECT event_seq FROM alert_events WHERE alert_id = ? ORDER BY event_seq').all(id) as Row[]).map((r) => Number(r.event_seq));
  }

  /**
   * Moves an alert to `to` when its status is one of `from`, recording who, when and why in the alert and the
   * audit trail (one transaction). Returns the alert after the change, or the reason it could not change.
   */
  setAlertStatus(id: number, to: AlertStatus, from: readonly AlertStatus[], actor: string, reason?: string): { alert: StoredAlert } | { error: 'not-found' | 'wrong-status'; alert?: StoredAlert } {
    return this.db.transaction(() => {
      const before = this.getAlert(id);
      if (!before) return { error: 'not-found' as const };
      if (!from.includes(before.status)) return { error: 'wrong-status' as const, alert: before };
      const at = this.stamp();
      this.db.prepare('UPDATE alerts SET status = ?, status_by = ?, status_at = ?, status_reason = ?, updated_at = ? WHERE id = ?').run(to, actor, at, reason ?? null, at, id);
      this.trail(actor, `alert.${to === 'acknowledged' ? 'acknowledge' : to === 'resolved' ? 'resolve' : to === 'dismissed' ? 'dismiss' : 'reopen'}`, `alert:${id}`, reason, { status: before.status }, { status: to }, at);
      return { alert: this.getAlert(id)! };
    }).immediate();
  }

  // Suppressions

  addSuppression(s: NewSuppression, actor: string): Suppression {
    return this.db.transaction(() => {
      const at = this.stamp();
      const row = this.db
        .prepare('INSERT INTO suppressions (rule, user, namespace, resource, source_ip, reason, owner, expires_at, created_by, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING *')
        .get(s.rule ?? null, s.user ?? null, s.namespace ?? null, s.resource ?? null, s.sourceIp ?? null, s.reason, s.owner, s.expiresAt ?? null, actor, at) as Row;
      const created = toSuppression(row);
      this.trail(actor, 'suppression.add', `suppression:${created.id}`, s.reason, undefined, created, at);
      return created;
    }).immediate();
  }

  /** Marks a suppression removed (kept for the trail); undefined when there is none or it was already removed. */
  removeSuppression(id: number, actor: string, reason?: string): Suppression | undefined {
    return this.db.transaction(() => {
      const before = this.getSuppression(id);
      if (!before || before.removedAt) return undefined;
      const at = this.stamp();
      this.db.prepare('UPDATE suppressions SET removed_by = ?, removed_at = ? WHERE id = ?').run(actor, at, id);
      const after = this.getSuppression(id)!;
      this.trail(actor, 'suppression.remove', `suppression:${id}`, reason, before, after, at);
      return after;
    }).immediate();
  }

  getSuppression(id: number): Suppression | undefined {
    const r = this.db.prepare('SELECT * FROM suppressions WHERE id = ?').get(id) as Row | undefined;
    return r && toSuppression(r);
  }

  /** Suppressions not removed (expired ones included), or all of them. */
  listSuppressions(o: { includeRemoved?: boolean } = {}): Suppression[] {
    return (this.db.prepare(`SELECT * FROM suppressions${o.includeRemoved ? '' : ' WHERE removed_at IS NULL'} ORDER BY id`).all() as Row[]).map(toSuppression);
  }

  /** Suppressions in force at `at`: not removed, not expired. */
  activeSuppressions(at: string): Suppression[] {
    return (this.db.prepare('SELECT * FROM suppressions WHERE removed_at IS NULL AND (expires_at IS NULL OR expires_at > ?) ORDER BY id').all(at) as Row[]).map(toSuppression);
  }

  // Detector state

  /** The JSON value saved under `key` by a stateful detector, or undefined. */
  loadState(key: string): unknown {
    const r = this.db.prepare('SELECT value FROM detector_state WHERE key = ?').get(key) as Row | undefined;
    return r ? (JSON.parse(r.value as string) as unknown) : undefined;
  }

  /** Saves a detector's JSON-serialisable state under `key` (replacing the previous one). */
  saveState(key: string, value: unknown): void {
    this.db.prepare('INSERT INTO detector_state (key, value, updated_at) VALUES (?, ?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at').run(key, JSON.stringify(value ?? null), this.stamp());
  }

  /** Every saved detector state, by key. */
  loadStates(): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (const r of this.db.prepare('SELECT key, value FROM detector_state').all() as Row[]) out[r.key as string] = JSON.parse(r.value as string) as unknown;
    return out;
  }

  // File positions

  getPosition(path: string): FollowPosition | undefined {
    const r = this.db.prepare('SELECT * FROM follow_positions WHERE path = ?').get(path) as Row | undefined;
    return r && { path: r.path as string, dev: r.dev as string, inode: r.inode as string, offset: Number(r.offset), fingerprint: r.fingerprint as string, fingerprintLength: Number(r.fingerprint_length) };
  }

  /** Saves a position alone (a file was rotated with nothing new to journal). */
  savePosition(p: FollowPosition): void {
    this.putPosition(p, this.stamp());
  }

  private putPosition(p: FollowPosition, at: string): void {
    this.db
      .prepare(
        'INSERT INTO follow_positions (path, dev, inode, offset, fingerprint, fingerprint_length, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (path) DO UPDATE SET dev = excluded.dev, inode = excluded.inode, offset = excluded.offset, fingerprint = excluded.fingerprint, fingerprint_length = excluded.fingerprint_length, updated_at = excluded.updated_at',
      )
      .run(p.path, p.dev, p.inode, p.offset, p.fingerprint, p.fingerprintLength, at);
  }

  // Audit trail

  private trail(actor: string, action: string, target: string, reason: string | undefined, before: unknown, after: unknown, at: string): void {
    this.db
      .prepare('INSERT INTO audit_trail (at, actor, action, target, reason, before_state, after_state) VALUES (?, ?, ?, ?, ?, ?, ?)')
      .run(at, actor, action, target, reason ?? null, before === undefined ? null : JSON.stringify(before), after === undefined ? null : JSON.stringify(after));
  }

  /** Trail entries, oldest first; of one target (`alert:12`) when given. */
  listTrail(target?: string): TrailEntry[] {
    const rows = (target ? this.db.prepare('SELECT * FROM audit_trail WHERE target = ? ORDER BY id').all(target) : this.db.prepare('SELECT * FROM audit_trail ORDER BY id').all()) as Row[];
    return rows.map(toTrail);
  }

  // Status

  stats(): AuditStoreStats {
    const events = Number((this.db.prepare('SELECT COUNT(*) AS n FROM events').get() as Row).n);
    const unprocessed = Number((this.db.prepare('SELECT COUNT(*) AS n FROM events WHERE seq > ?').get(this.cursor()) as Row).n);
    const alerts = Object.fromEntries(ALERT_STATUSES.map((s) => [s, 0])) as Record<AlertStatus, number>;
    for (const r of this.db.prepare('SELECT status, COUNT(*) AS n FROM alerts GROUP BY status').all() as Row[]) alerts[r.status as AlertStatus] = Number(r.n);
    const suppressions = Number((this.db.prepare('SELECT COUNT(*) AS n FROM suppressions WHERE removed_at IS NULL').get() as Row).n);
    const ingest = { accepted: 0, duplicates: 0, rejected: 0, reasons: {} as Record<string, number> };
    for (const r of this.db.prepare('SELECT accepted, duplicates, rejected, reasons FROM ingest_log').iterate() as Iterable<Row>) {
      ingest.accepted += Number(r.accepted);
      ingest.duplicates += Number(r.duplicates);
      ingest.rejected += Number(r.rejected);
      if (r.reasons != null) for (const [k, v] of Object.entries(JSON.parse(r.reasons as string) as Record<string, number>)) ingest.reasons[k] = (ingest.reasons[k] ?? 0) + v;
    }
    return { events, unprocessed, alerts, suppressions, ingest };
  }
}

/**
 * Applies pending migrations under the write lock (BEGIN IMMEDIATE), so two processes opening a new file at once
 * do not both run them. The schema version is SQLite's `user_version`; a file of a newer version is refused.
 */
function migrate(db: Db, migrations: readonly AuditMigration[], path: string): void {
  const latest = migrations.reduce((m, x) => Math.max(m, x.id), 0);
  db.transaction(() => {
    const current = Number(db.pragma('user_version', { simple: true }));
    if (current > latest) throw new PalisadeError('E_AUDIT_STORE', `the audit store has schema version ${current}, newer than this Palisade knows (${latest}); upgrade Palisade`, { file: path });
    for (const m of [...migrations].sort((a, b) => a.id - b.id)) {
      if (m.id <= current) continue;
      db.exec(m.sql);
      db.pragma(`user_version = ${m.id}`);
    }
  }).immediate();
}
