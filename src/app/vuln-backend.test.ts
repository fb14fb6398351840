import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEBIAN_FIXTURES, sampleAdvisories, writeSampleImage } from '../../test/helpers/vuln-db.js';
import { PalisadeError } from '../model/errors.js';
import { openVulnDb } from '../storage/vulndb/index.js';
import { scanImage } from './scan-image.js';
import { EOL_TABLE_FILE, loadEolTable, loadVulnBackend } from './vuln-backend.js';

let dir: string;
let dbPath: string;
let img: string;
const now = new Date('2026-03-01T00:00:00Z');

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'palisade-vuln-backend-'));
  dbPath = join(dir, 'vuln.db');
  const data = sampleAdvisories('2026-02-28T00:00:00Z');
  const db = openVulnDb(dbPath, { create: true });
  try {
    for (const source of data.sources) {
      const rows = { vulnerabilities: data.vulnerabilities, affected: data.affected.filter((a) => a.source === source.id) };
      const state = { url: `file:///${source.id}`, digest: `sha256:${source.id}`, importedAt: data.updatedAt!, vulnerabilities: rows.vulnerabilities.length, affected: rows.affected.length };
      db.replaceDocument(source, 'all', state, rows);
    }
  } finally {
    db.close();
  }
  img = join(dir, 'image');
  await writeSampleImage(img);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('the SQLite backend of scan image', () => {
  it('matches an image against the store with the real matcher, and reads the store status', async () => {
    const { report } = await scanImage({ source: img, dbPath, now, cwd: dir }, loadVulnBackend());
    expect(report.vulnerabilities.map((v) => v.id).sort()).toEqual(['CVE-2023-45853', 'CVE-2023-5678', 'CVE-2024-0727', 'GHSA-35jh-r3h4-6jhm']);
    expect(report.db).toMatchObject({ path: dbPath, stale: false, ageHours: 24 });
    expect(report.db?.sources?.map((s) => s.id)).toEqual(['debian-tracker', 'osv:npm']);
    expect(report.warnings.filter((w) => /end of life/.test(w))).toEqual([]);
  });

  it('passes the end-of-life table to the matcher: a release past its end of life is reported', async () => {
    const root = join(dir, 'buster');
    mkdirSync(join(root, 'etc'), { recursive: true });
    mkdirSync(join(root, 'var/lib/dpkg'), { recursive: true });
    writeFileSync(join(root, 'etc/os-release'), 'PRETTY_NAME="Debian GNU/Linux 10 (buster)"\nNAME="Debian GNU/Linux"\nVERSION_ID="10"\nVERSION="10 (buster)"\nVERSION_CODENAME=buster\nID=debian\n');
    writeFileSync(join(root, 'etc/debian_version'), '10.13\n');
    copyFileSync(DEBIAN_FIXTURES.dpkgStatus, join(root, 'var/lib/dpkg/status'));
    const { report } = await scanImage({ source: root, dbPath, now, cwd: dir }, loadVulnBackend());
    expect(report.os).toMatchObject({ family: 'debian', version: '10.13', codename: 'buster' });
    expect(report.warnings).toContain('debian 10 (buster) reached its end of life on 2024-06-30: its advisories are no longer updated, so findings may be incomplete');
  });

  it('fails clearly when there is no database file', () => {
    expect(() => loadVulnBackend().openDb(join(dir, 'none.db'))).toThrow(PalisadeError);
    expect(() => loadVulnBackend().openDb(join(dir, 'none.db'))).toThrow(/no vulnerability database at .*none\.db: run `palisade db update`/);
  });

  it('loads the shipped end-of-life table, and names the field of a broken one', () => {
    expect(loadEolTable(EOL_TABLE_FILE).families.debian?.releases.length).toBeGreaterThan(3);
    const bad = join(dir, 'eol.yaml');
    writeFileSync(bad, 'families:\n  debian:\n    source: https://wiki.debian.org/LTS\n    releases:\n      - { release: "12", eol: "June 2028" }\n');
    expect(() => loadVulnBackend({ eolFile: bad }).match(undefined, [], { affected: () => [], vulnerability: () => undefined, dataSource: () => undefined }, { now })).toThrow(/end-of-life table: .*eol\.yaml: families\.debian\.releases\.0\.eol: /);
  });
});
