/**
 * `npm run bench`: throughput, memory and growth of `palisade scan` on generated manifests.
 *
 * For each case (1k, 10k, 50k Kubernetes objects by default) it generates a deterministic corpus
 * (bench/generate.ts) in a temporary folder, then measures, each in a child process of its own so that
 * memory peaks never mix:
 *
 * - the baseline: js-yaml `loadAll` over the same file texts, already in memory (parse only);
 * - Palisade: the code path of `palisade scan` (walk and read the files, parse, evaluate every check of
 *   the registry, build the report), then writing that report as JSON to a file, timed apart.
 *
 * Times come from children that warm up first (on a separate 1k corpus) and take the median of several
 * repetitions for small cases; peak RSS comes from children that run once, cold, as the CLI does, so that
 * warm-up and repetitions do not inflate it. Each case prints one line: Palisade's time, resources per
 * second, time per resource, peak RSS and phase split, the same figures for the baseline, and the ratio
 * of the two; then the CPU time of both (every thread), whose ratio is the work the scan does beyond
 * parsing, which a busy machine inflates far less than the wall-clock ratio; and a second line with every timed
 * run in order (the first runs on a new corpus still compile code and grow the heap). When kube-score or Polaris
 * are installed (PATH or ~/go/bin), they are timed on the 10k corpus next to the Palisade CLI, all as
 * whole processes writing JSON.
 *
 * Options: `--cases 1000,10000` `--seed 42` `--reps 5` `--no-peers` `--keep` (keep the corpus folders)
 * `--profile <dir>` (write a V8 CPU profile of one Palisade scan per case into dir) `--threads <n>` (worker
 * threads of the scan; 0 scans on one thread; default as the CLI: cores - 2, at most 3).
 */
import { fork, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { cpus, homedir, tmpdir, totalmem } from 'node:os';
import { delimiter, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { generateCorpus, type Corpus } from './generate.js';
import { BENCH_CONFIG, BENCH_NOW as NOW } from './scan-config.js';

const THIS_FILE = fileURLToPath(import.meta.url);
const ROOT = join(THIS_FILE, '..', '..');

/**
 * A measurement in a child process. `memory` children run once, cold, so that their peak RSS is what
 * one scan of the case needs; the others warm up and repeat, for time.
 */
type ChildJob =
  | { mode: 'yaml'; dir: string; warmDir: string; reps: number; warmups: number }
  | { mode: 'scan'; dir: string; warmDir: string; reps: number; warmups: number; profileDir?: string; threads?: number }
  | { mode: 'scan-memory'; dir: string; threads?: number };

interface ChildResult {
  medianMs: number;
  timesMs: number[];
  /**
   * Median CPU time (user + system, every thread of the child) of the timed runs: the work done, which
   * other processes on the machine inflate far less than the wall-clock time.
   */
  cpuMs?: number;
  /** Peak RSS in bytes of the whole child. */
  peakRss: number;
  resources: number;
  documents?: number;
  findings?: number;
  errors?: number;
  checks?: number;
  /** Phase split of one more run (scan only), each phase alone on one thread: read+parse, evaluate, report. */
  phases?: { readParseMs: number; evaluateMs: number; reportMs: number };
  json?: { ms: number; bytes: number; peakRss: number } | { error: string; peakRss: number };
}

// ---------------------------------------------------------------------------------------------------
// Child side
// ---------------------------------------------------------------------------------------------------

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** CPU time (user + system, all threads) of this process since `start`, in milliseconds. */
function cpuMsSince(start: NodeJS.CpuUsage): number {
  const d = process.cpuUsage(start);
  return (d.user + d.system) / 1000;
}

function listYamlFiles(dir: string, out: string[] = []): string[] {
  const entries = readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const e of entries) {
    const p = join(dir, e.name);
    if (e.isDirectory()) listYamlFiles(p, out);
    else if (/\.(ya?ml|json)$/i.test(e.name)) out.push(p);
  }
  return out;
}

async function runYaml(job: Extract<ChildJob, { mode: 'yaml' }>): Promise<ChildResult> {
  const jsYaml = (await import('js-yaml')).default;
  const load = (texts: string[]) => {
    let docs = 0;
    for (const t of texts) {
      jsYaml.loadAll(t, (d) => {
        if (d !== null && d !== undefined) docs++;
      });
    }
    return docs;
  };
  const warm = listYamlFiles(job.warmDir).map((f) => readFileSync(f, 'utf8'));
  for (let i = 0; i < job.warmups; i++) load(warm);
  const texts = listYamlFiles(job.dir).map((f) => readFileSync(f, 'utf8'));
  const times: number[] = [];
  const cpu: number[] = [];
  let docs = 0;
  for (let i = 0; i < job.reps; i++) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    docs = load(texts);
    times.push(performance.now() - t0);
    cpu.push(cpuMsSince(c0));
  }
  return { medianMs: median(times), timesMs: times, cpuMs: median(cpu), peakRss: process.resourceUsage().maxRSS * 1024, resources: docs, documents: docs };
}

