import { createHash } from 'node:crypto';
import { closeSync, existsSync, mkdirSync, openSync, readSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname } from 'node:path';
import Database from 'better-sqlite3';
import type {
  AdvisoryLookup,
  AdvisoryWriter,
  AffectedPackage,
  AffectedStatus,
  DataSource,
  FeedDocumentState,
  VersionRange,
  VulnerabilityRecord,
} from '../../model/advisory.js';
import { PalisadeError } from '../../model/errors.js';
import type { Severity } from '../../model/severity.js';
import { mergeRecords, type RecordPart } from './merge.js';
import { FORMAT, SCHEMA_SQL, SCHEMA_VERSION } from './schema.js';

type Db = Database.Database;

/** One data source in {@link VulnDbStatus}. */
export interface SourceStatus extends DataSource {
  documents: number;
  /** Vulnerability records stored for this source (one per id per document). */
  vulnerabilities: number;
  affected: number;
  /** ISO time of the latest document import. */
  lastImport?: string;
}

/** One feed document in {@link VulnDbStatus}. */
export interface DocumentStatus extends FeedDocumentState {
  source: string;
  documentKey: string;
}

/** What `palisade db status` shows. */
export interface VulnDbStatus {
  path: string;
  schemaVersion: number;
  createdAt?: string;
  /** ISO time of the latest document import (or state change). */
  updatedAt?: string;
  /** Set in a file written by `exportTo`. */
  exportedAt?: string;
  sources: SourceStatus[];
  documents: DocumentStatus[];
  totals: { sources: number; documents: number; vulnerabilities: number; affected: number };
  /** Size of the database file in bytes (0 for an in-memory database). */
  fileSize: number;
}

/** What `exportTo` wrote. */
export interface ExportResult {
  file: string;
  /** `<file>.sha256`, in `sha256sum` format. */
  checksumFile: string;
  sha256: string;
  bytes: number;
}

/** The vulnerability database: lookups for the matcher, document replacement for `db update`, housekeeping. */
export interface VulnDb extends AdvisoryLookup, AdvisoryWriter {
  /** Rows of many packages of one namespace in one query (see {@link AdvisoryLookup.affectedMany}). */
  affectedMany(namespace: string, pkgs: readonly string[]): Map<string, AffectedPackage[]>;
  /** Merged records of many ids in one query (see {@link AdvisoryLookup.vulnerabilities}). */
  vulnerabilities(ids: readonly string[]): Map<string, VulnerabilityRecord>;
  readonly path: string;
  readonly readonly: boolean;
  /** Records new validators for a document whose rows did not change. */
  touchDocument(source: string, documentKey: string, state: FeedDocumentState): void;
  status(): VulnDbStatus;
  /**
   * What a scan reports of the database: the last update time and the data sources, read from two small
   * tables (without the row counts of `status()`, which cost a pass over the advisories).
   */
  summary(): { updatedAt?: string; sources: DataSource[] };
  /** Writes a consistent, compacted copy to `file` and its checksum to `<file>.sha256`. */
  exportTo(file: string): ExportResult;
  close(): void;
}

export interface OpenOptions {
  /** Open read-only (the matcher's view); the file must exist and be of this schema. */
  readonly?: boolean;
  /**
   * Create the file (and its folder) when missing; a file of an older schema is rebuilt empty, since its rows
   * cannot be read any more and `db update` refills it.
   */
  create?: boolean;
}

const MISSING_HINT = 'run `palisade db update` (or `palisade db import <file>`)';

