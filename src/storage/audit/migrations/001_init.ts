import type { AuditMigration } from './migration.js';

/**
 * The first schema of the audit store: the event journal (every accepted event, in arrival order, with a
 * processing cursor in `meta`), the ingest log, alerts and their evidence links, suppression rules, detector
 * state, file-follow positions and the audit trail of changes made by people.
 */
export const m001Init: AuditMigration = {
  id: 1,
  name: 'init',
  sql: `
CREATE TABLE meta (
  key TEXT PRIMARY KEY,
  value TEXT NOT NULL
);
CREATE TABLE events (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  received_at TEXT NOT NULL,
  source TEXT NOT NULL,
  format TEXT NOT NULL,
  audit_id TEXT,
  stage TEXT NOT NULL,
  event_time TEXT,
  body TEXT NOT NULL
);
-- A retried webhook batch (the API server did not see our answer) must not store its events twice.
CREATE UNIQUE INDEX events_identity ON events(audit_id, stage) WHERE audit_id IS NOT NULL;
CREATE INDEX events_received ON events(received_at);
CREATE TABLE ingest_log (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  at TEXT NOT NULL,
  source TEXT NOT NULL,
  accepted INTEGER NOT NULL,
  duplicates INTEGER NOT NULL,
  rejected INTEGER NOT NULL,
  reasons TEXT
);
CREATE TABLE alerts (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  dedupe_key TEXT NOT NULL,
  rule_id TEXT NOT NULL,
  slug TEXT NOT NULL,
  title TEXT NOT NULL,
  severity TEXT NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('new','acknowledged','resolved','dismissed')),
  output TEXT NOT NULL,
  entities TEXT NOT NULL,
  mitre TEXT NOT NULL,
  equivalents TEXT NOT NULL,
  source TEXT NOT NULL,
  audit_ids TEXT NOT NULL,
  count INTEGER NOT NULL,
  first_seen TEXT NOT NULL,
  last_seen TEXT NOT NULL,
  window_end TEXT NOT NULL,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  status_by TEXT,
  status_at TEXT,
  status_reason TEXT
);
CREATE INDEX alerts_dedupe ON alerts(dedupe_key, window_end);
CREATE INDEX alerts_status ON alerts(status, last_seen);
CREATE TABLE alert_events (
  alert_id INTEGER NOT NULL REFERENCES alerts(id) ON DELETE CASCADE,
  event_seq INTEGER NOT NULL,
  PRIMARY KEY (alert_id, event_seq)
);
CREATE INDEX alert_events_event ON alert_events(event_seq);
CREATE TABLE suppressions (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  rule TEXT,
  user TEXT,
  namespace TEXT,
  resource TEXT,
  source_ip TEXT,
  reason TEXT NOT NULL,
  owner TEXT NOT NULL,
  expires_at TEXT,
  created_by TEXT NOT NULL,
  created_at TEXT NOT NULL,
  removed_by TEXT,
  removed_at TEXT,
  match_count INTEGER NOT NULL DEFAULT 0,
  last_matched_at TEXT
);
CREATE TABLE detector_state (
  key TEXT PRIMARY KEY,
  value TEXT NOT NULL,
  updated_at TEXT NOT NULL
);
CREATE TABLE follow_positions (
  path TEXT PRIMARY KEY,
  dev TEXT NOT NULL,
  inode TEXT NOT NULL,
  offset INTEGER NOT NULL,
  fingerprint TEXT NOT NULL,
  fingerprint_length INTEGER NOT NULL,
  updated_at TEXT NOT NULL
);
CREATE TABLE audit_trail (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  at TEXT NOT NULL,
  actor TEXT NOT NULL,
  action TEXT NOT NULL,
  target TEXT NOT NULL,
  reason TEXT,
  before_state TEXT,
  after_state TEXT
);
CREATE INDEX audit_trail_target ON audit_trail(target, id);
`,
};
