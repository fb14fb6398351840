import { copyFileSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { PalisadeError } from '../../model/errors.js';
import { FORMAT, SCHEMA_VERSION } from './schema.js';
import { sha256File } from './store.js';

/** What `importVulnDb` installed. */
export interface ImportResult {
  path: string;
  sha256: string;
  bytes: number;
  schemaVersion: number;
}

function invalid(file: string, what: string): PalisadeError {
  return new PalisadeError('E_VULN_DB_INVALID', `${file}: ${what}`);
}

/** The expected digest from `<file>.sha256` (`sha256sum` format: `<hex>  <name>`, or the hex alone). */
function expectedDigest(file: string): string {
  const sidecar = `${file}.sha256`;
  if (!existsSync(sidecar)) throw invalid(file, `no checksum file ${sidecar} beside it (written by \`palisade db export\`); refusing to import an unverified database`);
  const hex = /^([0-9a-f]{64})\b/i.exec(readFileSync(sidecar, 'utf8').trim())?.[1];
  if (!hex) throw invalid(sidecar, 'not a sha256 checksum line');
  return hex.toLowerCase();
}

/** Checks a candidate file: SQLite integrity, Palisade format marker, this schema version. */
function verifyDatabase(file: string, shownAs: string): number {
  let db: Database.Database;
  try {
    db = new Database(file, { readonly: true, fileMustExist: true });
  } catch (e) {
    throw invalid(shownAs, `cannot open: ${(e as Error).message}`);
  }
  try {
    let version: number;
    let check: string[];
    try {
      version = db.pragma('user_version', { simple: true }) as number;
      check = (db.pragma('integrity_check') as Array<{ integrity_check: string }>).map((r) => r.integrity_check);
    } catch (e) {
      throw invalid(shownAs, `not a vulnerability database (${(e as Error).message})`);
    }
    if (check.length !== 1 || check[0] !== 'ok') throw invalid(shownAs, `integrity check failed: ${check.slice(0, 3).join('; ')}`);
    let format: string | undefined;
    try {
      format = (db.prepare("SELECT value FROM meta WHERE key = 'format'").get() as { value: string } | undefined)?.value;
    } catch {
      format = undefined;
    }
    if (format !== FORMAT) throw invalid(shownAs, 'not a Palisade vulnerability database (no format marker)');
    if (version !== SCHEMA_VERSION) {
      throw new PalisadeError(
        'E_VULN_DB_SCHEMA',
        `${shownAs}: export of schema ${version}, but this Palisade reads schema ${SCHEMA_VERSION}: export again with a Palisade of schema ${SCHEMA_VERSION}, or run \`palisade db update\``,
      );
    }
    return version;
  } finally {
    db.close();
  }
}

/**
 * Replaces the database at `targetPath` with the export `file`, after checking it: the sha256 in
 * `<file>.sha256`, SQLite's `PRAGMA integrity_check`, the format marker and the schema version. The file is
 * first copied next to the target and every check runs on that copy (what is verified is what is installed),
 * then it is renamed over the target in one step: a reader sees the old database or the new one, never a
 * mix. Nothing changes when a check fails.
 *
 * Run it while no `db update` writes to the target: a journal left by an interrupted write belongs to the old
 * file and is removed with it.
 */
export function importVulnDb(file: string, targetPath: string): ImportResult {
  if (!existsSync(file)) throw new PalisadeError('E_USAGE', `${file}: no such file`);
  const expected = expectedDigest(file);
  mkdirSync(dirname(targetPath), { recursive: true });
  const tmp = `${targetPath}.import-${process.pid}.tmp`;
  rmSync(tmp, { force: true });
  try {
    copyFileSync(file, tmp);
    const actual = sha256File(tmp);
    if (actual !== expected) throw invalid(file, `sha256 ${actual} does not match ${expected} in ${file}.sha256 (damaged or altered in transit)`);
    const schemaVersion = verifyDatabase(tmp, file);
    const bytes = statSync(tmp).size;
    for (const f of [`${targetPath}-journal`, `${targetPath}-wal`, `${targetPath}-shm`]) rmSync(f, { force: true });
    renameSync(tmp, targetPath);
    return { path: targetPath, sha256: actual, bytes, schemaVersion };
  } finally {
    rmSync(tmp, { force: true });
  }
}
