import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { AffectedPackage, DataSource, FeedDocumentState, VulnerabilityRecord } from '../../model/advisory.js';
import { PalisadeError } from '../../model/errors.js';
import { defaultVulnDbPath, importVulnDb, openVulnDb, SCHEMA_VERSION, sha256File } from './index.js';

const DEBIAN: DataSource = { id: 'debian-tracker', name: 'Debian Security Tracker', url: 'https://security-tracker.debian.org/tracker/' };
const NVD: DataSource = { id: 'nvd', name: 'NVD', url: 'https://nvd.nist.gov/' };
const ROCKY: DataSource = { id: 'osv:rocky-linux', name: 'OSV Rocky Linux', url: 'https://osv.dev/' };

function state(n: { vulnerabilities: number; affected: number }, at = '2024-05-01T10:00:00.000Z'): FeedDocumentState {
  return { url: 'https://example.test/doc', digest: `sha256:${'a'.repeat(64)}`, importedAt: at, ...n };
}

function row(over: Partial<AffectedPackage> & Pick<AffectedPackage, 'vulnerabilityId' | 'package'>): AffectedPackage {
  return { namespace: 'debian:12', status: 'fixed', source: DEBIAN.id, ...over };
}

function errorOf(fn: () => unknown): PalisadeError {
  try {
    fn();
  } catch (e) {
    if (e instanceof PalisadeError) return e;
    throw e;
  }
  throw new Error('expected a PalisadeError');
}

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'palisade-vulndb-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('openVulnDb', () => {
  it('refuses a missing file unless asked to create it, and creates folders when it is', () => {
    const path = join(dir, 'a', 'b', 'vuln.db');
    expect(errorOf(() => openVulnDb(path, { readonly: true })).code).toBe('E_VULN_DB_MISSING');
    expect(errorOf(() => openVulnDb(path)).message).toContain('palisade db update');
    const db = openVulnDb(path, { create: true });
    db.close();
    expect(existsSync(path)).toBe(true);
    const ro = openVulnDb(path, { readonly: true });
    expect(ro.status().schemaVersion).toBe(SCHEMA_VERSION);
    expect(errorOf(() => ro.replaceDocument(DEBIAN, 'x', state({ vulnerabilities: 0, affected: 0 }), { vulnerabilities: [], affected: [] })).message).toContain('read-only');
    ro.close();
  });

  it('refuses a file of another schema version, naming db update and import', () => {
    const path = join(dir, 'vuln.db');
    openVulnDb(path, { create: true }).close();
    const raw = new Database(path);
    raw.pragma(`user_version = ${SCHEMA_VERSION + 1}`);
    raw.close();
    const e = errorOf(() => openVulnDb(path, { readonly: true }));
    expect(e.code).toBe('E_VULN_DB_SCHEMA');
    expect(e.message).toContain(`schema ${SCHEMA_VERSION + 1}`);
    expect(e.message).toContain(path);
    // A newer file is not silently rebuilt by an older Palisade.
    expect(errorOf(() => openVulnDb(path, { create: true })).code).toBe('E_VULN_DB_SCHEMA');
  });

  it('refuses files that are not SQLite, and SQLite files that are not vulnerability databases', () => {
    const junk = join(dir, 'junk.db');
    writeFileSync(junk, 'not a database at all '.repeat(200));
    expect(errorOf(() => openVulnDb(junk, { readonly: true })).code).toBe('E_VULN_DB_INVALID');
    const other = join(dir, 'other.db');
    const raw = new Database(other);
    raw.exec('CREATE TABLE t (x)');
    raw.close();
    expect(errorOf(() => openVulnDb(other, { create: true })).message).toContain('not a Palisade vulnerability database');
  });
});

