/**
 * `npx tsx bench/feeds.bench.ts`: throughput of the OSV feed parser on generated ecosystem archives.
 *
 * For each case (10k and 100k records by default) it builds a deterministic `all.zip` of GHSA-like records in
 * memory, then times, after a warm-up, the median of a few runs of:
 * - the baseline: fflate `unzipSync` of the whole archive plus `JSON.parse` of every entry;
 * - Palisade: `osv.parse` (central directory, per-entry inflate and CRC check, zod validation, CVSS scoring,
 *   rows).
 * Each case prints one line with records per second, both times, the ratio, and heap growth.
 *
 * Options: `--cases 10000,100000` `--reps 3`.
 */
import { parseArgs } from 'node:util';
import { unzipSync, zipSync } from 'fflate';
import { osv } from '../src/vuln/feeds/osv.js';

const { values } = parseArgs({ options: { cases: { type: 'string', default: '10000,100000' }, reps: { type: 'string', default: '3' } } });
const cases = values.cases.split(',').map(Number);
const reps = Number(values.reps);

const VECTORS = ['CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H', 'CVSS:3.1/AV:N/AC:H/PR:N/UI:R/S:U/C:L/I:L/A:N', 'CVSS:3.1/AV:L/AC:L/PR:L/UI:N/S:U/C:H/I:N/A:N'];

function archive(n: number): Uint8Array {
  const enc = new TextEncoder();
  const files: Record<string, Uint8Array> = {};
  for (let i = 0; i < n; i++) {
    const id = `GHSA-${(i * 7919).toString(36).padStart(4, '0')}-bnch-${String(i % 10000).padStart(4, '0')}`;
    files[`${id}.json`] = enc.encode(JSON.stringify({
      schema_version: '1.6.0',
      id,
      modified: '2024-03-13T15:32:20.948Z',
      published: '2021-05-06T16:05:51Z',
      aliases: [`CVE-2024-${10000 + i}`],
      summary: `Generated advisory ${i} for package pkg-${i % 5000}`,
      details: 'A generated description of a vulnerability, about as long as a typical advisory summary paragraph. '.repeat(3),
      severity: [{ type: 'CVSS_V3', score: VECTORS[i % VECTORS.length] }],
      affected: [{ package: { ecosystem: 'npm', name: `pkg-${i % 5000}`, purl: `pkg:npm/pkg-${i % 5000}` }, ranges: [{ type: 'SEMVER', events: [{ introduced: '0' }, { fixed: `${1 + (i % 9)}.${i % 17}.${i % 5}` }] }] }],
      references: [{ type: 'ADVISORY', url: `https://nvd.nist.gov/vuln/detail/CVE-2024-${10000 + i}` }, { type: 'PACKAGE', url: `https://github.com/example/pkg-${i % 5000}` }],
      database_specific: { cwe_ids: ['CWE-79'], severity: 'HIGH', github_reviewed: true },
    }));
  }
  return zipSync(files);
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

function time(fn: () => void): number {
  const t = performance.now();
  fn();
  return performance.now() - t;
}

for (const n of cases) {
  const zip = archive(n);
  const baseline = () => {
    const files = unzipSync(zip);
    const dec = new TextDecoder();
    for (const k of Object.keys(files)) JSON.parse(dec.decode(files[k]));
  };
  let rows = 0;
  const palisade = () => {
    const r = osv.parse('npm', zip);
    if (r.documentError || r.errors.length) throw new Error(r.documentError ?? r.errors[0].message);
    rows = r.affected.length;
  };
  baseline();
  palisade();
  const heapBefore = process.memoryUsage().heapUsed;
  const tp = median(Array.from({ length: reps }, () => time(palisade)));
  const heapAfter = process.memoryUsage().heapUsed;
  const tb = median(Array.from({ length: reps }, () => time(baseline)));
  console.log(
    `osv ${n} records (${(zip.length / 1024 / 1024).toFixed(1)} MB zip): palisade ${tp.toFixed(0)} ms (${Math.round(n / (tp / 1000))} records/s, ${rows} rows), ` +
      `baseline unzip+JSON.parse ${tb.toFixed(0)} ms, ratio ${(tp / tb).toFixed(2)}, heap growth ${((heapAfter - heapBefore) / 1024 / 1024).toFixed(0)} MB`,
  );
}