async function loadScan(threads: number | undefined) {
  const { scanManifests } = await import('../src/app/scan.js');
  const { configSchema } = await import('../src/model/config.js');
  const config = configSchema.parse(BENCH_CONFIG);
  const th = threads === undefined ? undefined : { threads };
  return { config, scan: (dir: string) => scanManifests({ paths: [dir], config, configFile: 'palisade.yaml', now: NOW, threads: th }) };
}

/** One cold scan and its JSON rendering: peak memory of what `palisade scan -o json --output-file` does. */
async function runScanMemory(job: Extract<ChildJob, { mode: 'scan-memory' }>): Promise<ChildResult> {
  const { renderJsonChunks } = await import('../src/report/json.js');
  const { closeSync, openSync, writeSync } = await import('node:fs');
  const { scan } = await loadScan(job.threads);
  const t0 = performance.now();
  const report = await scan(job.dir);
  const ms = performance.now() - t0;
  const peakRss = process.resourceUsage().maxRSS * 1024;
  let json: ChildResult['json'];
  const out = join(tmpdir(), `palisade-bench-${process.pid}.json`);
  try {
    // As the CLI writes it: piece by piece into the output file.
    const j0 = performance.now();
    let bytes = 0;
    const fd = openSync(out, 'w');
    try {
      for (const piece of renderJsonChunks(report)) bytes += writeSync(fd, piece);
    } finally {
      closeSync(fd);
    }
    json = { ms: performance.now() - j0, bytes, peakRss: process.resourceUsage().maxRSS * 1024 };
  } catch (e) {
    json = { error: (e as Error).message, peakRss: process.resourceUsage().maxRSS * 1024 };
  } finally {
    rmSync(out, { force: true });
  }
  const summary = report.summary;
  return { medianMs: ms, timesMs: [ms], peakRss, resources: summary.resources, findings: summary.findings, errors: summary.errors, checks: summary.checks, json };
}