describe('documents, lookups and merged records', () => {
  it('stores rows per document, replaces a document as a whole, and keeps other documents', () => {
    const db = openVulnDb(join(dir, 'vuln.db'), { create: true });
    const rec: VulnerabilityRecord = { id: 'CVE-2024-0001', aliases: ['DSA-1'], title: 'tracker title', severity: 'high', cvss: [], references: ['https://tracker/1'] };
    db.replaceDocument(DEBIAN, 'tracker', state({ vulnerabilities: 1, affected: 2 }), {
      vulnerabilities: [rec],
      affected: [
        row({ vulnerabilityId: 'CVE-2024-0001', package: 'openssl', fixedVersion: '3.0.1-1', severity: 'high' }),
        row({ vulnerabilityId: 'CVE-2024-0002', package: 'openssl', status: 'affected', ranges: [{ introduced: '3.0.0' }], versions: ['3.0.0-1'] }),
      ],
    });
    db.replaceDocument(ROCKY, 'all', state({ vulnerabilities: 0, affected: 1 }), {
      vulnerabilities: [],
      affected: [{ vulnerabilityId: 'CVE-2024-0003', namespace: 'rocky:9', package: 'bpftool', module: 'nodejs:18', arches: ['aarch64'], status: 'fixed', fixedVersion: '5.0-1', source: ROCKY.id }],
    });

    expect(db.affected('debian:12', 'openssl')).toEqual([
      { vulnerabilityId: 'CVE-2024-0001', namespace: 'debian:12', package: 'openssl', status: 'fixed', fixedVersion: '3.0.1-1', severity: 'high', source: 'debian-tracker' },
      { vulnerabilityId: 'CVE-2024-0002', namespace: 'debian:12', package: 'openssl', status: 'affected', ranges: [{ introduced: '3.0.0' }], versions: ['3.0.0-1'], source: 'debian-tracker' },
    ]);
    expect(db.affected('rocky:9', 'bpftool')[0]).toMatchObject({ module: 'nodejs:18', arches: ['aarch64'], source: 'osv:rocky-linux' });
    expect(db.affected('debian:11', 'openssl')).toEqual([]);
    expect(db.dataSource('debian-tracker')).toEqual(DEBIAN);
    expect(db.documentState('debian-tracker', 'tracker')).toEqual(state({ vulnerabilities: 1, affected: 2 }));
    expect(db.documentState('debian-tracker', 'other')).toBeUndefined();

    // A new version of the tracker document: the old rows go, Rocky's stay.
    db.replaceDocument(DEBIAN, 'tracker', state({ vulnerabilities: 0, affected: 1 }, '2024-06-01T00:00:00.000Z'), {
      vulnerabilities: [],
      affected: [row({ vulnerabilityId: 'CVE-2024-0009', package: 'curl', fixedVersion: '8.0-1' })],
    });
    expect(db.affected('debian:12', 'openssl')).toEqual([]);
    expect(db.vulnerability('CVE-2024-0001')).toBeUndefined();
    expect(db.affected('debian:12', 'curl')).toHaveLength(1);
    expect(db.affected('rocky:9', 'bpftool')).toHaveLength(1);
    expect(db.status().updatedAt).toBe('2024-06-01T00:00:00.000Z');
    db.close();
  });

  it('merges one id across sources: aliases united, NVD text and CVSS first, severity per source', () => {
    const db = openVulnDb(':memory:', { create: true });
    db.replaceDocument(DEBIAN, 'tracker', state({ vulnerabilities: 1, affected: 0 }), {
      vulnerabilities: [{ id: 'CVE-2024-1', aliases: ['DSA-5'], title: 'debian words', severity: 'low', cvss: [], references: ['https://debian/1', 'https://shared'], published: '2024-02-01' }],
      affected: [],
    });
    db.replaceDocument(NVD, 'cves', state({ vulnerabilities: 1, affected: 0 }), {
      vulnerabilities: [
        {
          id: 'CVE-2024-1',
          aliases: ['GHSA-aaaa-bbbb-cccc'],
          title: 'nvd title',
          description: 'nvd description',
          severity: 'critical',
          vendorSeverity: { redhat: 'medium' },
          cvss: [{ version: '3.1', vector: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H', score: 9.8, source: 'nvd' }],
          cwes: ['CWE-79'],
          references: ['https://shared', 'https://nvd/1'],
          published: '2024-01-15',
          modified: '2024-03-01',
        },
      ],
      affected: [],
    });
    expect(db.vulnerability('CVE-2024-1')).toEqual({
      id: 'CVE-2024-1',
      aliases: ['DSA-5', 'GHSA-aaaa-bbbb-cccc'],
      title: 'nvd title',
      description: 'nvd description',
      severity: 'critical',
      vendorSeverity: { nvd: 'critical', redhat: 'medium', 'debian-tracker': 'low' },
      cvss: [{ version: '3.1', vector: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H', score: 9.8, source: 'nvd' }],
      cwes: ['CWE-79'],
      references: ['https://shared', 'https://nvd/1', 'https://debian/1'],
      published: '2024-01-15',
      modified: '2024-03-01',
    });
    db.close();
  });

  it('batch reads give what one read per package and per id gives, in the same order', () => {
    const db = openVulnDb(join(dir, 'vuln.db'), { create: true });
    db.replaceDocument(DEBIAN, 'tracker', state({ vulnerabilities: 2, affected: 4 }), {
      vulnerabilities: [
        { id: 'CVE-2024-2', aliases: [], title: 'second', cvss: [], references: [] },
        { id: 'CVE-2024-1', aliases: ['DSA-1'], title: 'debian', severity: 'low', cvss: [], references: ['https://debian/1'] },
      ],
      affected: [
        row({ vulnerabilityId: 'CVE-2024-2', package: 'openssl', fixedVersion: '3.0.2-1' }),
        row({ vulnerabilityId: 'CVE-2024-1', package: 'curl', status: 'affected', ranges: [{ introduced: '7.0' }], versions: ['7.88.1-10'] }),
        row({ vulnerabilityId: 'CVE-2024-1', package: 'openssl', fixedVersion: '3.0.1-1', severity: 'high' }),
        row({ vulnerabilityId: 'CVE-2024-3', namespace: 'debian:11', package: 'openssl', fixedVersion: '1.1.1-1' }),
      ],
    });
    db.replaceDocument(NVD, 'cves', state({ vulnerabilities: 1, affected: 0 }), {
      vulnerabilities: [{ id: 'CVE-2024-1', aliases: [], title: 'nvd title', severity: 'high', cvss: [], references: ['https://nvd/1'] }],
      affected: [],
    });
    db.close();

    // Read-only, as a scan opens it.
    const ro = openVulnDb(join(dir, 'vuln.db'), { readonly: true });
    const many = ro.affectedMany('debian:12', ['openssl', 'curl', 'zlib', 'openssl']);
    expect([...many.keys()].sort()).toEqual(['curl', 'openssl']);
    expect(many.get('openssl')).toEqual(ro.affected('debian:12', 'openssl'));
    expect(many.get('openssl')!.map((a) => a.vulnerabilityId)).toEqual(['CVE-2024-2', 'CVE-2024-1']);
    expect(many.get('curl')).toEqual(ro.affected('debian:12', 'curl'));
    expect(ro.affectedMany('debian:12', []).size).toBe(0);

    const records = ro.vulnerabilities(['CVE-2024-1', 'CVE-2024-2', 'CVE-2024-404', 'CVE-2024-1']);
    expect([...records.keys()].sort()).toEqual(['CVE-2024-1', 'CVE-2024-2']);
    expect(records.get('CVE-2024-1')).toEqual(ro.vulnerability('CVE-2024-1'));
    expect(records.get('CVE-2024-1')).toMatchObject({ title: 'nvd title', aliases: ['DSA-1'], vendorSeverity: { nvd: 'high', 'debian-tracker': 'low' } });
    expect(records.get('CVE-2024-2')).toEqual(ro.vulnerability('CVE-2024-2'));
    expect(ro.vulnerabilities([]).size).toBe(0);
    ro.close();
  });

  it('refuses rows that name another source than their document', () => {
    const db = openVulnDb(':memory:', { create: true });
    expect(() =>
      db.replaceDocument(DEBIAN, 'tracker', state({ vulnerabilities: 0, affected: 1 }), { vulnerabilities: [], affected: [row({ vulnerabilityId: 'CVE-1', package: 'x', source: 'nvd' })] }),
    ).toThrow(/names source nvd/);
    expect(db.status().totals.documents).toBe(0);
    db.close();
  });

  it('touchDocument records new validators without touching rows', () => {
    const db = openVulnDb(':memory:', { create: true });
    db.replaceDocument(DEBIAN, 'tracker', state({ vulnerabilities: 0, affected: 1 }), { vulnerabilities: [], affected: [row({ vulnerabilityId: 'CVE-1', package: 'x' })] });
    db.touchDocument(DEBIAN.id, 'tracker', { ...state({ vulnerabilities: 0, affected: 1 }), etag: '"v2"' });
    expect(db.documentState(DEBIAN.id, 'tracker')?.etag).toBe('"v2"');
    expect(db.affected('debian:12', 'x')).toHaveLength(1);
    db.close();
  });

  it('status counts per source and in total', () => {
    const path = join(dir, 'vuln.db');
    const db = openVulnDb(path, { create: true });
    db.replaceDocument(DEBIAN, 'tracker', state({ vulnerabilities: 2, affected: 3 }), {
      vulnerabilities: [
        { id: 'CVE-1', aliases: [], cvss: [], references: [] },
        { id: 'CVE-2', aliases: [], cvss: [], references: [] },
      ],
      affected: [row({ vulnerabilityId: 'CVE-1', package: 'a' }), row({ vulnerabilityId: 'CVE-2', package: 'a' }), row({ vulnerabilityId: 'CVE-2', package: 'b' })],
    });
    db.replaceDocument(NVD, 'cves', state({ vulnerabilities: 1, affected: 0 }, '2024-07-01T00:00:00.000Z'), { vulnerabilities: [{ id: 'CVE-1', aliases: [], cvss: [], references: [] }], affected: [] });
    const s = db.status();
    expect(s.sources).toEqual([
      { ...DEBIAN, documents: 1, vulnerabilities: 2, affected: 3, lastImport: '2024-05-01T10:00:00.000Z' },
      { ...NVD, documents: 1, vulnerabilities: 1, affected: 0, lastImport: '2024-07-01T00:00:00.000Z' },
    ]);
    expect(s.totals).toEqual({ sources: 2, documents: 2, vulnerabilities: 2, affected: 3 });
    expect(s.documents.map((d) => `${d.source}/${d.documentKey}`)).toEqual(['debian-tracker/tracker', 'nvd/cves']);
    expect(s.fileSize).toBeGreaterThan(0);
    expect(s.createdAt).toMatch(/^\d{4}-/);
    // What a scan reads: the same update time and sources, without the counts.
    expect(db.summary()).toEqual({ updatedAt: s.updatedAt, sources: [DEBIAN, NVD] });
    db.close();
    const empty = openVulnDb(join(dir, 'empty.db'), { create: true });
    expect(empty.summary()).toEqual({ sources: [] });
    empty.close();
  });
});

describe('export and import', () => {
  function filled(path: string): void {
    const db = openVulnDb(path, { create: true });
    db.replaceDocument(DEBIAN, 'tracker', state({ vulnerabilities: 1, affected: 1 }), {
      vulnerabilities: [{ id: 'CVE-1', aliases: [], cvss: [], references: [] }],
      affected: [row({ vulnerabilityId: 'CVE-1', package: 'openssl', fixedVersion: '1.0' })],
    });
    db.close();
  }

  it('round-trips through a checksummed export and replaces the target', () => {
    const src = join(dir, 'src.db');
    filled(src);
    const ro = openVulnDb(src, { readonly: true });
    const out = ro.exportTo(join(dir, 'out', 'vuln.export'));
    ro.close();
    expect(readFileSync(out.checksumFile, 'utf8')).toBe(`${out.sha256}  vuln.export\n`);

    const target = join(dir, 'target', 'vuln.db');
    openVulnDb(target, { create: true }).close(); // an older, empty database is replaced
    const res = importVulnDb(out.file, target);
    expect(res).toMatchObject({ path: target, sha256: out.sha256, schemaVersion: SCHEMA_VERSION });
    const db = openVulnDb(target, { readonly: true });
    expect(db.affected('debian:12', 'openssl').map((a) => a.vulnerabilityId)).toEqual(['CVE-1']);
    expect(db.status().exportedAt).toMatch(/^\d{4}-/);
    db.close();
  });

  it('refuses a tampered export, a missing checksum, and an export of another schema, leaving the target as it was', () => {
    const src = join(dir, 'src.db');
    filled(src);
    const ro = openVulnDb(src, { readonly: true });
    const out = ro.exportTo(join(dir, 'vuln.export'));
    ro.close();
    const target = join(dir, 'target.db');
    openVulnDb(target, { create: true }).close();
    const before = readFileSync(target);

    const bytes = readFileSync(out.file);
    bytes[bytes.length - 100] ^= 0xff;
    const tampered = join(dir, 'tampered.export');
    writeFileSync(tampered, bytes);
    writeFileSync(`${tampered}.sha256`, readFileSync(out.checksumFile));
    expect(errorOf(() => importVulnDb(tampered, target)).message).toContain('does not match');

    const bare = join(dir, 'bare.export');
    writeFileSync(bare, readFileSync(out.file));
    expect(errorOf(() => importVulnDb(bare, target)).message).toContain('no checksum file');

    // A consistent export of another schema version: checksum fine, schema refused.
    const other = join(dir, 'other.export');
    writeFileSync(other, readFileSync(out.file));
    const raw = new Database(other);
    raw.pragma(`user_version = ${SCHEMA_VERSION + 1}`);
    raw.close();
    writeFileSync(`${other}.sha256`, `${sha256File(other)}  other.export\n`);
    const e = errorOf(() => importVulnDb(other, target));
    expect(e.code).toBe('E_VULN_DB_SCHEMA');

    // A damaged SQLite file with a matching checksum fails the integrity check (or does not open).
    const broken = join(dir, 'broken.export');
    const b = readFileSync(out.file);
    b.fill(0x41, 4096, 8192);
    writeFileSync(broken, b);
    writeFileSync(`${broken}.sha256`, `${sha256File(broken)}  broken.export\n`);
    expect(errorOf(() => importVulnDb(broken, target)).code).toBe('E_VULN_DB_INVALID');

    expect(readFileSync(target).equals(before)).toBe(true);
    expect(existsSync(`${target}.import-${process.pid}.tmp`)).toBe(false);
  });
});

describe('defaultVulnDbPath', () => {
  it('prefers PALISADE_CACHE_DIR, then an absolute XDG_CACHE_HOME, then ~/.cache', () => {
    expect(defaultVulnDbPath({ PALISADE_CACHE_DIR: '/c', XDG_CACHE_HOME: '/x' }, '/home/u')).toBe('/c/vuln.db');
    expect(defaultVulnDbPath({ XDG_CACHE_HOME: '/x' }, '/home/u')).toBe('/x/palisade/vuln.db');
    expect(defaultVulnDbPath({ XDG_CACHE_HOME: 'relative' }, '/home/u')).toBe('/home/u/.cache/palisade/vuln.db');
    expect(defaultVulnDbPath({}, '/home/u')).toBe('/home/u/.cache/palisade/vuln.db');
  });
});
