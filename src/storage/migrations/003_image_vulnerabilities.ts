import type { Migration } from './migration.js';

/**
 * Image scans of the server: what each image (by manifest digest) contains, kept so a new vulnerability
 * database can be matched again without pulling the image; the vulnerabilities found in it; and which
 * references (`registry/repo:tag` as a pod or a registry names it) resolved to which digest, with the
 * outcome of the latest attempt so an unreachable registry shows as an error, not as a clean image; and which
 * references each cluster connector runs, exposed or not.
 */
export const m003ImageVulnerabilities: Migration = {
  id: 3,
  name: 'image_vulnerabilities',
  sqlite: `
CREATE TABLE image_scans (
  digest TEXT PRIMARY KEY,
  reference TEXT NOT NULL,
  platform TEXT,
  os TEXT,
  packages TEXT NOT NULL,
  layers TEXT NOT NULL,
  package_count INTEGER NOT NULL,
  scanned_at TEXT NOT NULL,
  matched_at TEXT NOT NULL,
  db_updated_at TEXT
);
CREATE TABLE image_vulnerabilities (
  digest TEXT NOT NULL REFERENCES image_scans(digest) ON DELETE CASCADE,
  vuln_id TEXT NOT NULL,
  package TEXT NOT NULL,
  installed_version TEXT NOT NULL,
  package_path TEXT NOT NULL,
  ecosystem TEXT NOT NULL,
  fixed_version TEXT,
  status TEXT NOT NULL,
  severity TEXT NOT NULL,
  severity_rank INTEGER NOT NULL,
  title TEXT,
  aliases TEXT NOT NULL,
  primary_url TEXT,
  layer_digest TEXT,
  layer_index INTEGER,
  layer_created_by TEXT,
  PRIMARY KEY (digest, vuln_id, package, installed_version, package_path)
);
CREATE INDEX image_vulnerabilities_vuln ON image_vulnerabilities(vuln_id);
CREATE TABLE image_references (
  reference TEXT PRIMARY KEY,
  digest TEXT,
  status TEXT NOT NULL CHECK (status IN ('pending','ok','error')),
  error_code TEXT,
  error TEXT,
  attempted_at TEXT NOT NULL,
  succeeded_at TEXT
);
CREATE INDEX image_references_digest ON image_references(digest);
-- Which references a connector's workloads run and whether one of them is exposed: derived from its assets and
-- relations after each of its syncs, so the vulnerability views do not walk the whole inventory per request.
CREATE TABLE image_exposure (
  connector_id TEXT NOT NULL REFERENCES connectors(id) ON DELETE CASCADE,
  reference TEXT NOT NULL,
  workloads INTEGER NOT NULL,
  exposed INTEGER NOT NULL,
  PRIMARY KEY (connector_id, reference)
);
CREATE INDEX image_exposure_reference ON image_exposure(reference);
CREATE INDEX assets_type_key ON assets(type, key);
`,
  postgres: `
CREATE TABLE image_scans (
  digest TEXT PRIMARY KEY,
  reference TEXT NOT NULL,
  platform TEXT,
  os JSONB,
  packages JSONB NOT NULL,
  layers JSONB NOT NULL,
  package_count INTEGER NOT NULL,
  scanned_at TIMESTAMPTZ NOT NULL,
  matched_at TIMESTAMPTZ NOT NULL,
  db_updated_at TEXT
);
CREATE TABLE image_vulnerabilities (
  digest TEXT NOT NULL REFERENCES image_scans(digest) ON DELETE CASCADE,
  vuln_id TEXT NOT NULL,
  package TEXT NOT NULL,
  installed_version TEXT NOT NULL,
  package_path TEXT NOT NULL,
  ecosystem TEXT NOT NULL,
  fixed_version TEXT,
  status TEXT NOT NULL,
  severity TEXT NOT NULL,
  severity_rank INTEGER NOT NULL,
  title TEXT,
  aliases JSONB NOT NULL,
  primary_url TEXT,
  layer_digest TEXT,
  layer_index INTEGER,
  layer_created_by TEXT,
  PRIMARY KEY (digest, vuln_id, package, installed_version, package_path)
);
CREATE INDEX image_vulnerabilities_vuln ON image_vulnerabilities(vuln_id);
CREATE TABLE image_references (
  reference TEXT PRIMARY KEY,
  digest TEXT,
  status TEXT NOT NULL CHECK (status IN ('pending','ok','error')),
  error_code TEXT,
  error TEXT,
  attempted_at TIMESTAMPTZ NOT NULL,
  succeeded_at TIMESTAMPTZ
);
CREATE INDEX image_references_digest ON image_references(digest);
-- Which references a connector's workloads run and whether one of them is exposed: derived from its assets and
-- relations after each of its syncs, so the vulnerability views do not walk the whole inventory per request.
CREATE TABLE image_exposure (
  connector_id TEXT NOT NULL REFERENCES connectors(id) ON DELETE CASCADE,
  reference TEXT NOT NULL,
  workloads INTEGER NOT NULL,
  exposed INTEGER NOT NULL,
  PRIMARY KEY (connector_id, reference)
);
CREATE INDEX image_exposure_reference ON image_exposure(reference);
CREATE INDEX assets_type_key ON assets(type, key);
`,
};
