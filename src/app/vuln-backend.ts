import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { load } from 'js-yaml';
import { PalisadeError } from '../model/errors.js';
import type { DataSource } from '../model/advisory.js';
import { defaultVulnDbPath, openVulnDb, type VulnDb } from '../storage/vulndb/index.js';
import { matchPackages, parseEolTable, type EolTable } from '../vuln/match/index.js';
import { CONTENT_DIR } from './content.js';
import type { VulnBackend, VulnDatabase } from './scan-image.js';

/** The end-of-life table shipped in `content/vuln/eol.yaml`. */
export const EOL_TABLE_FILE = join(CONTENT_DIR, 'vuln', 'eol.yaml');

let cachedEol: EolTable | undefined;

/**
 * Reads and validates the end-of-life table (cached for the default file). A broken table throws
 * `E_CONFIG` naming the file and field: it ships with Palisade, so a problem is a packaging bug.
 */
export function loadEolTable(file = EOL_TABLE_FILE): EolTable {
  if (file === EOL_TABLE_FILE && cachedEol) return cachedEol;
  let table: EolTable;
  try {
    table = parseEolTable(load(readFileSync(file, 'utf8')), file);
  } catch (e) {
    throw new PalisadeError('E_CONFIG', `end-of-life table: ${(e as Error).message}`);
  }
  if (file === EOL_TABLE_FILE) cachedEol = table;
  return table;
}

/** The database as a scan sees it, from an opened store and its `summary()`. */
function scanView(db: VulnDb, status: { updatedAt?: string; sources: DataSource[] }): VulnDatabase {
  const sources = status.sources;
  return {
    affected: (ns, pkg) => db.affected(ns, pkg),
    affectedMany: (ns, pkgs) => db.affectedMany(ns, pkgs),
    vulnerability: (id) => db.vulnerability(id),
    vulnerabilities: (ids) => db.vulnerabilities(ids),
    dataSource: (id) => db.dataSource(id),
    updatedAt: () => status.updatedAt,
    sources: () => sources,
    close: () => db.close(),
  };
}

/**
 * The SQLite vulnerability database and the matcher, as `scanImage` uses them. Matching gets the
 * end-of-life table, so scans of a release past its end of life say so (and Ubuntu ESM picks its stream).
 */
export function loadVulnBackend(opts: { eolFile?: string } = {}): VulnBackend {
  let eol: EolTable | undefined;
  const eolTable = (): EolTable => (eol ??= loadEolTable(opts.eolFile));
  return {
    defaultDbPath: () => defaultVulnDbPath(),
    openDb(path: string): VulnDatabase {
      if (!existsSync(path)) {
        throw new PalisadeError('E_VULN_DB_MISSING', `no vulnerability database at ${path}: run \`palisade db update\` (or \`palisade db import <file>\`)`);
      }
      const db = openVulnDb(path, { readonly: true });
      let view: VulnDatabase;
      try {
        view = scanView(db, db.summary());
      } catch (e) {
        db.close();
        throw e;
      }
      // A scan opens the database and then waits for the image: read the end-of-life table in that wait rather
      // than after it. A broken table is left for `match` to report.
      if (!eol) {
        setImmediate(() => {
          try {
            eolTable();
          } catch {
            // reported by match()
          }
        }).unref();
      }
      return view;
    },
    match: (os, packages, lookup, matchOpts) => matchPackages(os, packages, lookup, { ...matchOpts, eol: eolTable() }),
  };
}
