import type { Migration } from './migration.js';

/**
 * Roles per connector: a user or an API token may hold a role on single connectors (a role binding), in
 * addition to or instead of its global role. `global_access` false on a user or token means its `role`
 * column holds nowhere by itself: only its bindings give it access. The index of assets by connector serves
 * the lists filtered to the connectors a caller may read; the covering index of findings lets the
 * recommendations (findings grouped by check and severity) be counted from the index alone
 * (bench/api-lists.bench.ts).
 */
const script = (t: { time: string; bool: string; yes: string }) => `
CREATE TABLE role_bindings (
  id TEXT PRIMARY KEY,
  subject_kind TEXT NOT NULL CHECK (subject_kind IN ('user','token')),
  subject_id TEXT NOT NULL,
  connector_id TEXT NOT NULL REFERENCES connectors(id) ON DELETE CASCADE,
  role TEXT NOT NULL CHECK (role IN ('reader','contributor','owner')),
  created_by TEXT NOT NULL,
  created_at ${t.time} NOT NULL,
  UNIQUE (subject_kind, subject_id, connector_id)
);
CREATE INDEX role_bindings_connector ON role_bindings(connector_id);
ALTER TABLE users ADD COLUMN global_access ${t.bool} NOT NULL DEFAULT ${t.yes};
ALTER TABLE api_tokens ADD COLUMN global_access ${t.bool} NOT NULL DEFAULT ${t.yes};
CREATE INDEX assets_connector ON assets(connector_id, id);
CREATE INDEX findings_summary ON findings(check_id, severity, asset_id, last_seen);
`;

export const m005RoleBindings: Migration = {
  id: 5,
  name: 'role_bindings',
  sqlite: script({ time: 'TEXT', bool: 'INTEGER', yes: '1' }),
  postgres: script({ time: 'TIMESTAMPTZ', bool: 'BOOLEAN', yes: 'true' }),
};
