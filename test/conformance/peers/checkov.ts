import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { z } from 'zod';
import { POD_KINDS } from '../../../src/misconfig/pod-view.js';
import { checkovResourceId, compareCounts, compareResourceSets, countStatuses, formatCounts, resolvePeerResourceId, type ResourceVerdict } from '../compare.js';
import { manifestFiles, readJson } from '../corpus.js';
import type { CaseResult } from '../model.js';
import { checksFor, scanFiles, scanNote, selected, type PeerRunOptions, type ScanOutcome } from '../palisade.js';

const CHECKS_DIR = 'tests/kubernetes/checks';
const GRAPH_DIR = 'tests/kubernetes/graph/checks/resources';
const GRAPH_DEFS = 'checkov/kubernetes/checks/graph_checks';

/** checkov-kubernetes/expectations.json, parsed from tests/kubernetes/checks/test_*.py (see SOURCE.md). */
const recordSchema = z.object({
  test_file: z.string(),
  test_func: z.string(),
  example_dir: z.array(z.string()),
  checks: z.array(z.object({ id: z.string(), name: z.string(), module: z.string().optional() })),
  expected_summary: z.object({
    passed: z.number().optional(),
    failed: z.number().optional(),
    skipped: z.number().optional(),
    parsing_errors: z.number().optional(),
  }),
  passing_resources: z.array(z.string()).optional(),
  failing_resources: z.array(z.string()).optional(),
});
type CheckovRecord = z.infer<typeof recordSchema>;

const catalogSchema = z.array(z.object({ id: z.string(), name: z.string(), class_file: z.string(), supported_kinds: z.array(z.string()).nullable() }));

const expectedYamlSchema = z.object({ pass: z.array(z.string()).nullish(), fail: z.array(z.string()).nullish() });

/**
 * The CKV2_K8S id of a graph check definition (`metadata.id`). Read with a pattern rather than a YAML
 * parser: upstream definitions contain multi-line quoted names that strict YAML parsers reject.
 */
