/**
 * `npx tsx bench/vulndb.bench.ts`: the vulnerability database's load and lookup speed, and the matcher's.
 *
 * For each case (100k advisories by default, two affected rows each) it builds deterministic rows in memory
 * and prints one line per measure, each against a baseline measured in the same run:
 * - load: `replaceDocument` of one document (schema, indexes, JSON of records and ranges, one transaction)
 *   against a bare `INSERT` of the same values into an unindexed table in one transaction;
 * - lookup: `affected(namespace, package)` (index seek, join to the document, row objects) against the same
 *   `SELECT` prepared by hand and returning raw rows; then lookups of packages without advisories;
 * - match: `matchPackages` on a 1,000-package Debian image against the lookups it makes, done by hand.
 *
 * Options: `--cases 100000` `--lookups 200000`.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import Database from 'better-sqlite3';
import type { AffectedPackage, DataSource, VulnerabilityRecord } from '../src/model/advisory.js';
import type { Package } from '../src/model/package.js';
import { openVulnDb } from '../src/storage/vulndb/index.js';
import { matchPackages } from '../src/vuln/match/index.js';

const { values } = parseArgs({ options: { cases: { type: 'string', default: '100000' }, lookups: { type: 'string', default: '200000' } } });
const cases = values.cases.split(',').map(Number);
const lookups = Number(values.lookups);

const SOURCE: DataSource = { id: 'bench', name: 'Generated', url: 'https://example.test/' };
const PACKAGES = 5000;

function rows(n: number): { vulnerabilities: VulnerabilityRecord[]; affected: AffectedPackage[] } {
  const vulnerabilities: VulnerabilityRecord[] = [];
  const affected: AffectedPackage[] = [];
  for (let i = 0; i < n; i++) {
    const id = `CVE-2024-${100000 + i}`;
    vulnerabilities.push({
      id,
      aliases: [`GHSA-${i.toString(36).padStart(4, '0')}-bnch-0000`],
      title: `Generated vulnerability ${i}`,
      description: 'A generated description of a vulnerability, about as long as a typical tracker line. '.repeat(2),
      severity: (['low', 'medium', 'high', 'critical'] as const)[i % 4],
      cvss: [{ version: '3.1', vector: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H', score: 9.8, source: 'nvd' }],
      references: [`https://nvd.nist.gov/vuln/detail/${id}`, `https://example.test/${i}`],
      published: '2024-01-01T00:00:00Z',
    });
    affected.push({ vulnerabilityId: id, namespace: 'debian:12', package: `pkg-${i % PACKAGES}`, status: i % 7 === 0 ? 'affected' : 'fixed', fixedVersion: i % 7 === 0 ? undefined : `1.${i % 13}-${i % 5}`, severity: 'medium', source: SOURCE.id });
    affected.push({ vulnerabilityId: id, namespace: 'npm', package: `js-${i % PACKAGES}`, status: 'fixed', fixedVersion: `2.${i % 11}.0`, ranges: [{ introduced: '0', fixed: `2.${i % 11}.0` }], source: SOURCE.id });
  }
  return { vulnerabilities, affected };
}

function time<T>(fn: () => T): { ms: number; value: T } {
  const t = performance.now();
  const value = fn();
  return { ms: performance.now() - t, value };
}

const fmt = (n: number) => Math.round(n).toLocaleString('en-US');

for (const n of cases) {
  const dir = mkdtempSync(join(tmpdir(), 'palisade-vulndb-bench-'));
  try {
    const data = rows(n);
    const total = data.vulnerabilities.length + data.affected.length;

    // Load.
    const bare = new Database(join(dir, 'bare.db'));
    bare.exec('CREATE TABLE v (id TEXT, record TEXT); CREATE TABLE a (namespace TEXT, package TEXT, vuln_id TEXT, status TEXT, fixed TEXT, extra TEXT)');
    const iv = bare.prepare('INSERT INTO v VALUES (?, ?)');
    const ia = bare.prepare('INSERT INTO a VALUES (?, ?, ?, ?, ?, ?)');
    const base = time(() =>
      bare.transaction(() => {
        for (const v of data.vulnerabilities) iv.run(v.id, JSON.stringify(v));
        for (const a of data.affected) ia.run(a.namespace, a.package, a.vulnerabilityId, a.status, a.fixedVersion ?? null, a.ranges ? JSON.stringify(a.ranges) : null);
      })(),
    );
    bare.close();
    const db = openVulnDb(join(dir, 'vuln.db'), { create: true });
    const load = time(() => db.replaceDocument(SOURCE, 'all', { url: 'x', digest: 'sha256:0', importedAt: new Date().toISOString(), vulnerabilities: n, affected: data.affected.length }, data));
    console.log(
      `load      n=${fmt(n)} rows=${fmt(total)}: palisade ${fmt((total / load.ms) * 1000)} rows/s (${load.ms.toFixed(0)} ms), ` +
        `bare insert ${fmt((total / base.ms) * 1000)} rows/s (${base.ms.toFixed(0)} ms), ratio ${(load.ms / base.ms).toFixed(2)}`,
    );

    // Lookups.
    const keys = Array.from({ length: lookups }, (_, i) => (i % 2 === 0 ? ['debian:12', `pkg-${(i * 7919) % PACKAGES}`] : ['npm', `js-${(i * 104729) % PACKAGES}`]) as [string, string]);
    const raw = new Database(join(dir, 'vuln.db'), { readonly: true });
    const sel = raw.prepare('SELECT * FROM affected WHERE namespace = ? AND package = ?');
    let rawRows = 0;
    const rawT = time(() => {
      for (const [ns, p] of keys) rawRows += sel.all(ns, p).length;
    });
    let gotRows = 0;
    const ro = openVulnDb(join(dir, 'vuln.db'), { readonly: true });
    const lookT = time(() => {
      for (const [ns, p] of keys) gotRows += ro.affected(ns, p).length;
    });
    if (rawRows !== gotRows) throw new Error(`lookup mismatch: ${rawRows} raw rows, ${gotRows} rows`);
    console.log(
      `lookup    n=${fmt(lookups)} (${(gotRows / lookups).toFixed(1)} rows each): palisade ${fmt((lookups / lookT.ms) * 1000)} lookups/s, ` +
        `raw select ${fmt((lookups / rawT.ms) * 1000)} lookups/s, ratio ${(lookT.ms / rawT.ms).toFixed(2)}`,
    );

    // Packages without advisories: most of an image.
    const missT = time(() => {
      for (const [ns, p] of keys) ro.affected(ns, `${p}-none`);
    });
    console.log(`lookup    n=${fmt(lookups)} (no rows): palisade ${fmt((lookups / missT.ms) * 1000)} lookups/s`);

    // Matching an image of 1,000 Debian packages.
    const image: Package[] = Array.from({ length: 1000 }, (_, i) => ({ ecosystem: 'debian', scheme: 'deb', name: `bin-${i}`, version: '1.5-1', sourceName: `pkg-${i}`, sourceVersion: '1.5-1', purl: `pkg:deb/debian/bin-${i}@1.5-1` }));
    const recSel = raw.prepare('SELECT record FROM vulnerabilities WHERE vuln_id = ?');
    const handT = time(() => {
      for (const p of image) for (const r of sel.all('debian:12', p.sourceName!) as Array<{ vuln_id: string }>) recSel.get(r.vuln_id);
    });
    const matchT = time(() => matchPackages({ family: 'debian', version: '12' }, image, ro));
    console.log(
      `match     1,000 packages, ${fmt(matchT.value.vulnerabilities.length)} findings: palisade ${matchT.ms.toFixed(0)} ms (${fmt((1000 / matchT.ms) * 1000)} packages/s), ` +
        `hand-written queries ${handT.ms.toFixed(0)} ms, ratio ${(matchT.ms / handT.ms).toFixed(2)}`,
    );
    raw.close();
    ro.close();
    db.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
