import Database from 'better-sqlite3';
import type { Package } from '../../model/package.js';
import type { Analyzer, AnalyzerError, AnalyzerFile, AnalyzerResult } from './analyzer.js';
import { isBdbHash, readBdbHashValues } from './support/bdb.js';
import { distroQualifier, osPackageEcosystem } from './support/distro.js';
import { isNdb, readNdbBlobs } from './support/ndb.js';
import { purl } from './support/purl.js';
import { parseSourceRpm, RPMTAG, RpmHeader } from './support/rpm-header.js';
import { isSqlite, sqliteImage } from './support/sqlite-image.js';
import { baseName, dirName } from './support/text.js';

/**
 * Where rpm keeps its database: `/var/lib/rpm` (RHEL, CentOS, Amazon Linux), `/usr/lib/sysimage/rpm`
 * (Fedora 36+ and openSUSE, where `/var/lib/rpm` is a link to it).
 */
const DB_DIRS = ['/usr/lib/sysimage/rpm', '/var/lib/rpm'];
/** Database files by preference: a leftover `Packages` next to `rpmdb.sqlite` is the pre-migration copy. */
const DB_FILES = ['rpmdb.sqlite', 'Packages.db', 'Packages'];
const WAL = 'rpmdb.sqlite-wal';

/**
 * Installed RPM packages from rpm's database, in its three formats: SQLite (`rpmdb.sqlite`: RHEL 9,
 * Fedora 33+, Amazon Linux 2023), Berkeley DB hash (`Packages`: RHEL/CentOS 7 and 8, Amazon Linux 2) and
 * ndb (`Packages.db`: SUSE). The format is told from the content, not the name. Each database row is an
 * RPM header blob, parsed here for name, epoch, version, release, architecture, license, source RPM and
 * module stream (`MODULARITYLABEL` `nodejs:18:...` -> `nodejs:18`). `gpg-pubkey` entries are imported
 * signing keys, not software, and are skipped.
 */
export const rpm = {
  id: 'rpm',
  version: 1,
  kind: 'os-packages',
  description: 'RPM packages from the rpm database (SQLite, Berkeley DB or ndb) in /var/lib/rpm or /usr/lib/sysimage/rpm.',
  wants(path: string): boolean {
    const dir = dirName(path);
    if (!DB_DIRS.includes(dir)) return false;
    const base = baseName(path);
    return DB_FILES.includes(base) || base === WAL;
  },
  analyze(files: ReadonlyArray<AnalyzerFile>, ctx): AnalyzerResult {
    const ecosystem = osPackageEcosystem('rpm', ctx.os);
    const distro = distroQualifier(ecosystem, ctx.os);
    const packages: Package[] = [];
    const errors: AnalyzerError[] = [];
    const byPath = new Map(files.map((f) => [f.path, f]));

    // One database per image: the first directory that has one, the preferred file in it.
    let db: AnalyzerFile | undefined;
    for (const dir of DB_DIRS) {
      for (const name of DB_FILES) {
        db ??= byPath.get(`${dir}/${name}`);
      }
      if (db) break;
    }
    if (!db) return { packages, errors };

    let blobs: Buffer[];
    try {
      const read = readBlobs(db, byPath.get(`${dirName(db.path)}/${WAL}`));
      blobs = read.values;
      for (const p of read.problems) errors.push({ path: db.path, message: p });
    } catch (e) {
      errors.push({ path: db.path, message: (e as Error).message });
      return { packages, errors };
    }

    for (const blob of blobs) {
      let h: RpmHeader;
      try {
        h = RpmHeader.parse(blob);
      } catch (e) {
        // A Berkeley DB Packages file may hold small bookkeeping values next to the headers.
        if (blob.length >= 16) errors.push({ path: db.path, message: `unreadable package header: ${(e as Error).message}` });
        continue;
      }
      const name = h.string(RPMTAG.NAME);
      const ver = h.string(RPMTAG.VERSION);
      const rel = h.string(RPMTAG.RELEASE);
      if (!name || ver === undefined || rel === undefined) {
        errors.push({ path: db.path, message: `package header without ${!name ? 'name' : 'version or release'}; skipped` });
        continue;
      }
      if (name === 'gpg-pubkey') continue;
      const epoch = h.int(RPMTAG.EPOCH);
      const e = epoch ? `${epoch}:` : '';
      const arch = h.string(RPMTAG.ARCH) || undefined;
      const license = h.string(RPMTAG.LICENSE);
      const src = parseSourceRpm(h.string(RPMTAG.SOURCERPM) ?? '');
      const label = h.string(RPMTAG.MODULARITYLABEL);
      const module = label ? label.split(':').slice(0, 2).join(':') : undefined;
      packages.push({
        ecosystem,
        scheme: 'rpm',
        name,
        version: `${e}${ver}-${rel}`,
        sourceName: src?.name ?? name,
        sourceVersion: src ? `${e}${src.version}-${src.release}` : `${e}${ver}-${rel}`,
        arch,
        module: module && module.includes(':') ? module : undefined,
        purl: purl('rpm', ecosystem, name, `${ver}-${rel}`, { arch, distro, epoch: epoch ? String(epoch) : undefined }),
        filePath: db.path,
        licenses: license ? [license] : undefined,
        layer: db.layer,
      });
    }
    return { packages, errors };
  },
} satisfies Analyzer;

/** The header blobs of a database file, whatever its format. Throws an `Error` with a readable message. */
function readBlobs(db: AnalyzerFile, wal: AnalyzerFile | undefined): { values: Buffer[]; problems: string[] } {
  const buf = db.content;
  if (isSqlite(buf)) {
    // The only I/O-free way to open SQLite: deserialize the image (with the WAL applied) in memory.
    const { image } = sqliteImage(buf, wal?.content);
    let sql: Database.Database | undefined;
    try {
      sql = new Database(image);
      const rows = sql.prepare('SELECT blob FROM Packages').all() as Array<{ blob: unknown }>;
      return { values: rows.flatMap((r) => (Buffer.isBuffer(r.blob) ? [r.blob] : [])), problems: [] };
    } catch (e) {
      throw new Error(`cannot read the SQLite rpm database: ${(e as Error).message}`);
    } finally {
      sql?.close();
    }
  }
  if (isNdb(buf)) return readNdbBlobs(buf);
  if (isBdbHash(buf)) return readBdbHashValues(buf);
  throw new Error(`unsupported rpmdb format: ${baseName(db.path)} is neither SQLite, Berkeley DB hash nor ndb`);
}
