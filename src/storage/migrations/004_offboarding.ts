import type { Migration } from './migration.js';

const table = (t: { time: string; json: string }) => `
CREATE TABLE connector_offboardings (
  connector_id TEXT PRIMARY KEY,
  connector_name TEXT NOT NULL,
  connector_kind TEXT NOT NULL,
  state TEXT NOT NULL CHECK (state IN ('running','offboarded','purged')),
  reason TEXT NOT NULL,
  requested_by TEXT NOT NULL,
  started_at ${t.time} NOT NULL,
  updated_at ${t.time} NOT NULL,
  monitoring_stopped_at ${t.time},
  offboarded_at ${t.time},
  offboarded_by TEXT,
  purge_after ${t.time},
  purged_at ${t.time},
  steps ${t.json} NOT NULL,
  report ${t.json} NOT NULL,
  lease_owner TEXT,
  lease_until ${t.time}
);
CREATE INDEX connector_offboardings_purge ON connector_offboardings(state, purge_after);
`;

/**
 * Offboarding of connectors: one row per connector being or having been offboarded, holding who asked,
 * when and why, the state of each step of the workflow (so a crash mid-way resumes where it stopped), the
 * report, and a lease so that two requests (or two processes) never run the same workflow at once. No
 * foreign key to `connectors`: the row is the lasting record of the offboarding after the connector and its
 * data are purged.
 */
export const m004Offboarding: Migration = {
  id: 4,
  name: 'offboarding',
  sqlite: table({ time: 'TEXT', json: 'TEXT' }),
  postgres: table({ time: 'TIMESTAMPTZ', json: 'JSONB' }),
};
