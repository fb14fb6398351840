import type { Migration } from './migration.js';

const tables = (t: { id: string; time: string; json: string }) => `
CREATE TABLE ingest_tokens (
  id TEXT PRIMARY KEY,
  connector_id TEXT NOT NULL,
  name TEXT NOT NULL,
  prefix TEXT NOT NULL,
  token_hash TEXT NOT NULL UNIQUE,
  created_by TEXT NOT NULL,
  created_at ${t.time} NOT NULL,
  revoked_at ${t.time},
  last_used_at ${t.time}
);
CREATE INDEX ingest_tokens_connector ON ingest_tokens(connector_id);
CREATE TABLE audit_events (
  seq ${t.id},
  connector_id TEXT NOT NULL,
  received_at ${t.time} NOT NULL,
  event_time ${t.time},
  audit_id TEXT,
  stage TEXT NOT NULL,
  format TEXT NOT NULL,
  body TEXT NOT NULL,
  processed_at ${t.time}
);
CREATE UNIQUE INDEX audit_events_identity ON audit_events(connector_id, audit_id, stage);
CREATE INDEX audit_events_pending ON audit_events(seq) WHERE processed_at IS NULL;
CREATE INDEX audit_events_received ON audit_events(received_at);
CREATE TABLE audit_detector_state (
  connector_id TEXT NOT NULL,
  key TEXT NOT NULL,
  value ${t.json} NOT NULL,
  updated_at ${t.time} NOT NULL,
  PRIMARY KEY (connector_id, key)
);
CREATE TABLE audit_alerts (
  id ${t.id},
  connector_id TEXT NOT NULL,
  dedupe_key TEXT NOT NULL,
  rule_id TEXT NOT NULL,
  slug TEXT NOT NULL,
  title TEXT NOT NULL,
  severity TEXT NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('new','acknowledged','resolved','dismissed')),
  output TEXT NOT NULL,
  entities ${t.json} NOT NULL,
  mitre ${t.json} NOT NULL,
  equivalents ${t.json} NOT NULL,
  source ${t.json} NOT NULL,
  audit_ids ${t.json} NOT NULL,
  count INTEGER NOT NULL,
  first_seen ${t.time} NOT NULL,
  first_hour TEXT NOT NULL,
  last_seen ${t.time} NOT NULL,
  window_end ${t.time} NOT NULL,
  created_at ${t.time} NOT NULL,
  updated_at ${t.time} NOT NULL,
  status_by TEXT,
  status_at ${t.time},
  status_reason TEXT
);
CREATE INDEX audit_alerts_dedupe ON audit_alerts(connector_id, dedupe_key, status);
CREATE INDEX audit_alerts_last_seen ON audit_alerts(last_seen, id);
CREATE INDEX audit_alerts_hour ON audit_alerts(first_hour, severity);
CREATE TABLE audit_alert_events (
  alert_id BIGINT NOT NULL REFERENCES audit_alerts(id) ON DELETE CASCADE,
  event_seq BIGINT NOT NULL,
  PRIMARY KEY (alert_id, event_seq)
);
CREATE INDEX audit_alert_events_seq ON audit_alert_events(event_seq);
CREATE TABLE alert_suppressions (
  id ${t.id},
  connector_id TEXT,
  rule TEXT,
  user_name TEXT,
  namespace TEXT,
  resource TEXT,
  source_ip TEXT,
  reason TEXT NOT NULL,
  owner TEXT NOT NULL,
  expires_at ${t.time},
  created_by TEXT NOT NULL,
  created_at ${t.time} NOT NULL,
  removed_by TEXT,
  removed_at ${t.time},
  match_count INTEGER NOT NULL DEFAULT 0,
  last_matched_at ${t.time}
);
`;

/**
 * Audit events received by the server (per connector), the ingest tokens that authenticate them, and what
 * detection makes of them: alerts with their lifecycle and evidence, suppression rules with their hit counts,
 * and the saved state of the stateful detectors. Ingest tokens and alerts keep their connector id without a
 * foreign key: a token must outlive its connector so that ingest can answer 410 Gone, and alerts stay as
 * history until they are purged on purpose.
 */
export const m002AuditIngest: Migration = {
  id: 2,
  name: 'audit_ingest',
  sqlite: tables({ id: 'INTEGER PRIMARY KEY AUTOINCREMENT', time: 'TEXT', json: 'TEXT' }),
  postgres: tables({ id: 'BIGSERIAL PRIMARY KEY', time: 'TIMESTAMPTZ', json: 'JSONB' }),
};