function message(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

function invalid(path: string, what: string): PalisadeError {
  return new PalisadeError('E_VULN_DB_INVALID', `${path}: ${what}`);
}

/** Reads the schema version of an open file; 0 for a new empty file. Refuses files that are not SQLite. */
function schemaOf(db: Db, path: string): number {
  try {
    return db.pragma('user_version', { simple: true }) as number;
  } catch (e) {
    throw invalid(path, `not a vulnerability database (${message(e)})`);
  }
}

function tableCount(db: Db): number {
  return (db.prepare('SELECT count(*) AS n FROM sqlite_master').get() as { n: number }).n;
}

function checkFormat(db: Db, path: string): void {
  let format: string | undefined;
  try {
    format = (db.prepare("SELECT value FROM meta WHERE key = 'format'").get() as { value: string } | undefined)?.value;
  } catch {
    format = undefined;
  }
  if (format !== FORMAT) throw invalid(path, 'not a Palisade vulnerability database (no format marker)');
}

function schemaMismatch(path: string, found: number): PalisadeError {
  const newer = found > SCHEMA_VERSION;
  return new PalisadeError(
    'E_VULN_DB_SCHEMA',
    `${path}: vulnerability database schema ${found}, but this Palisade reads schema ${SCHEMA_VERSION}` +
      (newer
        ? ': it was written by a newer Palisade; use that version, or delete the file and run `palisade db update`'
        : ': run `palisade db update` to rebuild it, or `palisade db import` an export of schema ' + SCHEMA_VERSION),
  );
}

function createSchema(db: Db, now: string): void {
  db.exec(SCHEMA_SQL);
  const put = db.prepare('INSERT INTO meta (key, value) VALUES (?, ?)');
  put.run('format', FORMAT);
  put.run('schema', String(SCHEMA_VERSION));
  put.run('created_at', now);
  db.pragma(`user_version = ${SCHEMA_VERSION}`);
}

/** Opens the database file (see {@link OpenOptions}); `:memory:` gives a throw-away database for tests. */
export function openVulnDb(path: string, opts: OpenOptions = {}): VulnDb {
  const readonly = opts.readonly === true;
  const memory = path === ':memory:';
  if (!memory && !existsSync(path)) {
    if (readonly || !opts.create) throw new PalisadeError('E_VULN_DB_MISSING', `no vulnerability database at ${path}: ${MISSING_HINT}`);
    mkdirSync(dirname(path), { recursive: true });
  }
  let db: Db;
  try {
    db = new Database(path, { readonly, fileMustExist: !memory && !opts.create });
  } catch (e) {
    throw invalid(path, `cannot open: ${message(e)}`);
  }
  try {
    let version = schemaOf(db, path);
    if (version !== 0 && version !== SCHEMA_VERSION && opts.create && !readonly && version < SCHEMA_VERSION) {
      // An older layout cannot be read; start over in place (db update refills it).
      db.close();
      for (const f of [path, `${path}-journal`, `${path}-wal`, `${path}-shm`]) rmSync(f, { force: true });
      db = new Database(path);
      version = 0;
    }
    if (version === 0) {
      if (tableCount(db) > 0) throw invalid(path, 'not a Palisade vulnerability database (no schema version)');
      if (readonly) throw new PalisadeError('E_VULN_DB_MISSING', `${path} is an empty vulnerability database: ${MISSING_HINT}`);
      // Rollback journal, not WAL: the file is read far more than written, and stays one file to copy.
      db.pragma('journal_mode = DELETE');
      db.transaction(() => createSchema(db, new Date().toISOString()))();
    } else if (version !== SCHEMA_VERSION) {
      throw schemaMismatch(path, version);
    }
    checkFormat(db, path);
  } catch (e) {
    db.close();
    throw e;
  }
  if (!readonly) {
    // Bigger page cache for bulk imports; temporary b-trees in memory.
    db.pragma('cache_size = -65536');
    db.pragma('temp_store = MEMORY');
    db.pragma('foreign_keys = ON');
  }
  return new SqliteVulnDb(db, path, readonly);
}

/**
 * One `affected` row as the lookups read it: a tuple in the order of {@link AFFECTED_COLUMNS} (raw rows spare
 * an object with nine named fields per row; the matcher reads thousands of rows per image).
 */
type AffectedRow = [
  vulnId: string,
  namespace: string,
  pkg: string,
  status: string,
  fixedVersion: string | null,
  module: string | null,
  severity: string | null,
  extra: string | null,
  source: string,
];

interface Extra {
  ranges?: VersionRange[];
  versions?: string[];
  arches?: string[];
}

interface DocumentRow {
  doc_id: number;
  source: string;
  key: string;
  url: string;
  etag: string | null;
  last_modified: string | null;
  digest: string;
  imported_at: string;
  vulnerabilities: number;
  affected: number;
}

function stateOf(r: DocumentRow): FeedDocumentState {
  const s: FeedDocumentState = { url: r.url, digest: r.digest, importedAt: r.imported_at, vulnerabilities: r.vulnerabilities, affected: r.affected };
  if (r.etag !== null) s.etag = r.etag;
  if (r.last_modified !== null) s.lastModified = r.last_modified;
  return s;
}

function extraOf(a: AffectedPackage): string | null {
  if (!a.ranges?.length && !a.versions?.length && !a.arches?.length) return null;
  const e: Extra = {};
  if (a.ranges?.length) e.ranges = a.ranges;
  if (a.versions?.length) e.versions = a.versions;
  if (a.arches?.length) e.arches = a.arches;
  return JSON.stringify(e);
}

function recordJson(v: VulnerabilityRecord): string {
  // The id is the key; everything else is kept as the feed gave it.
  const { id: _id, ...rest } = v;
  return JSON.stringify(rest);
}

/** sha256 of a file, read in 1 MiB chunks. */
export function sha256File(file: string): string {
  const hash = createHash('sha256');
  const fd = openSync(file, 'r');
  try {
    const buf = Buffer.allocUnsafe(1 << 20);
    for (;;) {
      const n = readSync(fd, buf, 0, buf.length, null);
      if (n === 0) break;
      hash.update(buf.subarray(0, n));
    }
  } finally {
    closeSync(fd);
  }
  return hash.digest('hex');
}

/** Statements of `replaceDocument`, prepared once per connection. */
function prepareWrites(db: Db) {
  return {
    upsertSource: db.prepare('INSERT INTO sources (id, name, url) VALUES (?, ?, ?) ON CONFLICT(id) DO UPDATE SET name = excluded.name, url = excluded.url'),
    find: db.prepare<[string, string], { doc_id: number }>('SELECT doc_id FROM documents WHERE source = ? AND key = ?'),
    delAffected: db.prepare('DELETE FROM affected WHERE doc_id = ?'),
    delVulns: db.prepare('DELETE FROM vulnerabilities WHERE doc_id = ?'),
    updateDoc: db.prepare('UPDATE documents SET url = ?, etag = ?, last_modified = ?, digest = ?, imported_at = ?, vulnerabilities = ?, affected = ? WHERE doc_id = ?'),
    insertDoc: db.prepare('INSERT INTO documents (source, key, url, etag, last_modified, digest, imported_at, vulnerabilities, affected) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)'),
    insertVuln: db.prepare('INSERT OR REPLACE INTO vulnerabilities (vuln_id, doc_id, record) VALUES (?, ?, ?)'),
    insertAffected: db.prepare('INSERT INTO affected (namespace, package, vuln_id, doc_id, status, fixed_version, module, severity, extra) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)'),
    setMeta: db.prepare('INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value'),
  };
}
type WriteStatements = ReturnType<typeof prepareWrites>;

/** One row of `affected` or `affectedMany` as the matcher sees it. */
function affectedOf([vulnId, namespace, pkg, status, fixedVersion, module, severity, extra, source]: AffectedRow): AffectedPackage {
  const a: AffectedPackage = { vulnerabilityId: vulnId, namespace, package: pkg, status: status as AffectedStatus, source };
  if (module !== null) a.module = module;
  if (fixedVersion !== null) a.fixedVersion = fixedVersion;
  if (severity !== null) a.severity = severity as Severity;
  if (extra !== null) {
    const e = JSON.parse(extra) as Extra;
    if (e.ranges) a.ranges = e.ranges;
    if (e.versions) a.versions = e.versions;
    if (e.arches) a.arches = e.arches;
  }
  return a;
}

const AFFECTED_COLUMNS = 'a.vuln_id, a.namespace, a.package, a.status, a.fixed_version, a.module, a.severity, a.extra, d.source';

class SqliteVulnDb implements VulnDb {
  private readonly selectAffected: Database.Statement<[string, string], AffectedRow>;
  private readonly selectAffectedMany: Database.Statement<[string, string], AffectedRow>;
  private readonly selectRecords: Database.Statement<[string], { record: string; source: string }>;
  private readonly selectRecordsMany: Database.Statement<[string], { vuln_id: string; record: string; source: string }>;
  private readonly selectSource: Database.Statement<[string], { id: string; name: string; url: string }>;
  private readonly selectDocument: Database.Statement<[string, string], DocumentRow>;
  private closed = false;
  private writeStatements: WriteStatements | undefined;

  constructor(
    private readonly db: Db,
    readonly path: string,
    readonly readonly: boolean,
  ) {
    this.selectAffected = db.prepare<[string, string], AffectedRow>(
      `SELECT ${AFFECTED_COLUMNS}
         FROM affected a JOIN documents d ON d.doc_id = a.doc_id
        WHERE a.namespace = ? AND a.package = ?
        ORDER BY a.rowid`,
    ).raw(true);
    // The batch forms take their keys as one JSON array (json_each): one statement for any number of keys, and
    // SQLite probes the same indexes once per key, without a round trip through JavaScript for each.
    this.selectAffectedMany = db.prepare<[string, string], AffectedRow>(
      `SELECT ${AFFECTED_COLUMNS}
         FROM affected a JOIN documents d ON d.doc_id = a.doc_id
        WHERE a.namespace = ? AND a.package IN (SELECT value FROM json_each(?))
        ORDER BY a.rowid`,
    ).raw(true);
    this.selectRecords = db.prepare(
      `SELECT v.record, d.source FROM vulnerabilities v JOIN documents d ON d.doc_id = v.doc_id WHERE v.vuln_id = ? ORDER BY v.doc_id`,
    );
    this.selectRecordsMany = db.prepare(
      `SELECT v.vuln_id, v.record, d.source FROM vulnerabilities v JOIN documents d ON d.doc_id = v.doc_id
        WHERE v.vuln_id IN (SELECT value FROM json_each(?)) ORDER BY v.vuln_id, v.doc_id`,
    );
    this.selectSource = db.prepare('SELECT id, name, url FROM sources WHERE id = ?');
    this.selectDocument = db.prepare('SELECT * FROM documents WHERE source = ? AND key = ?');
  }

  affected(namespace: string, pkg: string): AffectedPackage[] {
    return this.selectAffected.all(namespace, pkg).map(affectedOf);
  }

  affectedMany(namespace: string, pkgs: readonly string[]): Map<string, AffectedPackage[]> {
    const out = new Map<string, AffectedPackage[]>();
    if (pkgs.length === 0) return out;
    // Ordered by rowid overall, so each package's list keeps the order of `affected`.
    for (const r of this.selectAffectedMany.all(namespace, JSON.stringify([...new Set(pkgs)]))) {
      const a = affectedOf(r);
      const list = out.get(a.package);
      if (list) list.push(a);
      else out.set(a.package, [a]);
    }
    return out;
  }

  vulnerability(id: string): VulnerabilityRecord | undefined {
    const parts: RecordPart[] = this.selectRecords.all(id).map((r) => ({ source: r.source, record: JSON.parse(r.record) as RecordPart['record'] }));
    return mergeRecords(id, parts);
  }

  vulnerabilities(ids: readonly string[]): Map<string, VulnerabilityRecord> {
    const parts = new Map<string, RecordPart[]>();
    if (ids.length === 0) return new Map();
    // Ordered by id, then document: each id's parts come in the order `vulnerability` reads them.
    for (const r of this.selectRecordsMany.all(JSON.stringify([...new Set(ids)]))) {
      const part: RecordPart = { source: r.source, record: JSON.parse(r.record) as RecordPart['record'] };
      const list = parts.get(r.vuln_id);
      if (list) list.push(part);
      else parts.set(r.vuln_id, [part]);
    }
    const out = new Map<string, VulnerabilityRecord>();
    for (const [id, list] of parts) out.set(id, mergeRecords(id, list)!);
    return out;
  }

  dataSource(id: string): DataSource | undefined {
    const r = this.selectSource.get(id);
    return r ? { id: r.id, name: r.name, url: r.url } : undefined;
  }

  documentState(source: string, documentKey: string): FeedDocumentState | undefined {
    const r = this.selectDocument.get(source, documentKey);
    return r ? stateOf(r) : undefined;
  }

  private writable(): void {
    if (this.readonly) throw new PalisadeError('E_USAGE', `${this.path}: opened read-only`);
  }

  replaceDocument(source: DataSource, documentKey: string, state: FeedDocumentState, rows: { vulnerabilities: VulnerabilityRecord[]; affected: AffectedPackage[] }): void {
    this.writable();
    for (const a of rows.affected) {
      // Rows belong to the document's source; a feed that says otherwise has a bug worth stopping on.
      if (a.source !== source.id) throw new Error(`replaceDocument(${source.id}, ${documentKey}): affected row ${a.vulnerabilityId} of ${a.package} names source ${a.source}`);
    }
    const db = this.db;
    const w = (this.writeStatements ??= prepareWrites(db));
    db.transaction(() => {
      w.upsertSource.run(source.id, source.name, source.url);
      const existing = w.find.get(source.id, documentKey);
      let docId: number;
      const s = state;
      if (existing) {
        docId = existing.doc_id;
        w.delAffected.run(docId);
        w.delVulns.run(docId);
        w.updateDoc.run(s.url, s.etag ?? null, s.lastModified ?? null, s.digest, s.importedAt, s.vulnerabilities, s.affected, docId);
      } else {
        docId = Number(w.insertDoc.run(source.id, documentKey, s.url, s.etag ?? null, s.lastModified ?? null, s.digest, s.importedAt, s.vulnerabilities, s.affected).lastInsertRowid);
      }
      for (const v of rows.vulnerabilities) w.insertVuln.run(v.id, docId, recordJson(v));
      for (const a of rows.affected) {
        w.insertAffected.run(a.namespace, a.package, a.vulnerabilityId, docId, a.status, a.fixedVersion ?? null, a.module ?? null, a.severity ?? null, extraOf(a));
      }
      w.setMeta.run('updated_at', s.importedAt);
    })();
  }

  touchDocument(source: string, documentKey: string, state: FeedDocumentState): void {
    this.writable();
    this.db
      .prepare('UPDATE documents SET url = ?, etag = ?, last_modified = ?, digest = ?, imported_at = ?, vulnerabilities = ?, affected = ? WHERE source = ? AND key = ?')
      .run(state.url, state.etag ?? null, state.lastModified ?? null, state.digest, state.importedAt, state.vulnerabilities, state.affected, source, documentKey);
  }

  summary(): { updatedAt?: string; sources: DataSource[] } {
    const updated = (this.db.prepare("SELECT value FROM meta WHERE key = 'updated_at'").get() as { value: string } | undefined)?.value;
    const sources = (this.db.prepare('SELECT id, name, url FROM sources ORDER BY id').all() as DataSource[]).map((x) => ({ id: x.id, name: x.name, url: x.url }));
    return updated ? { updatedAt: updated, sources } : { sources };
  }

  status(): VulnDbStatus {
    const db = this.db;
    const meta = new Map((db.prepare('SELECT key, value FROM meta').all() as Array<{ key: string; value: string }>).map((r) => [r.key, r.value]));
    const docs = db.prepare('SELECT * FROM documents ORDER BY source, key').all() as DocumentRow[];
    const vulnCounts = new Map(
      (db.prepare('SELECT d.source AS source, count(*) AS n FROM vulnerabilities v JOIN documents d ON d.doc_id = v.doc_id GROUP BY d.source').all() as Array<{ source: string; n: number }>).map((r) => [r.source, r.n]),
    );
    const affCounts = new Map(
      (db.prepare('SELECT d.source AS source, count(*) AS n FROM affected a JOIN documents d ON d.doc_id = a.doc_id GROUP BY d.source').all() as Array<{ source: string; n: number }>).map((r) => [r.source, r.n]),
    );
    const sources: SourceStatus[] = (db.prepare('SELECT id, name, url FROM sources ORDER BY id').all() as DataSource[]).map((s) => {
      const own = docs.filter((d) => d.source === s.id);
      const last = own.reduce<string | undefined>((m, d) => (m === undefined || d.imported_at > m ? d.imported_at : m), undefined);
      const out: SourceStatus = { id: s.id, name: s.name, url: s.url, documents: own.length, vulnerabilities: vulnCounts.get(s.id) ?? 0, affected: affCounts.get(s.id) ?? 0 };
      if (last) out.lastImport = last;
      return out;
    });
    const distinctVulns = (db.prepare('SELECT count(DISTINCT vuln_id) AS n FROM vulnerabilities').get() as { n: number }).n;
    const affected = (db.prepare('SELECT count(*) AS n FROM affected').get() as { n: number }).n;
    const out: VulnDbStatus = {
      path: this.path,
      schemaVersion: schemaOf(db, this.path),
      sources,
      documents: docs.map((d) => ({ source: d.source, documentKey: d.key, ...stateOf(d) })),
      totals: { sources: sources.length, documents: docs.length, vulnerabilities: distinctVulns, affected },
      fileSize: this.path === ':memory:' ? 0 : statSync(this.path).size,
    };
    const created = meta.get('created_at');
    const updated = meta.get('updated_at');
    const exported = meta.get('exported_at');
    if (created) out.createdAt = created;
    if (updated) out.updatedAt = updated;
    if (exported) out.exportedAt = exported;
    return out;
  }

  exportTo(file: string): ExportResult {
    mkdirSync(dirname(file), { recursive: true });
    const tmp = `${file}.tmp-${process.pid}`;
    rmSync(tmp, { force: true });
    try {
      // VACUUM INTO reads one consistent snapshot (also from a read-only connection) and writes it compacted.
      this.db.prepare('VACUUM INTO ?').run(tmp);
      const copy = new Database(tmp);
      try {
        copy.prepare("INSERT INTO meta (key, value) VALUES ('exported_at', ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value").run(new Date().toISOString());
        copy.pragma('journal_mode = DELETE');
      } finally {
        copy.close();
      }
      const sha256 = sha256File(tmp);
      const bytes = statSync(tmp).size;
      renameSync(tmp, file);
      const checksumFile = `${file}.sha256`;
      writeFileSync(checksumFile, `${sha256}  ${basename(file)}\n`);
      return { file, checksumFile, sha256, bytes };
    } finally {
      rmSync(tmp, { force: true });
    }
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.db.close();
  }
}
