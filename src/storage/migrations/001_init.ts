import type { Migration } from './migration.js';

/**
 * The first schema: users, sessions, API tokens, the audit trail, connectors, inventory, findings,
 * exemptions and the score time series. SQLite keeps times as ISO text and JSON as text; PostgreSQL
 * uses timestamptz and jsonb so large inventories can be filtered in the database.
 */
export const m001Init: Migration = {
  id: 1,
  name: 'init',
  sqlite: `
CREATE TABLE users (
  id TEXT PRIMARY KEY,
  username TEXT NOT NULL UNIQUE,
  role TEXT NOT NULL CHECK (role IN ('reader','contributor','owner')),
  password_hash TEXT NOT NULL,
  created_at TEXT NOT NULL
);
CREATE TABLE sessions (
  token_hash TEXT PRIMARY KEY,
  user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  created_at TEXT NOT NULL,
  expires_at TEXT NOT NULL
);
CREATE INDEX sessions_user ON sessions(user_id);
CREATE TABLE api_tokens (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  prefix TEXT NOT NULL,
  token_hash TEXT NOT NULL UNIQUE,
  role TEXT NOT NULL CHECK (role IN ('reader','contributor','owner')),
  user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  created_at TEXT NOT NULL,
  expires_at TEXT,
  last_used_at TEXT,
  revoked_at TEXT
);
CREATE TABLE audit_log (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  at TEXT NOT NULL,
  actor TEXT NOT NULL,
  action TEXT NOT NULL,
  target TEXT NOT NULL,
  source TEXT,
  before_summary TEXT,
  after_summary TEXT
);
CREATE INDEX audit_log_action ON audit_log(action, id);
CREATE TABLE connectors (
  id TEXT PRIMARY KEY,
  kind TEXT NOT NULL,
  name TEXT NOT NULL UNIQUE,
  config TEXT NOT NULL,
  secrets TEXT,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL
);
CREATE TABLE assets (
  id TEXT PRIMARY KEY,
  connector_id TEXT REFERENCES connectors(id) ON DELETE CASCADE,
  type TEXT NOT NULL,
  key TEXT NOT NULL,
  attributes TEXT NOT NULL,
  first_seen TEXT NOT NULL,
  last_seen TEXT NOT NULL
);
CREATE UNIQUE INDEX assets_identity ON assets(COALESCE(connector_id, ''), type, key);
CREATE INDEX assets_type ON assets(type, id);
CREATE TABLE asset_relations (
  from_asset TEXT NOT NULL REFERENCES assets(id) ON DELETE CASCADE,
  to_asset TEXT NOT NULL REFERENCES assets(id) ON DELETE CASCADE,
  kind TEXT NOT NULL,
  PRIMARY KEY (from_asset, to_asset, kind)
);
CREATE INDEX asset_relations_to ON asset_relations(to_asset);
CREATE TABLE findings (
  id TEXT PRIMARY KEY,
  asset_id TEXT NOT NULL REFERENCES assets(id) ON DELETE CASCADE,
  check_id TEXT NOT NULL,
  severity TEXT NOT NULL,
  path TEXT NOT NULL,
  message TEXT NOT NULL,
  first_seen TEXT NOT NULL,
  last_seen TEXT NOT NULL,
  UNIQUE (asset_id, check_id, path)
);
CREATE INDEX findings_check ON findings(check_id);
CREATE TABLE exemptions (
  id TEXT PRIMARY KEY,
  scope TEXT NOT NULL,
  check_id TEXT NOT NULL,
  reason TEXT NOT NULL,
  owner TEXT NOT NULL,
  expires_at TEXT,
  created_by TEXT NOT NULL,
  created_at TEXT NOT NULL
);
CREATE TABLE score_history (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  scope TEXT NOT NULL,
  at TEXT NOT NULL,
  score REAL NOT NULL
);
CREATE INDEX score_history_scope ON score_history(scope, at);
`,
  postgres: `
CREATE TABLE users (
  id TEXT PRIMARY KEY,
  username TEXT NOT NULL UNIQUE,
  role TEXT NOT NULL CHECK (role IN ('reader','contributor','owner')),
  password_hash TEXT NOT NULL,
  created_at TIMESTAMPTZ NOT NULL
);
CREATE TABLE sessions (
  token_hash TEXT PRIMARY KEY,
  user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  created_at TIMESTAMPTZ NOT NULL,
  expires_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX sessions_user ON sessions(user_id);
CREATE TABLE api_tokens (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  prefix TEXT NOT NULL,
  token_hash TEXT NOT NULL UNIQUE,
  role TEXT NOT NULL CHECK (role IN ('reader','contributor','owner')),
  user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  created_at TIMESTAMPTZ NOT NULL,
  expires_at TIMESTAMPTZ,
  last_used_at TIMESTAMPTZ,
  revoked_at TIMESTAMPTZ
);
CREATE TABLE audit_log (
  id BIGSERIAL PRIMARY KEY,
  at TIMESTAMPTZ NOT NULL,
  actor TEXT NOT NULL,
  action TEXT NOT NULL,
  target TEXT NOT NULL,
  source TEXT,
  before_summary JSONB,
  after_summary JSONB
);
CREATE INDEX audit_log_action ON audit_log(action, id);
CREATE TABLE connectors (
  id TEXT PRIMARY KEY,
  kind TEXT NOT NULL,
  name TEXT NOT NULL UNIQUE,
  config JSONB NOT NULL,
  secrets TEXT,
  created_at TIMESTAMPTZ NOT NULL,
  updated_at TIMESTAMPTZ NOT NULL
);
CREATE TABLE assets (
  id TEXT PRIMARY KEY,
  connector_id TEXT REFERENCES connectors(id) ON DELETE CASCADE,
  type TEXT NOT NULL,
  key TEXT NOT NULL,
  attributes JSONB NOT NULL,
  first_seen TIMESTAMPTZ NOT NULL,
  last_seen TIMESTAMPTZ NOT NULL
);
CREATE UNIQUE INDEX assets_identity ON assets((COALESCE(connector_id, '')), type, key);
CREATE INDEX assets_type ON assets(type, id);
CREATE TABLE asset_relations (
  from_asset TEXT NOT NULL REFERENCES assets(id) ON DELETE CASCADE,
  to_asset TEXT NOT NULL REFERENCES assets(id) ON DELETE CASCADE,
  kind TEXT NOT NULL,
  PRIMARY KEY (from_asset, to_asset, kind)
);
CREATE INDEX asset_relations_to ON asset_relations(to_asset);
CREATE TABLE findings (
  id TEXT PRIMARY KEY,
  asset_id TEXT NOT NULL REFERENCES assets(id) ON DELETE CASCADE,
  check_id TEXT NOT NULL,
  severity TEXT NOT NULL,
  path TEXT NOT NULL,
  message TEXT NOT NULL,
  first_seen TIMESTAMPTZ NOT NULL,
  last_seen TIMESTAMPTZ NOT NULL,
  UNIQUE (asset_id, check_id, path)
);
CREATE INDEX findings_check ON findings(check_id);
CREATE TABLE exemptions (
  id TEXT PRIMARY KEY,
  scope TEXT NOT NULL,
  check_id TEXT NOT NULL,
  reason TEXT NOT NULL,
  owner TEXT NOT NULL,
  expires_at TIMESTAMPTZ,
  created_by TEXT NOT NULL,
  created_at TIMESTAMPTZ NOT NULL
);
CREATE TABLE score_history (
  id BIGSERIAL PRIMARY KEY,
  scope TEXT NOT NULL,
  at TIMESTAMPTZ NOT NULL,
  score DOUBLE PRECISION NOT NULL
);
CREATE INDEX score_history_scope ON score_history(scope, at);
`,
};
