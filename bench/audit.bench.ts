/**
 * `npm run bench:audit`: throughput of `palisade audit scan` on generated audit logs.
 *
 * For each case (10k, 100k events by default) it generates a deterministic JSON-lines log of realistic events
 * (reads, pod and workload creates, exec sessions, RBAC and configmap changes, a few suspicious ones) and
 * measures, in this process after a warm-up, the median of several repetitions of:
 * - the baseline: JSON.parse of every line (what any reader pays);
 * - Palisade: parsing, validation, and evaluation of every enabled shipped rule and detector through the prefilter
 *   (verb, stage, resource, subresource and status code select the rules that can match; see src/threats/engine.ts);
 * - the same without index and prefilter (every enabled rule evaluated for every event), to show what they save.
 * Each case prints one line with events per second and the ratios to the baseline.
 *
 * Before those, for each file case (1,000,000 events by default), it writes the log to a temporary file and reads it the
 * way `palisade audit scan` does (streamed, events never held), once with JSON.parse only and once through every
 * rule and detector, both through the same line splitter, printing events per second and the ratio. Memory is
 * sampled at every 10% of the events (RSS, and the live heap after a full collection, whose time is left out of
 * Palisade's time), with a verdict on the growth between 20% and 100% of the run.
 *
 * Options: `--cases 10000,100000` `--file-cases 1000000` (0 to skip) `--seed 7` `--reps 3`
 */
import { closeSync, createReadStream, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { loadThreatRules } from '../src/app/audit.js';
import { forEachLine, readAuditSources } from '../src/inputs/audit/index.js';
import { parseAuditText } from '../src/inputs/audit/parse.js';
import { ThreatEngine } from '../src/threats/engine.js';

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => ((s = (s * 1664525 + 1013904223) >>> 0) / 2 ** 32);
}

/** A deterministic log: mostly reads and controller traffic, like a real cluster, with some risky changes. */
export function generateAuditLog(n: number, seed: number): string {
  return `${[...auditLogLines(n, seed)].join('\n')}\n`;
}

/**
 * The lines of generateAuditLog one by one (a million events need not be in memory at once). Pods and Services
 * churn as in a real cluster: once about 5,000 created pods (or 500 Services) are alive, controllers and
 * deployments delete the oldest ones in place of some reads, so what detectors remember per object stays the
 * size of the cluster, not of the log.
 */
