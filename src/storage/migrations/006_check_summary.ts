import type { Migration } from './migration.js';

/**
 * Per-check totals of each connector's findings (`finding_summary`), kept by the store in the transaction that
 * writes or prunes the findings, so the recommendations view sums about connectors x checks rows instead of
 * counting every finding per request (bench/api-lists.bench.ts). Assets outside any connector (a null
 * `connector_id`) have their own rows, hence the unique index on the coalesced id rather than a primary key.
 * Severity is kept as its rank (critical 5 ... info 1, anything else 0), as the vulnerability tables keep it.
 * `findings_check_page` serves the affected-resources page: the findings of one check in id order, read from
 * the index up to the page size instead of sorting all of them (it replaces `findings_check`, its prefix).
 * The summary is backfilled from the findings present.
 *
 * `vulnerability_summary` holds the by-CVE view without filters (images, running and exposed images, packages
 * and fixed versions as JSON text, per vulnerability), with an index in the view's order. It depends on every
 * image's vulnerabilities, references and exposure, which many paths write (scans, re-matches, syncs, and
 * cascades from connectors and scans), so triggers on those tables mark it stale (`summary_state`) and the next
 * read recomputes it once; it starts stale.
 */
const script = (t: { time: string }) => `
CREATE TABLE finding_summary (
  connector_id TEXT REFERENCES connectors(id) ON DELETE CASCADE,
  check_id TEXT NOT NULL,
  assets INTEGER NOT NULL,
  findings INTEGER NOT NULL,
  severity_rank INTEGER NOT NULL,
  last_seen ${t.time} NOT NULL
);
CREATE UNIQUE INDEX finding_summary_identity ON finding_summary((COALESCE(connector_id, '')), check_id);
CREATE INDEX finding_summary_check ON finding_summary(check_id);
INSERT INTO finding_summary (connector_id, check_id, assets, findings, severity_rank, last_seen)
  SELECT a.connector_id, f.check_id, COUNT(DISTINCT f.asset_id), COUNT(*),
    MAX(CASE f.severity WHEN 'critical' THEN 5 WHEN 'high' THEN 4 WHEN 'medium' THEN 3 WHEN 'low' THEN 2 WHEN 'info' THEN 1 ELSE 0 END), MAX(f.last_seen)
  FROM findings f JOIN assets a ON a.id = f.asset_id
  GROUP BY a.connector_id, f.check_id;
CREATE INDEX findings_check_page ON findings(check_id, id);
DROP INDEX findings_check;
`;

const vulnerabilities = (t: { bool: string; yes: string }) => `
CREATE TABLE vulnerability_summary (
  vuln_id TEXT PRIMARY KEY,
  severity_rank INTEGER NOT NULL,
  title TEXT,
  images INTEGER NOT NULL,
  running_images INTEGER NOT NULL,
  exposed_images INTEGER NOT NULL,
  packages TEXT NOT NULL,
  fixed_versions TEXT NOT NULL
);
CREATE INDEX vulnerability_summary_order ON vulnerability_summary(exposed_images DESC, running_images DESC, severity_rank DESC, images DESC, vuln_id);
CREATE TABLE summary_state (
  name TEXT PRIMARY KEY,
  stale ${t.bool} NOT NULL
);
INSERT INTO summary_state (name, stale) VALUES ('vulnerabilities', ${t.yes});
`;

/** SQLite has row triggers only; once stale, the update matches nothing (one writer at a time, so no race). */
const sqliteTriggers = (['image_vulnerabilities', 'image_references', 'image_exposure'] as const)
  .flatMap((table) =>
    (['INSERT', 'DELETE', 'UPDATE'] as const).map(
      (op) => `CREATE TRIGGER ${table}_${op.toLowerCase()}_stale AFTER ${op} ON ${table}${op === 'UPDATE' && table === 'image_references' ? ' WHEN OLD.digest IS NOT NEW.digest' : ''}
BEGIN UPDATE summary_state SET stale = 1 WHERE name = 'vulnerabilities' AND stale = 0; END;`,
    ),
  )
  .join('\n');

/**
 * PostgreSQL marks it once per statement. The update is unconditional on purpose: it waits for a recompute in
 * progress (which holds the row) to commit, so a write the recompute did not see always leaves it stale.
 */
const postgresTriggers = `
CREATE FUNCTION vulnerability_summary_stale() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE summary_state SET stale = true WHERE name = 'vulnerabilities';
  RETURN NULL;
END
$$;
CREATE TRIGGER image_vulnerabilities_stale AFTER INSERT OR UPDATE OR DELETE ON image_vulnerabilities FOR EACH STATEMENT EXECUTE FUNCTION vulnerability_summary_stale();
CREATE TRIGGER image_exposure_stale AFTER INSERT OR UPDATE OR DELETE ON image_exposure FOR EACH STATEMENT EXECUTE FUNCTION vulnerability_summary_stale();
CREATE TRIGGER image_references_stale AFTER INSERT OR DELETE ON image_references FOR EACH STATEMENT EXECUTE FUNCTION vulnerability_summary_stale();
CREATE TRIGGER image_references_digest_stale AFTER UPDATE ON image_references FOR EACH ROW WHEN (OLD.digest IS DISTINCT FROM NEW.digest) EXECUTE FUNCTION vulnerability_summary_stale();
`;

/** Per-(connector, check) finding totals kept by the store, the index of the affected-resources page, and the by-CVE view kept until a write makes it stale. */
export const m006CheckSummary: Migration = {
  id: 6,
  name: 'check_summary',
  sqlite: script({ time: 'TEXT' }) + vulnerabilities({ bool: 'INTEGER', yes: '1' }) + sqliteTriggers,
  postgres: script({ time: 'TIMESTAMPTZ' }) + vulnerabilities({ bool: 'BOOLEAN', yes: 'true' }) + postgresTriggers,
};