async function runScan(job: Extract<ChildJob, { mode: 'scan' }>): Promise<ChildResult> {
  const { buildReport, selectChecks } = await import('../src/app/scan.js');
  const { readManifests } = await import('../src/inputs/manifests/read.js');
  const { evaluate } = await import('../src/misconfig/engine.js');
  const { resolveParameters } = await import('../src/misconfig/parameters.js');
  const { controlsByCheck } = await import('../src/compliance/frameworks.js');
  const { loadFrameworks } = await import('../src/app/content.js');
  const { config, scan } = await loadScan(job.threads);

  for (let i = 0; i < job.warmups; i++) await scan(job.warmDir);
  const times: number[] = [];
  const cpu: number[] = [];
  let report: Awaited<ReturnType<typeof scan>> | undefined;
  for (let i = 0; i < job.reps; i++) {
    report = undefined;
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    report = await scan(job.dir);
    times.push(performance.now() - t0);
    cpu.push(cpuMsSince(c0));
  }
  const peakRss = process.resourceUsage().maxRSS * 1024;
  const summary = report!.summary;
  report = undefined;

  // Phase split, once more, through the functions scanManifests calls, each phase alone on this thread
  // (the scan itself overlaps them on several threads).
  const t0 = performance.now();
  const manifests = await readManifests([job.dir], undefined, undefined, { threads: 0 });
  const t1 = performance.now();
  const checks = selectChecks(config, undefined, undefined);
  const controls = controlsByCheck(loadFrameworks());
  const result = evaluate(manifests.resources, {
    checks, params: resolveParameters(config.parameters), controls, severity: config.checks.severity,
    configExemptions: config.exemptions, configFile: 'palisade.yaml', annotationExemptions: 'on', now: NOW,
  });
  const t2 = performance.now();
  buildReport([job.dir], manifests, result, checks, controls, NOW, 'palisade.yaml');
  const t3 = performance.now();

  if (job.profileDir) {
    const { Session } = await import('node:inspector/promises');
    const { writeFileSync } = await import('node:fs');
    const session = new Session();
    session.connect();
    await session.post('Profiler.enable');
    await session.post('Profiler.setSamplingInterval', { interval: 200 });
    await session.post('Profiler.start');
    await scan(job.dir);
    const { profile } = await session.post('Profiler.stop');
    writeFileSync(join(job.profileDir, `scan-${summary.resources}.cpuprofile`), JSON.stringify(profile));
    session.disconnect();
  }
  return {
    medianMs: median(times),
    timesMs: times,
    cpuMs: median(cpu),
    peakRss,
    resources: summary.resources,
    findings: summary.findings,
    errors: summary.errors,
    checks: summary.checks,
    phases: { readParseMs: t1 - t0, evaluateMs: t2 - t1, reportMs: t3 - t2 },
  };
}

async function child(job: ChildJob): Promise<void> {
  const result = job.mode === 'yaml' ? await runYaml(job) : job.mode === 'scan' ? await runScan(job) : await runScanMemory(job);
  // (exit at once: worker threads of the scan are idle, not worth a clean shutdown)
  process.send!(result, () => process.exit(0));
}

// ---------------------------------------------------------------------------------------------------
// Parent side
// ---------------------------------------------------------------------------------------------------

