/**
 * Warm scans in one process, for comparing two versions of the scan run alternately (`npm run bench:manifests`
 * measures each case in fresh child processes, whose figures drift more from run to run on a busy machine).
 *
 * Generates the corpus once (bench/generate.ts, the same as the manifest bench's), then scans it `--scans`
 * times with the manifest bench's config on the code path of `palisade scan` (default threads), printing
 * each time and the median of the last `--last` scans, which leaves out the first scans' compilation.
 *
 * Options: `--resources 10000` `--seed 42` `--scans 14` `--last 8` `--dir <path>` (reuse or keep a corpus there).
 */
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { scanManifests } from '../src/app/scan.js';
import { configSchema } from '../src/model/config.js';
import { BENCH_CONFIG, BENCH_NOW } from './scan-config.js';
import { generateCorpus } from './generate.js';

const { values } = parseArgs({
  options: {
    resources: { type: 'string', default: '10000' },
    seed: { type: 'string', default: '42' },
    scans: { type: 'string', default: '14' },
    last: { type: 'string', default: '8' },
    dir: { type: 'string' },
  },
});
const scans = Number(values.scans);
const last = Math.min(Number(values.last), scans);
const dir = values.dir ?? mkdtempSync(join(tmpdir(), 'palisade-warm-'));
try {
  // A folder given that already holds a corpus is scanned as it is (the same files for both versions).
  if (!values.dir || !existsSync(dir) || readdirSync(dir).length === 0) generateCorpus({ resources: Number(values.resources), dir, seed: Number(values.seed) });
  const config = configSchema.parse(BENCH_CONFIG);
  const times: number[] = [];
  for (let i = 0; i < scans; i++) {
    const t0 = performance.now();
    await scanManifests({ paths: [dir], config, configFile: 'palisade.yaml', now: BENCH_NOW });
    times.push(performance.now() - t0);
  }
  const tail = times.slice(-last).sort((a, b) => a - b);
  const median = tail.length % 2 ? tail[(tail.length - 1) / 2]! : (tail[tail.length / 2 - 1]! + tail[tail.length / 2]!) / 2;
  console.log(`scans (ms): ${times.map((t) => t.toFixed(0)).join(' ')}`);
  console.log(`median of the last ${last}: ${median.toFixed(0)} ms`);
} finally {
  if (!values.dir) rmSync(dir, { recursive: true, force: true });
}
