/**
 * `npm run bench`: every benchmark, one after the other, each in a process of its own so that one's heap
 * and caches do not weigh on the next:
 *
 * 1. manifests (`bench/scan.bench.ts`), which receives the arguments given after `--`;
 * 2. image scan and matching (`bench/image.bench.ts`), see docs/benchmarks.md;
 * 3. audit log rules (`bench/audit.bench.ts`);
 * 4. only with PALISADE_BENCH_API=1 (or named in PALISADE_BENCH_ONLY): API list latency with 100 clusters x 500
 *    workloads on SQLite and PostgreSQL (`bench/api-lists.bench.ts`, several minutes; also `npm run bench:api`).
 *
 * `PALISADE_BENCH_ONLY=manifests,image` runs a subset. A bench that fails does not stop the others; the exit
 * code is 1 when any failed.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

const BENCHES = [
  { id: 'manifests', file: 'scan.bench.ts', args: process.argv.slice(2) },
  { id: 'image', file: 'image.bench.ts', args: [] as string[] },
  { id: 'audit', file: 'audit.bench.ts', args: [] as string[] },
  { id: 'api', file: 'api-lists.bench.ts', args: [] as string[], optIn: true },
] as const;

const only = process.env.PALISADE_BENCH_ONLY?.split(',').map((s) => s.trim()).filter(Boolean);
const unknown = only?.filter((id) => !BENCHES.some((b) => b.id === id)) ?? [];
if (unknown.length) {
  console.error(`PALISADE_BENCH_ONLY: unknown bench ${unknown.join(', ')} (known: ${BENCHES.map((b) => b.id).join(', ')})`);
  process.exit(64);
}

const tsx = join(import.meta.dirname, '..', 'node_modules', 'tsx', 'dist', 'cli.mjs');
const failed: string[] = [];
for (const b of BENCHES) {
  if (only && !only.includes(b.id)) continue;
  if ('optIn' in b && !only?.includes(b.id) && process.env.PALISADE_BENCH_API !== '1') continue;
  console.log(`\n== ${b.id} (bench/${b.file}) ==`);
  const r = spawnSync(process.execPath, [tsx, join(import.meta.dirname, b.file), ...b.args], { stdio: 'inherit' });
  if (r.status !== 0) failed.push(`${b.id} (${r.signal ?? `exit ${r.status}`})`);
}
if (failed.length) {
  console.error(`\nfailed: ${failed.join(', ')}`);
  process.exit(1);
}