function runChild(job: ChildJob): Promise<ChildResult> {
  return new Promise((resolve, reject) => {
    // Same loader flags as this process (tsx). No forced gc() between repetitions: a full collection
    // shrinks the young generation and makes the next run up to twice as slow, which says nothing of the code.
    const p = fork(THIS_FILE, ['--child', JSON.stringify(job)], { execArgv: process.execArgv, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    let result: ChildResult | undefined;
    p.on('message', (m) => (result = m as ChildResult));
    p.on('error', reject);
    p.on('exit', (code) => (result ? resolve(result) : reject(new Error(`${job.mode} child exited with code ${code} and no result`))));
  });
}

const fmtS = (ms: number) => `${(ms / 1000).toFixed(3)} s`;
const fmtMB = (bytes: number) => `${Math.round(bytes / 1024 / 1024)} MB`;
const label = (n: number) => (n % 1000 === 0 ? `${n / 1000}k` : String(n));

/** Repetitions by size: the median of several for small cases, fewer where one run takes seconds. */
function repsFor(n: number, override: number | undefined): number {
  if (override !== undefined) return override;
  return n <= 2_000 ? 9 : n <= 20_000 ? 5 : 1;
}

function findBinary(name: string): string | undefined {
  const dirs = [...(process.env.PATH ?? '').split(delimiter), join(homedir(), 'go', 'bin'), ...(process.env.GOPATH ? [join(process.env.GOPATH, 'bin')] : [])];
  for (const d of dirs) {
    const p = join(d, name);
    try {
      if (d && statSync(p).isFile()) return p;
    } catch {
      // not there
    }
  }
  return undefined;
}

interface ProcessTiming {
  ms: number;
  status: number | null;
  peakRss?: number;
  error?: string;
}

/** Wall-clock time of a whole process, output discarded; peak RSS through GNU time when it is installed. */
function timeProcess(cmd: string, args: string[]): ProcessTiming {
  const gnuTime = existsSync('/usr/bin/time') ? '/usr/bin/time' : undefined;
  const t0 = performance.now();
  const r = gnuTime
    ? spawnSync(gnuTime, ['-f', '%M', cmd, ...args], { stdio: ['ignore', 'ignore', 'pipe'], maxBuffer: 64 * 1024 * 1024 })
    : spawnSync(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'], maxBuffer: 64 * 1024 * 1024 });
  const ms = performance.now() - t0;
  const out: ProcessTiming = { ms, status: r.status };
  if (r.error) out.error = r.error.message;
  if (gnuTime) {
    const last = r.stderr.toString().trim().split('\n').pop() ?? '';
    if (/^\d+$/.test(last)) out.peakRss = Number(last) * 1024;
  }
  return out;
}

function medianTiming(runs: ProcessTiming[]): ProcessTiming {
  const sorted = [...runs].sort((a, b) => a.ms - b.ms);
  return sorted[sorted.length >> 1]!;
}

function peers(corpus: Corpus, reps: number): void {
  const label10 = label(corpus.resources);
  const outFile = join(tmpdir(), `palisade-bench-${process.pid}.json`);
  const runs = (cmd: string, args: string[]) => {
    timeProcess(cmd, args); // warm the page cache and the tool's own caches
    return medianTiming(Array.from({ length: reps }, () => timeProcess(cmd, args)));
  };
  const pal = runs(process.execPath, [...process.execArgv, join(ROOT, 'src', 'cli', 'run.ts'), 'scan', corpus.dir, '-o', 'json', '--output-file', outFile, '--no-color']);
  rmSync(outFile, { force: true });
  const rss = (t: ProcessTiming) => (t.peakRss !== undefined ? `, peak RSS ${fmtMB(t.peakRss)}` : '');
  console.log(`peers ${label10}: palisade CLI (whole process, -o json) ${fmtS(pal.ms)}${rss(pal)}`);
  const tools: Array<{ name: string; bin: string | undefined; args: (bin: string) => string[]; install: string }> = [
    {
      name: 'kube-score',
      bin: findBinary('kube-score'),
      args: () => ['score', '--output-format', 'json', ...corpus.files],
      install: 'GOFLAGS=-mod=mod go install github.com/zegl/kube-score/cmd/kube-score@latest',
    },
    {
      name: 'polaris',
      bin: findBinary('polaris'),
      args: () => ['audit', '--audit-path', corpus.dir, '--format', 'json'],
      install: 'go install github.com/fairwindsops/polaris@latest',
    },
  ];
  for (const t of tools) {
    if (!t.bin) {
      console.log(`peers ${label10}: ${t.name} not found on PATH or in ~/go/bin, skipped (install: ${t.install})`);
      continue;
    }
    const r = runs(t.bin, t.args(t.bin));
    const failed = r.error ? ` (failed: ${r.error})` : r.status !== 0 && r.status !== 1 ? ` (exit status ${r.status})` : '';
    console.log(`peers ${label10}: ${t.name} ${fmtS(r.ms)}${rss(r)}, ${(r.ms / pal.ms).toFixed(2)}x Palisade's time${failed}`);
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      cases: { type: 'string', default: '1000,10000,50000' },
      seed: { type: 'string', default: '42' },
      reps: { type: 'string' },
      'no-peers': { type: 'boolean', default: false },
      keep: { type: 'boolean', default: false },
      profile: { type: 'string' },
      threads: { type: 'string' },
    },
  });
  const threads = values.threads !== undefined ? Number(values.threads) : undefined;
  const cases = values.cases.split(',').map((s) => Number(s.trim())).filter((n) => Number.isInteger(n) && n > 0);
  const seed = Number(values.seed);
  const repsOverride = values.reps !== undefined ? Number(values.reps) : undefined;
  const { ALL_CHECKS } = await import('../src/misconfig/checks/index.js');
  const cpu = cpus();
  console.log(`palisade scan bench: node ${process.version}, ${cpu.length} cores (${cpu[0]?.model.trim() ?? '?'}), ${fmtMB(totalmem())} RAM, ${ALL_CHECKS.length} checks, seed ${seed}`);

  const root = mkdtempSync(join(tmpdir(), 'palisade-bench-'));
  const warm = generateCorpus({ resources: 1_000, dir: join(root, 'warm'), seed: seed + 1 });
  const rows: Array<{ n: number; scan: ChildResult; yaml: ChildResult }> = [];
  let corpus10k: Corpus | undefined;
  try {
    for (const n of cases) {
      const corpus = generateCorpus({ resources: n, dir: join(root, label(n)), seed });
      if (n === 10_000) corpus10k = corpus;
      const reps = repsFor(n, repsOverride);
      // Three passes over the 1k warm-up corpus bring js-yaml and the checks to optimised code.
      const warmups = 3;
      const yaml = await runChild({ mode: 'yaml', dir: corpus.dir, warmDir: warm.dir, reps, warmups });
      const yamlMem = await runChild({ mode: 'yaml', dir: corpus.dir, warmDir: corpus.dir, reps: 1, warmups: 0 });
      const scan = await runChild({ mode: 'scan', dir: corpus.dir, warmDir: warm.dir, reps, warmups, profileDir: values.profile, threads });
      const scanMem = await runChild({ mode: 'scan-memory', dir: corpus.dir, threads });
      rows.push({ n, scan, yaml });
      const usPer = (r: ChildResult) => ((r.medianMs * 1000) / n).toFixed(0);
      const rate = (r: ChildResult) => Math.round(n / (r.medianMs / 1000));
      const j = scanMem.json!;
      const jsonPart = 'error' in j ? `-o json: ${j.error}` : `-o json to a file ${fmtS(j.ms)}, ${fmtMB(j.bytes)}, peak RSS ${fmtMB(j.peakRss)}`;
      const ph = scan.phases!;
      console.log(
        `case ${label(n).padStart(4)}: ${n} resources, ${corpus.files.length} files, ${fmtMB(corpus.bytes)}, ${corpus.lines} lines | ` +
          `palisade ${fmtS(scan.medianMs)} (${rate(scan)} res/s, ${usPer(scan)} µs/res, peak RSS ${fmtMB(scanMem.peakRss)}; one thread per phase: read+parse ${fmtS(ph.readParseMs)}, evaluate ${fmtS(ph.evaluateMs)}, report ${fmtS(ph.reportMs)}) | ` +
          `js-yaml loadAll ${fmtS(yaml.medianMs)} (${rate(yaml)} res/s, ${usPer(yaml)} µs/res, peak RSS ${fmtMB(yamlMem.peakRss)}) | ` +
          `ratio ${(scan.medianMs / yaml.medianMs).toFixed(2)} (CPU time ${fmtS(scan.cpuMs!)} vs ${fmtS(yaml.cpuMs!)}, ratio ${(scan.cpuMs! / yaml.cpuMs!).toFixed(2)}) | ${scan.checks} checks, ${scan.findings} findings, ${scan.errors} errors | ${jsonPart} | median of ${reps}`,
      );
      // Every timed run, in order: the first runs on a new corpus still compile code and grow the heap.
      const each = (r: ChildResult) => r.timesMs.map((t) => t.toFixed(0)).join(' ');
      console.log(`case ${label(n).padStart(4)}: each run (ms, in order): palisade ${each(scan)} | js-yaml ${each(yaml)}`);
    }
    if (rows.length > 1) {
      const first = rows[0]!;
      const per = (r: { n: number; scan: ChildResult }) => r.scan.medianMs / r.n;
      const growth = rows.slice(1).map((r) => `${label(r.n)} ${(per(r) / per(first)).toFixed(2)}x`).join(', ');
      console.log(`growth: time per resource relative to ${label(first.n)}: ${growth} (1.00x is linear)`);
    }
    if (!values['no-peers']) {
      if (corpus10k) peers(corpus10k, 3);
      else console.log('peers: skipped (they run on the 10k case, which was not among --cases)');
    }
  } finally {
    if (values.keep) console.log(`corpus kept in ${root}`);
    else rmSync(root, { recursive: true, force: true });
  }
}

if (process.argv[2] === '--child') await child(JSON.parse(process.argv[3]!) as ChildJob);
else await main();