export function* auditLogLines(n: number, seed: number): Generator<string> {
  const r = rng(seed);
  const alive: Array<{ ns: string; name: string }> = [];
  let oldest = 0;
  const services: Array<{ ns: string; name: string }> = [];
  const pick = <T>(a: readonly T[]): T => a[Math.floor(r() * a.length)]!;
  const users = ['alice@example.com', 'bob@example.com', 'system:serviceaccount:kube-system:replicaset-controller', 'system:node:worker-1', 'system:kube-scheduler', 'system:serviceaccount:web:app'];
  const namespaces = ['web', 'shop', 'payments', 'kube-system', 'monitoring'];
  for (let i = 0; i < n; i++) {
    const ns = pick(namespaces);
    const t = new Date(Date.UTC(2024, 4, 14, 10, 0, 0) + i * 50).toISOString();
    const base = { kind: 'Event', apiVersion: 'audit.k8s.io/v1', level: 'RequestResponse', auditID: `ev-${seed}-${i}`, stage: 'ResponseComplete', user: { username: pick(users), groups: ['system:authenticated'] }, sourceIPs: [`10.0.${i % 250}.${(i * 7) % 250}`], userAgent: 'kubectl/v1.30.1', annotations: { 'authorization.k8s.io/decision': 'allow' }, requestReceivedTimestamp: t, stageTimestamp: t };
    const x = r();
    let e: Record<string, unknown>;
    if (x < 0.55 && alive.length - oldest > 5000 && r() < 0.5) {
      const pod = alive[oldest++]!;
      // Drop the deleted prefix now and then, so the list stays the size of the live pods.
      if (oldest > 10_000) {
        alive.splice(0, oldest);
        oldest = 0;
      }
      e = { ...base, user: { username: 'system:serviceaccount:kube-system:replicaset-controller', groups: ['system:serviceaccounts', 'system:authenticated'] }, verb: 'delete', objectRef: { resource: 'pods', namespace: pod.ns, name: pod.name }, responseStatus: { code: 200 } };
    } else if (x < 0.55 && services.length > 500 && r() < 0.1) {
      const svc = services.shift()!;
      e = { ...base, verb: 'delete', objectRef: { resource: 'services', namespace: svc.ns, name: svc.name }, responseStatus: { code: 200 } };
    } else if (x < 0.55) e = { ...base, verb: pick(['get', 'list', 'watch']), objectRef: { resource: pick(['pods', 'configmaps', 'endpoints', 'nodes', 'leases']), namespace: ns }, responseStatus: { code: 200 } };
    else if (x < 0.62) e = { ...base, verb: 'get', objectRef: { resource: 'secrets', namespace: ns, name: `s-${i % 40}` }, responseStatus: { code: 200 } };
    else if (x < 0.8) {
      const privileged = r() < 0.05;
      alive.push({ ns, name: `p-${i}` });
      e = { ...base, verb: 'create', objectRef: { resource: 'pods', namespace: ns }, responseStatus: { code: 201 }, requestObject: { kind: 'Pod', apiVersion: 'v1', metadata: { name: `p-${i}` }, spec: { containers: [{ name: 'app', image: `registry.example.com/${ns}/app:${i % 9}`, securityContext: { privileged } }], volumes: r() < 0.03 ? [{ name: 'h', hostPath: { path: '/var/run/docker.sock' } }] : [] } } };
    } else if (x < 0.86) e = { ...base, stage: 'ResponseStarted', verb: 'create', objectRef: { resource: 'pods', namespace: ns, name: `p-${i % 100}`, subresource: 'exec' }, requestURI: `/api/v1/namespaces/${ns}/pods/p/exec?command=sh`, responseStatus: { code: 101 } };
    else if (x < 0.92) e = { ...base, verb: pick(['update', 'patch']), objectRef: { resource: 'configmaps', namespace: ns, name: `cfg-${i % 20}` }, responseStatus: { code: 200 }, requestObject: { kind: 'ConfigMap', metadata: { name: `cfg-${i % 20}` }, data: { 'app.properties': r() < 0.1 ? 'password=x' : 'color=blue' } } };
    else if (x < 0.96) e = { ...base, verb: 'create', objectRef: { resource: pick(['clusterroles', 'roles']), name: `r-${i}`, apiGroup: 'rbac.authorization.k8s.io' }, responseStatus: { code: 201 }, requestObject: { kind: 'ClusterRole', metadata: { name: `r-${i}` }, rules: [{ apiGroups: [''], resources: [pick(['pods', 'secrets', '*'])], verbs: [pick(['get', 'list', '*', 'create'])] }] } };
    else {
      services.push({ ns, name: `svc-${i}` });
      e = { ...base, verb: 'create', objectRef: { resource: 'services', namespace: ns, name: `svc-${i}` }, responseStatus: { code: 201 }, requestObject: { kind: 'Service', metadata: { name: `svc-${i}` }, spec: { type: pick(['ClusterIP', 'LoadBalancer', 'NodePort']), ports: [{ port: pick([80, 443, 6379, 5432]) }], selector: { app: pick(['web', 'redis', 'postgres']) } } } };
    }
    yield JSON.stringify(e);
  }
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

function time(reps: number, f: () => unknown): number {
  f();
  const out: number[] = [];
  for (let i = 0; i < reps; i++) {
    const t = process.hrtime.bigint();
    f();
    out.push(Number(process.hrtime.bigint() - t) / 1e6);
  }
  return median(out);
}

const MB = 1024 * 1024;

/** A full garbage collection, also without `--expose-gc` (the flag can be set at run time for a new context). */
function fullGc(): () => void {
  const exposed = (globalThis as { gc?: () => void }).gc;
  if (exposed) return exposed;
  setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as () => void;
}

/** One memory sample: resident set, and the live heap after a full collection. */
interface MemorySample {
  at: number;
  rssMb: number;
  heapMb: number;
}

/**
 * Growth of the live heap and RSS between the sample at 20% of the run and the last one, and over the second half,
 * with a verdict: FLAT when the live heap grew by at most 5% or 4 MB from 20% to 100%, else GROWING.
 */
export function memoryVerdict(samples: readonly MemorySample[]): string {
  const from = samples.find((x) => x.at >= 0.2 - 1e-9);
  const half = samples.find((x) => x.at >= 0.5 - 1e-9);
  const to = samples.at(-1);
  if (!from || !half || !to || from === to) return 'memory: too few samples for a verdict';
  const grow = (a: number, b: number) => `${b - a >= 0 ? '+' : ''}${(b - a).toFixed(1)} MB (${b - a >= 0 ? '+' : ''}${(((b - a) / a) * 100).toFixed(1)}%)`;
  const flat = to.heapMb - from.heapMb <= Math.max(4, from.heapMb * 0.05);
  return `memory ${flat ? 'FLAT' : 'GROWING'} from 20% to 100% of the events: live heap ${grow(from.heapMb, to.heapMb)}, RSS ${grow(from.rssMb, to.rssMb)}; from 50% to 100%: live heap ${grow(half.heapMb, to.heapMb)}`;
}

/**
 * Streams a generated log file through JSON.parse only, then through Palisade (what `palisade audit scan` does:
 * read, parse, validate, every enabled rule and detector through the prefilter). Both read the file with the same
 * line splitter. Memory is sampled at every 10% of the events: RSS, and the live heap after a full collection,
 * whose time is measured and left out of Palisade's time.
 */
async function fileCase(n: number, seed: number, set: ReturnType<typeof loadThreatRules>): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'palisade-audit-bench-'));
  const file = join(dir, 'audit.jsonl');
  try {
    const fd = openSync(file, 'w');
    let chunk: string[] = [];
    for (const line of auditLogLines(n, seed)) {
      chunk.push(line);
      if (chunk.length === 10_000) {
        writeSync(fd, `${chunk.join('\n')}\n`);
        chunk = [];
      }
    }
    if (chunk.length > 0) writeSync(fd, `${chunk.join('\n')}\n`);
    closeSync(fd);
    const gc = fullGc();
    gc();
    let t = process.hrtime.bigint();
    let parsed = 0;
    await forEachLine(createReadStream(file, { highWaterMark: 256 * 1024 }), (line) => {
      if (!line) return;
      parsed++;
      JSON.parse(line);
    });
    const base = Number(process.hrtime.bigint() - t) / 1e6;
    gc();
    const samples: MemorySample[] = [];
    const step = Math.max(1, Math.floor(n / 10));
    let sampling = 0n;
    const engine = new ThreatEngine(set);
    let events = 0;
    let alerts = 0;
    let errors = 0;
    t = process.hrtime.bigint();
    await readAuditSources([file], {
      event: (e) => {
        alerts += engine.evaluate(e).length;
        if (++events % step === 0) {
          const s0 = process.hrtime.bigint();
          gc();
          const m = process.memoryUsage();
          samples.push({ at: events / n, rssMb: m.rss / MB, heapMb: m.heapUsed / MB });
          sampling += process.hrtime.bigint() - s0;
        }
      },
      error: () => void errors++,
      skipped: () => undefined,
    });
    const ms = Number(process.hrtime.bigint() - t - sampling) / 1e6;
    const eps = (x: number) => Math.round((n / x) * 1000).toLocaleString('en-US');
    process.stdout.write(
      `${String(n).padStart(7)} events from a file (streamed, ${parsed === n && events === n && errors === 0 ? 'all read' : `MISMATCH ${parsed}/${events}/${errors}`}): palisade ${ms.toFixed(0)} ms (${eps(ms)} events/s, ${alerts} alerts, ${(engine.stats.evaluations / n).toFixed(1)} rule evaluations/event) | ` +
        `JSON.parse only ${base.toFixed(0)} ms (${eps(base)} lines/s) | palisade/baseline ${(ms / base).toFixed(2)}x\n` +
        `        memory at every 10% of the events (live heap after a full GC / RSS, MB): ${samples.map((x) => `${Math.round(x.at * 100)}% ${x.heapMb.toFixed(0)}/${x.rssMb.toFixed(0)}`).join(', ')} (sampling ${(Number(sampling) / 1e6).toFixed(0)} ms, not counted)\n` +
        `        ${memoryVerdict(samples)}\n`,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { cases: { type: 'string', default: '10000,100000' }, 'file-cases': { type: 'string', default: '1000000' }, seed: { type: 'string', default: '7' }, reps: { type: 'string', default: '3' } } });
  const set = loadThreatRules();
  const unindexed = { ...set, rules: set.rules.map((r) => ({ ...r, match: { declared: false } })) };
  // The streamed file cases first: the in-memory cases keep every parsed event, which teaches V8 to allocate the
  // parser's objects straight into the old generation, and a streamed read afterwards in the same process would
  // pay for that (its events are garbage at once), which `palisade audit scan`, a process of its own, never does.
  for (const n of values['file-cases']!.split(',').map(Number).filter((x) => x > 0)) await fileCase(n, Number(values.seed), set);
  for (const n of values.cases!.split(',').map(Number)) {
    const text = generateAuditLog(n, Number(values.seed));
    const reps = Number(values.reps);
    let alerts = 0;
    const base = time(reps, () => text.split('\n').forEach((l) => l && JSON.parse(l)));
    const indexed = time(reps, () => {
      const engine = new ThreatEngine(set);
      alerts = parseAuditText(text, 'bench').events.reduce((s, e) => s + engine.evaluate(e).length, 0);
    });
    let evaluations = 0;
    let flatEvaluations = 0;
    const flat = time(reps, () => {
      const engine = new ThreatEngine(unindexed, { prefilter: false });
      parseAuditText(text, 'bench').events.forEach((e) => engine.evaluate(e));
      flatEvaluations = engine.stats.evaluations;
    });
    {
      const engine = new ThreatEngine(set);
      parseAuditText(text, 'bench').events.forEach((e) => engine.evaluate(e));
      evaluations = engine.stats.evaluations;
    }
    const eps = (ms: number) => Math.round((n / ms) * 1000).toLocaleString('en-US');
    process.stdout.write(
      `${String(n).padStart(7)} events: palisade ${indexed.toFixed(0)} ms (${eps(indexed)} events/s, ${alerts} alerts, ${(evaluations / n).toFixed(1)} rule evaluations/event) | ` +
        `without index and prefilter ${flat.toFixed(0)} ms (${(flatEvaluations / n).toFixed(1)} evaluations/event, ${(flat / indexed).toFixed(2)}x slower) | ` +
        `JSON.parse only ${base.toFixed(0)} ms (palisade/baseline ${(indexed / base).toFixed(1)}x)\n`,
    );
  }
}

if (process.argv[1]?.endsWith('audit.bench.ts')) void main();