export function graphCheckId(text: string): string | undefined {
  return /^\s+id:\s*["']?(CKV2?_[A-Z0-9_]+)["']?\s*$/m.exec(text)?.[1];
}

/** Control-plane flag checks: they read kube-apiserver/kubelet/etcd/scheduler/controller-manager command lines. */
const CONTROL_PLANE_CLASS = /^(ApiServer|Kubelet|Kublet|KubeController|ControllerManager|Scheduler|Etcd|PeerClientCertAuth|RotateKubeletServerCertificate)/;

/**
 * Why a Checkov rule is outside Palisade's scope, or undefined: PodSecurityPolicy checks (the API was
 * removed in Kubernetes 1.25), admission configuration and control-plane flag checks (Palisade scans
 * workloads and RBAC, and kube-bench covers node and control-plane configuration).
 */
export function checkovOutOfScope(entry: { class_file: string; supported_kinds: readonly string[] | null } | undefined): string | undefined {
  if (!entry) return undefined;
  if (entry.supported_kinds?.includes('PodSecurityPolicy') || entry.class_file.endsWith('PSP')) return 'PodSecurityPolicy';
  if (entry.supported_kinds?.includes('AdmissionConfiguration')) return 'control-plane flags';
  if (CONTROL_PLANE_CLASS.test(entry.class_file)) return 'control-plane flags';
  return undefined;
}

/** Palisade's verdict per resource, in Checkov's id format. */
function verdicts(scan: ScanOutcome): ResourceVerdict[] {
  return scan.resources.map((o) => ({ id: checkovResourceId(o.resource.kind, o.resource.namespace, o.resource.name), status: o.status }));
}

/** Files of the scan that hold a resource with the given Checkov id (for case naming and known-difference globs). */
function filesOf(scan: ScanOutcome, id: string, fallback: string[]): string[] {
  const files = [...new Set(scan.resources.filter((o) => checkovResourceId(o.resource.kind, o.resource.namespace, o.resource.name) === id).map((o) => o.resource.source.file))];
  return files.length > 0 ? files : fallback;
}

/** Messages behind one resource's verdict, for disagreement notes. */
function resourceNote(scan: ScanOutcome, id: string): string | undefined {
  const msgs = scan.resources
    .filter((o) => checkovResourceId(o.resource.kind, o.resource.namespace, o.resource.name) === id)
    .flatMap((o) => [...o.errors, ...o.messages]);
  return msgs.length > 0 ? msgs.slice(0, 2).join('; ') + (msgs.length > 2 ? `; (+${msgs.length - 2} more)` : '') : undefined;
}

/**
 * Replays Checkov's Kubernetes check tests (the runner on a whole example folder, restricted to one check
 * id) and its graph check tests. Palisade runs the checks that list the Checkov id in
 * `equivalents.checkov` on all files of the folder at once, honouring in-manifest exemptions (Checkov's
 * skip annotations among them).
 */
export function runCheckov(opts: PeerRunOptions): CaseResult[] {
  const records = readJson(join(opts.corpusDir, 'expectations.json'), z.array(recordSchema));
  const catalog = new Map(readJson(join(opts.corpusDir, 'checks_catalog.json'), catalogSchema).map((e) => [e.id, e]));
  const out: CaseResult[] = [];
  for (const r of records) out.push(...replayRecord(r, catalog, opts));
  out.push(...replayGraphChecks(opts));
  return out;
}

function replayRecord(r: CheckovRecord, catalog: ReadonlyMap<string, z.infer<typeof catalogSchema>[number]>, opts: PeerRunOptions): CaseResult[] {
  const dirs = r.example_dir.map((d) => `${CHECKS_DIR}/${d}`);
  const files = dirs.flatMap((d) => manifestFiles(join(opts.corpusDir, d), opts.corpusDir));
  const fileNames = files.map((f) => f.display);
  const source = `${r.test_file} ${r.test_func}`;
  if (r.checks.length === 0) {
    const peerCheck = `(${r.test_file.replace(/^.*\//, '').replace(/\.py$/, '')})`;
    if (!selected(opts, peerCheck)) return [];
    const note = r.example_dir.length > 0 ? 'uses a test-only check id defined in the test itself' : 'unit test of a helper function, no manifests';
    return [{ peer: 'checkov', peerCheck, palisadeChecks: [], files: fileNames.length > 0 ? fileNames : [r.test_file], outcome: 'skipped', expected: '-', got: '-', note, source }];
  }
  const out: CaseResult[] = [];
  for (const chk of r.checks) {
    if (!selected(opts, chk.id)) continue;
    const hasLists = r.passing_resources !== undefined || r.failing_resources !== undefined;
    const expectedIds = [...new Set([...(r.passing_resources ?? []), ...(r.failing_resources ?? [])])];
    const base = { peer: 'checkov' as const, peerCheck: chk.id, files: fileNames, source };
    const summary = { passed: r.expected_summary.passed, failed: r.expected_summary.failed, skipped: r.expected_summary.skipped };
    const expectedCounts = formatCounts(summary);
    const checks = checksFor('checkov', chk.id, opts.checks);
    if (checks.length === 0) {
      const scope = checkovOutOfScope(catalog.get(chk.id));
      const outcome = scope ? ('out-of-scope' as const) : ('no-equivalent' as const);
      const note = scope ? `out of scope: ${scope}` : undefined;
      if (hasLists) out.push(...expectedIds.map((id) => ({ ...base, resource: id, palisadeChecks: [], outcome, expected: r.passing_resources?.includes(id) ? 'passed' : 'failed', got: '-', note })));
      else out.push({ ...base, palisadeChecks: [], outcome, expected: expectedCounts || '-', got: '-', note });
      continue;
    }
    const ids = checks.map((c) => c.id);
    if (/env_var/.test(r.test_func)) {
      out.push({ ...base, palisadeChecks: ids, outcome: 'skipped', expected: expectedCounts, got: '-', note: 'the upstream test sets an environment variable that changes the check\'s behaviour' });
      continue;
    }
    if (!hasLists && expectedCounts === '') {
      out.push({ ...base, palisadeChecks: ids, outcome: 'skipped', expected: '-', got: '-', note: 'the upstream test asserts no summary (custom assertion)' });
      continue;
    }
    const scan = scanFiles(files, { checks, annotations: 'on' });
    const ours = verdicts(scan);
    if (hasLists) {
      for (const c of compareResourceSets(r.passing_resources ?? [], r.failing_resources ?? [], ours)) {
        out.push({
          ...base,
          files: filesOf(scan, c.id, fileNames),
          resource: c.id,
          palisadeChecks: ids,
          outcome: c.agree ? 'agree' : 'disagree',
          expected: c.expected,
          got: c.got,
          note: c.agree ? undefined : resourceNote(scan, c.id),
        });
      }
    } else {
      const cmp = compareCounts(summary, countStatuses(ours));
      out.push({
        ...base,
        palisadeChecks: ids,
        outcome: cmp.agree ? 'agree' : 'disagree',
        expected: cmp.expected,
        got: cmp.got,
        notApplied: !scan.applied,
        note: cmp.agree ? undefined : verdictListing(ours) ?? scanNote(scan),
      });
    }
  }
  return out;
}

/** `failed: Pod.default.a, Deployment.default.b; passed: ...` — what Palisade decided per resource. */
function verdictListing(ours: readonly ResourceVerdict[]): string | undefined {
  const by = new Map<string, string[]>();
  for (const v of ours) {
    if (v.status === 'not-applied') continue;
    by.set(v.status, [...(by.get(v.status) ?? []), v.id]);
  }
  if (by.size === 0) return undefined;
  return [...by].map(([s, ids]) => `${s}: ${ids.join(', ')}`).join('; ');
}

/**
 * Graph checks: tests/kubernetes/graph/checks/resources/<Check>/expected.yaml lists passing and failing
 * resource ids; the CKV2_K8S id is in checkov/kubernetes/checks/graph_checks/<Check>.yaml. Folders with
 * no definition there exercise test-only checks and are skipped.
 */
function replayGraphChecks(opts: PeerRunOptions): CaseResult[] {
  const root = join(opts.corpusDir, GRAPH_DIR);
  if (!existsSync(root)) return [];
  const out: CaseResult[] = [];
  for (const name of readdirSync(root).sort()) {
    const dir = join(root, name);
    if (!statSync(dir).isDirectory()) continue;
    const expectedFile = join(dir, 'expected.yaml');
    if (!existsSync(expectedFile)) continue;
    const expected = expectedYamlSchema.parse(parse(readFileSync(expectedFile, 'utf8')) ?? {});
    const pass = expected.pass ?? [];
    const fail = expected.fail ?? [];
    const files = manifestFiles(dir, opts.corpusDir, (n) => n === 'expected.yaml');
    const fileNames = files.map((f) => f.display);
    const defFile = join(opts.corpusDir, GRAPH_DEFS, `${name}.yaml`);
    const source = `${GRAPH_DIR}/${name}/expected.yaml`;
    if (!existsSync(defFile)) {
      const peerCheck = `(graph ${name})`;
      if (selected(opts, peerCheck)) {
        out.push({ peer: 'checkov', peerCheck, palisadeChecks: [], files: fileNames, outcome: 'skipped', expected: `pass=${pass.length} fail=${fail.length}`, got: '-', note: 'test-only graph check (no definition in checkov/kubernetes/checks/graph_checks)', source });
      }
      continue;
    }
    const id = graphCheckId(readFileSync(defFile, 'utf8'));
    if (!id) throw new Error(`${defFile}: no metadata.id`);
    if (!selected(opts, id)) continue;
    const base = { peer: 'checkov' as const, peerCheck: id, files: fileNames, source };
    const checks = checksFor('checkov', id, opts.checks);
    if (checks.length === 0) {
      for (const rid of new Set([...pass, ...fail])) out.push({ ...base, resource: rid, palisadeChecks: [], outcome: 'no-equivalent', expected: pass.includes(rid) ? 'passed' : 'failed', got: '-' });
      continue;
    }
    const scan = scanFiles(files, { checks, annotations: 'on' });
    const ours = verdicts(scan);
    const known = new Set(ours.map((v) => v.id));
    const owners = scan.resources
      .filter((o) => POD_KINDS.includes(o.resource.kind))
      .map((o) => ({ id: checkovResourceId(o.resource.kind, o.resource.namespace, o.resource.name), kind: o.resource.kind, namespace: o.resource.namespace, name: o.resource.name }));
    const resolve = (rid: string) => resolvePeerResourceId(rid, known, owners);
    for (const c of compareResourceSets(pass.map(resolve), fail.map(resolve), ours)) {
      out.push({
        ...base,
        files: filesOf(scan, c.id, fileNames),
        resource: c.id,
        palisadeChecks: checks.map((k) => k.id),
        outcome: c.agree ? 'agree' : 'disagree',
        expected: c.expected,
        got: c.got,
        note: c.agree ? undefined : resourceNote(scan, c.id),
      });
    }
  }
  return out;
}
