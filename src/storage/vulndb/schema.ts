/**
 * The layout of the vulnerability database file. Bump {@link SCHEMA_VERSION} on any change a reader of the
 * previous layout would misread; a file of another version is refused with a message naming the way out.
 *
 * - `meta`: `format`, `schema`, `created_at`, `updated_at` (ISO times) and, in an export, `exported_at`.
 * - `sources`: one row per data source (`debian-tracker`, `osv:npm`).
 * - `documents`: one row per imported feed document (source + key) with what `db update` needs to ask for
 *   changes only (URL, ETag, Last-Modified, digest) and the counts the feed reported.
 * - `vulnerabilities`: one record per vulnerability id per document, as JSON without the id; records of the
 *   same id from several documents and sources are merged when read.
 * - `affected`: one row per package, namespace, vulnerability and document; the columns a lookup filters on
 *   are plain columns, the rest (ranges, explicit versions, architectures) is JSON in `extra`.
 *
 * Rows point at their document by its integer id, so replacing a document deletes by one small index.
 */

/** Schema version, also stored as `PRAGMA user_version`. */
export const SCHEMA_VERSION = 1;

/** The `meta.format` value that marks a Palisade vulnerability database. */
export const FORMAT = 'palisade-vulndb';

/** DDL of a new file, in order. */
export const SCHEMA_SQL = `
CREATE TABLE meta (
  key TEXT PRIMARY KEY,
  value TEXT NOT NULL
) WITHOUT ROWID;

CREATE TABLE sources (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  url TEXT NOT NULL
) WITHOUT ROWID;

CREATE TABLE documents (
  doc_id INTEGER PRIMARY KEY,
  source TEXT NOT NULL REFERENCES sources(id),
  key TEXT NOT NULL,
  url TEXT NOT NULL,
  etag TEXT,
  last_modified TEXT,
  digest TEXT NOT NULL,
  imported_at TEXT NOT NULL,
  vulnerabilities INTEGER NOT NULL,
  affected INTEGER NOT NULL,
  UNIQUE (source, key)
);

CREATE TABLE vulnerabilities (
  vuln_id TEXT NOT NULL,
  doc_id INTEGER NOT NULL REFERENCES documents(doc_id),
  record TEXT NOT NULL,
  PRIMARY KEY (vuln_id, doc_id)
) WITHOUT ROWID;
CREATE INDEX vulnerabilities_doc ON vulnerabilities(doc_id);

CREATE TABLE affected (
  namespace TEXT NOT NULL,
  package TEXT NOT NULL,
  vuln_id TEXT NOT NULL,
  doc_id INTEGER NOT NULL REFERENCES documents(doc_id),
  status TEXT NOT NULL,
  fixed_version TEXT,
  module TEXT,
  severity TEXT,
  extra TEXT
);
CREATE INDEX affected_package ON affected(namespace, package);
CREATE INDEX affected_doc ON affected(doc_id);
`;
