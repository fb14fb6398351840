import Database from 'better-sqlite3';
import { copyFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { OsInfo, Package } from '../../model/package.js';
import type { AnalyzerFile } from './analyzer.js';
import { rpm } from './rpm.js';
import { readBdbHashValues } from './support/bdb.js';
import { parseSourceRpm, RpmHeader } from './support/rpm-header.js';

// rpmdb.sqlite and Packages are made by __fixtures__/rpm/make-fixtures.sh with rpm, rpmbuild and db_load.
const fixtures = join(import.meta.dirname, '__fixtures__', 'rpm');
const sqliteDb = readFileSync(join(fixtures, 'rpmdb.sqlite'));
const bdbDb = readFileSync(join(fixtures, 'Packages'));
const rhel9: OsInfo = { family: 'redhat', version: '9.3' };

const tmp: string[] = [];
afterAll(() => {
  for (const d of tmp) rmSync(d, { recursive: true, force: true });
});

/** Builds an RPM header blob from the documented layout (il, dl, 16-byte index entries, data store). */
function headerBlob(tags: Record<number, string | number>): Buffer {
  const entries: Buffer[] = [];
  const store: Buffer[] = [];
  let size = 0;
  for (const [tag, value] of Object.entries(tags)) {
    let data: Buffer;
    let type: number;
    if (typeof value === 'number') {
      const pad = (4 - (size % 4)) % 4; // INT32 data is 4-byte aligned in rpm headers
      if (pad) {
        store.push(Buffer.alloc(pad));
        size += pad;
      }
      data = Buffer.alloc(4);
      data.writeUInt32BE(value);
      type = 4;
    } else {
      data = Buffer.from(`${value}\0`);
      type = 6;
    }
    const e = Buffer.alloc(16);
    e.writeUInt32BE(Number(tag), 0);
    e.writeUInt32BE(type, 4);
    e.writeUInt32BE(size, 8);
    e.writeUInt32BE(1, 12);
    entries.push(e);
    store.push(data);
    size += data.length;
  }
  const head = Buffer.alloc(8);
  head.writeUInt32BE(entries.length, 0);
  head.writeUInt32BE(size, 4);
  return Buffer.concat([head, ...entries, ...store]);
}

/** An rpm ndb Packages.db holding the blobs, from the layout in rpm's lib/backend/ndb/rpmpkg.c. */
function ndbFile(blobs: Buffer[]): Buffer {
  const slotPages = 1;
  const parts: Buffer[] = [];
  const header = Buffer.alloc(32);
  header.write('RpmP', 0, 'latin1');
  header.writeUInt32LE(0, 4); // version
  header.writeUInt32LE(7, 8); // generation
  header.writeUInt32LE(slotPages, 12);
  const slots = Buffer.alloc(slotPages * 4096 - 32);
  const blocks: Buffer[] = [];
  let block = (slotPages * 4096) / 16;
  for (let i = 0; i < slots.length / 16; i++) {
    const s = i * 16;
    slots.write('Slot', s, 'latin1');
    const blob = blobs[i];
    if (!blob) continue;
    const blobHeader = Buffer.alloc(16);
    blobHeader.write('BlbS', 0, 'latin1');
    blobHeader.writeUInt32LE(i + 1, 4);
    blobHeader.writeUInt32LE(0, 8); // checksum: not verified by the reader
    blobHeader.writeUInt32LE(blob.length, 12);
    const tail = Buffer.alloc(16); // rpm writes a 16-byte tail (checksum, length, magic)
    const padded = Buffer.concat([blobHeader, blob, tail, Buffer.alloc((16 - ((blob.length + 32) % 16)) % 16)]);
    slots.writeUInt32LE(i + 1, s + 4);
    slots.writeUInt32LE(block, s + 8);
    slots.writeUInt32LE(padded.length / 16, s + 12);
    blocks.push(padded);
    block += padded.length / 16;
  }
  parts.push(header, slots, ...blocks);
  return Buffer.concat(parts);
}

function summary(packages: Package[]): string[] {
  return packages.map((p) => `${p.name} ${p.version} ${p.arch} src=${p.sourceName}@${p.sourceVersion}${p.module ? ` module=${p.module}` : ''}`).sort();
}

const EXPECTED = [
  'bash 5.1.8-9.el9 x86_64 src=bash@5.1.8-9.el9',
  'nodejs 1:18.19.0-1.module+el9.3.0+20934+e8b7a2a8 x86_64 src=nodejs@1:18.19.0-1.module+el9.3.0+20934+e8b7a2a8 module=nodejs:18',
  'openssl 1:3.0.7-27.el9 x86_64 src=openssl@1:3.0.7-27.el9',
  'openssl-libs 1:3.0.7-27.el9 x86_64 src=openssl@1:3.0.7-27.el9',
  'tzdata 2024a-1.el9 noarch src=tzdata@2024a-1.el9',
];

describe('rpm analyzer', () => {
  it('wants the database files in /var/lib/rpm and /usr/lib/sysimage/rpm only', () => {
    for (const p of ['/var/lib/rpm/rpmdb.sqlite', '/var/lib/rpm/rpmdb.sqlite-wal', '/var/lib/rpm/Packages', '/var/lib/rpm/Packages.db', '/usr/lib/sysimage/rpm/rpmdb.sqlite']) {
      expect(rpm.wants(p), p).toBe(true);
    }
    for (const p of ['/var/lib/rpm/Name', '/var/lib/rpm/rpmdb.sqlite-shm', '/var/lib/rpm/sub/Packages', '/root/Packages']) expect(rpm.wants(p), p).toBe(false);
  });

  it('reads a SQLite rpmdb written by rpm (WAL mode), skipping the gpg-pubkey entry', () => {
    const { packages, errors } = rpm.analyze([{ path: '/var/lib/rpm/rpmdb.sqlite', content: sqliteDb }], { os: rhel9 });
    expect(errors).toEqual([]);
    expect(summary(packages)).toEqual(EXPECTED);
    expect(packages.find((p) => p.name === 'openssl-libs')).toEqual({
      ecosystem: 'redhat',
      scheme: 'rpm',
      name: 'openssl-libs',
      version: '1:3.0.7-27.el9',
      sourceName: 'openssl',
      sourceVersion: '1:3.0.7-27.el9',
      arch: 'x86_64',
      purl: 'pkg:rpm/redhat/openssl-libs@3.0.7-27.el9?arch=x86_64&distro=redhat-9.3&epoch=1',
      filePath: '/var/lib/rpm/rpmdb.sqlite',
      licenses: ['ASL 2.0'],
    });
    expect(packages.find((p) => p.name === 'tzdata')?.purl).toBe('pkg:rpm/redhat/tzdata@2024a-1.el9?arch=noarch&distro=redhat-9.3');
  });

  it('reads the same packages from a Berkeley DB Packages file (RHEL 7/8 format)', () => {
    const { packages, errors } = rpm.analyze([{ path: '/var/lib/rpm/Packages', content: bdbDb }], { os: { family: 'centos', version: '7.9.2009' } });
    expect(errors).toEqual([]);
    expect(summary(packages)).toEqual(EXPECTED);
    expect(packages[0].ecosystem).toBe('centos');
    // The headers are larger than a quarter page, so they are stored on overflow pages.
    expect(readBdbHashValues(bdbDb).values).toHaveLength(6);
  });

  it('reads an ndb Packages.db (SUSE format)', () => {
    const blobs = readBdbHashValues(bdbDb).values;
    const { packages, errors } = rpm.analyze([{ path: '/usr/lib/sysimage/rpm/Packages.db', content: ndbFile(blobs) }], {});
    expect(errors).toEqual([]);
    expect(summary(packages)).toEqual(EXPECTED);
  });

  it('applies committed transactions still in rpmdb.sqlite-wal', () => {
    const dir = mkdtempSync(join(tmpdir(), 'palisade-rpmdb-'));
    tmp.push(dir);
    const path = join(dir, 'rpmdb.sqlite');
    copyFileSync(join(fixtures, 'rpmdb.sqlite'), path);
    const db = new Database(path);
    try {
      db.pragma('journal_mode = WAL');
      db.pragma('wal_autocheckpoint = 0');
      const curl = headerBlob({ 1000: 'curl', 1001: '7.76.1', 1002: '26.el9_3.2', 1022: 'x86_64', 1044: 'curl-7.76.1-26.el9_3.2.src.rpm', 1014: 'MIT' });
      db.prepare('INSERT INTO Packages (blob) VALUES (?)').run(curl);
      // Read the files while the writer still holds them: the change is only in the WAL.
      const main = readFileSync(path);
      const wal = readFileSync(`${path}-wal`);
      expect(wal.length).toBeGreaterThan(0);
      const before = rpm.analyze([{ path: '/var/lib/rpm/rpmdb.sqlite', content: main }], {}).packages.map((p) => p.name);
      expect(before).not.toContain('curl');
      const files: AnalyzerFile[] = [
        { path: '/var/lib/rpm/rpmdb.sqlite', content: main },
        { path: '/var/lib/rpm/rpmdb.sqlite-wal', content: wal },
      ];
      const { packages, errors } = rpm.analyze(files, {});
      expect(errors).toEqual([]);
      const names = packages.map((p) => p.name);
      expect(names).toContain('curl');
      expect(names).toHaveLength(before.length + 1);
      expect(packages.find((p) => p.name === 'curl')).toMatchObject({ version: '7.76.1-26.el9_3.2', sourceName: 'curl', licenses: ['MIT'] });
    } finally {
      db.close();
    }
  });

  it('prefers rpmdb.sqlite over a leftover Packages and /usr/lib/sysimage/rpm over /var/lib/rpm', () => {
    const junk = Buffer.alloc(8192, 1);
    const r = rpm.analyze([
      { path: '/usr/lib/sysimage/rpm/rpmdb.sqlite', content: sqliteDb },
      { path: '/var/lib/rpm/Packages', content: junk },
      { path: '/var/lib/rpm/rpmdb.sqlite', content: junk },
    ], {});
    expect(r.errors).toEqual([]);
    expect(r.packages).toHaveLength(5);
    expect(r.packages[0].filePath).toBe('/usr/lib/sysimage/rpm/rpmdb.sqlite');
  });

  it('reports an unknown database format instead of returning nothing', () => {
    const r = rpm.analyze([{ path: '/var/lib/rpm/Packages', content: Buffer.from('this is not a database'.repeat(100)) }], {});
    expect(r.packages).toEqual([]);
    expect(r.errors).toEqual([{ path: '/var/lib/rpm/Packages', message: 'unsupported rpmdb format: Packages is neither SQLite, Berkeley DB hash nor ndb' }]);
    const corrupt = Buffer.from(sqliteDb.subarray(0, 4096));
    const c = rpm.analyze([{ path: '/var/lib/rpm/rpmdb.sqlite', content: corrupt }], {});
    expect(c.packages).toEqual([]);
    expect(c.errors[0].message).toMatch(/^cannot read the SQLite rpm database/);
  });

  it('makes the same purls as Trivy for the packages of its CentOS, Rocky and Oracle goldens', () => {
    // From integration/testdata/{centos-7,rockylinux-8,oraclelinux-8}.json.golden (PkgIdentifier.PURL).
    const cases: Array<[OsInfo, Record<number, string | number>, string]> = [
      [{ family: 'centos', version: '7.6.1810' }, { 1000: 'openssl-libs', 1003: 1, 1001: '1.0.2k', 1002: '16.el7', 1022: 'x86_64', 1044: 'openssl-1.0.2k-16.el7.src.rpm' },
        'pkg:rpm/centos/openssl-libs@1.0.2k-16.el7?arch=x86_64&distro=centos-7.6.1810&epoch=1'],
      [{ family: 'centos', version: '7.6.1810' }, { 1000: 'bash', 1001: '4.2.46', 1002: '31.el7', 1022: 'x86_64', 1044: 'bash-4.2.46-31.el7.src.rpm' },
        'pkg:rpm/centos/bash@4.2.46-31.el7?arch=x86_64&distro=centos-7.6.1810'],
      [{ family: 'rocky', version: '8.5' }, { 1000: 'openssl-libs', 1003: 1, 1001: '1.1.1k', 1002: '4.el8', 1022: 'x86_64', 1044: 'openssl-1.1.1k-4.el8.src.rpm' },
        'pkg:rpm/rocky/openssl-libs@1.1.1k-4.el8?arch=x86_64&distro=rocky-8.5&epoch=1'],
      [{ family: 'oracle', version: '8.0' }, { 1000: 'curl', 1001: '7.61.1', 1002: '8.el8', 1022: 'x86_64', 1044: 'curl-7.61.1-8.el8.src.rpm' },
        'pkg:rpm/oracle/curl@7.61.1-8.el8?arch=x86_64&distro=oracle-8.0'],
    ];
    for (const [os, tags, expected] of cases) {
      const blob = headerBlob(tags);
      const { packages } = rpm.analyze([{ path: '/var/lib/rpm/Packages.db', content: ndbFile([blob]) }], { os });
      expect(packages.map((p) => p.purl)).toEqual([expected]);
    }
  });
});

describe('rpm header', () => {
  it('reads strings and integers and refuses truncated blobs', () => {
    const blob = headerBlob({ 1000: 'zlib', 1003: 2, 1001: '1.2.11', 1002: '40.el9' });
    const h = RpmHeader.parse(blob);
    expect([h.string(1000), h.int(1003), h.string(1001), h.string(1002), h.string(1044), h.int(1000)]).toEqual(['zlib', 2, '1.2.11', '40.el9', undefined, undefined]);
    expect(() => RpmHeader.parse(blob.subarray(0, blob.length - 3))).toThrow(/truncated/);
    expect(() => RpmHeader.parse(Buffer.alloc(8))).toThrow(/entries/);
  });

  it('splits source RPM names', () => {
    expect(parseSourceRpm('openssl-3.0.7-27.el9.src.rpm')).toEqual({ name: 'openssl', version: '3.0.7', release: '27.el9' });
    expect(parseSourceRpm('python3.11-pip-22.3.1-4.el9_3.1.src.rpm')).toEqual({ name: 'python3.11-pip', version: '22.3.1', release: '4.el9_3.1' });
    expect(parseSourceRpm('glibc-2.34-83.el9.7.nosrc.rpm')).toEqual({ name: 'glibc', version: '2.34', release: '83.el9.7' });
    expect(parseSourceRpm('(none)')).toBeUndefined();
  });
});
