import type { Migration } from './migration.js';

const table = (t: { time: string; real: string }) => `
CREATE TABLE compliance_history (
  connector_id TEXT NOT NULL REFERENCES connectors(id) ON DELETE CASCADE,
  framework TEXT NOT NULL,
  hour TEXT NOT NULL,
  at ${t.time} NOT NULL,
  passed INTEGER NOT NULL,
  failed INTEGER NOT NULL,
  not_applicable INTEGER NOT NULL,
  manual INTEGER NOT NULL,
  score ${t.real},
  PRIMARY KEY (connector_id, framework, hour)
);
CREATE INDEX compliance_history_framework ON compliance_history(framework, at);
`;

/**
 * Compliance history: the control counts and score of each framework per connector over time, written by every
 * sync. `hour` (`YYYY-MM-DDTHH` of `at`, UTC) is part of the key so a connector keeps one point per framework
 * and hour: a later sync in the same hour replaces the point, which bounds the table however often syncs run.
 * The framework id is not a foreign key: frameworks are content files, and a point outlives a removed one.
 */
export const m009ComplianceHistory: Migration = {
  id: 9,
  name: 'compliance_history',
  sqlite: table({ time: 'TEXT', real: 'REAL' }),
  postgres: table({ time: 'TIMESTAMPTZ', real: 'DOUBLE PRECISION' }),
};
