import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import type { Check } from '../../../src/misconfig/check.js';
import { resolveParameters, type ResolvedParameters } from '../../../src/misconfig/parameters.js';
import { parametersSchema } from '../../../src/model/config.js';
import { readJson, scanFile } from '../corpus.js';
import type { CaseResult } from '../model.js';
import { checksFor, scanFiles, scanNote, selected, type PeerRunOptions, type ScanOutcome } from '../palisade.js';

/** kube-score/expectations.json, parsed from score/*_test.go (see SOURCE.md). */
const recordSchema = z.object({
  test_func: z.string(),
  go_file: z.string(),
  helper: z.string(),
  files: z.array(z.string()),
  files_run_separately: z.boolean().optional(),
  checks_config: z.string().nullable().optional(),
  run_config: z.string().nullable().optional(),
  check_name: z.string().optional(),
  check_id: z.string().optional(),
  expected_grade: z.string().nullable().optional(),
  expected_skipped: z.union([z.boolean(), z.string()]).optional(),
  go_body: z.string().optional(),
  extra_asserts: z.array(z.string()).optional(),
});
type KubeScoreRecord = z.infer<typeof recordSchema>;

/**
 * What a kube-score test expects of one check: a grade (Critical and Warning both mean "flagged"),
 * `skipped` (kube-score did not grade it: Palisade must not flag), or `not-skipped` (it was graded:
 * Palisade's check must apply and not be exempted).
 */
type Expectation = 'Critical' | 'Warning' | 'AllOK' | 'skipped' | 'not-skipped';

interface DerivedCase {
  checkId: string;
  expect: Expectation;
  /** Whether the run honours `kube-score/ignore` (kube-score's UseIgnoreChecksAnnotation). */
  ignoreAnnotations?: boolean;
}

/**
 * The `testScore` records carry a raw Go body instead of a helper call. Those asserting a check verdict
 * are translated here; the others test parsing or file locations, which are not verdicts.
 */
const CUSTOM_RECORDS: Record<string, { cases: DerivedCase[] } | { skip: string }> = {
  TestAnnotationIgnore: { cases: [{ checkId: 'service-type', expect: 'skipped', ignoreAnnotations: true }] },
  TestAnnotationIgnoreDisabled: { cases: [{ checkId: 'service-type', expect: 'Warning', ignoreAnnotations: false }] },
  TestPodContainerStorageEphemeralIgnoreAnnotation: { cases: [{ checkId: 'container-resources', expect: 'skipped', ignoreAnnotations: true }] },
  TestMultipleIgnoreAnnotations: {
    cases: [
      { checkId: 'container-ephemeral-storage-request-and-limit', expect: 'skipped', ignoreAnnotations: true },
      { checkId: 'container-image-pull-policy', expect: 'Critical', ignoreAnnotations: true },
    ],
  },
  TestFileLocation: { skip: 'asserts the file name and line kube-score reports per object, not a check verdict' },
  TestFileLocationHelm: { skip: 'asserts the file name and line kube-score reports per object, not a check verdict' },
  TestConfigMapMultiDash: { skip: 'asserts only that the file parses, not a check verdict' },
  TestList: { skip: 'asserts only that a List is expanded into its items, not a check verdict' },
};

/** Parses the grade of testExpectedScore: `Critical(1)`, `Warning(5)`, `AllOK(10)`, `0 (zero value ...)`. */
export function parseGrade(raw: string | null | undefined): Expectation | undefined {
  if (!raw) return undefined;
  const m = /^(Critical|Warning|AllOK)\b/.exec(raw);
  if (m) return m[1] as Expectation;
  return raw.startsWith('0') ? 'skipped' : undefined;
}

/** Optional checks, from README_CHECKS.md (column "Enabled" = optional). */
function optionalChecks(corpusDir: string): Set<string> {
  const out = new Set<string>();
  for (const line of readFileSync(join(corpusDir, 'README_CHECKS.md'), 'utf8').split('\n')) {
    const cells = line.split('|').map((s) => s.trim());
    if (cells.length >= 5 && cells[4] === 'optional') out.add(cells[1]!);
  }
  return out;
}

/** kube-score run-config fields and the Palisade parameters that express them (first one a mapped check declares). */
const PARAMETER_FIELDS: Record<string, readonly string[]> = {
  MinReplicasDeployment: ['minReplicasDeployment', 'minReplicas'],
  MinReplicasHPA: ['minReplicasHpa', 'minHpaReplicas', 'minReplicas'],
};

/** The Kubernetes version kube-score's testExpectedScore helper runs with. */
const DEFAULT_KUBERNETES_VERSION = '1.18';
/** Palisade parameters that set the target Kubernetes version (first one a mapped check declares). */
const VERSION_PARAMETERS: readonly string[] = ['kubernetesVersion'];

/** Fields that only select checks or annotations; Palisade runs the mapped checks anyway. */
const SELECTION_FIELDS = new Set(['EnabledOptionalTests', 'UseOptionalChecksAnnotation', 'UseIgnoreChecksAnnotation', 'KubernetesVersion']);

/** The same rule in other peers: how a Palisade check is recognised as "CPU limit" or "memory limit" only. */
const RESOURCE_ASPECTS = {
  cpuLimit: { polaris: 'cpulimitsmissing', checkov: 'ckv_k8s_11' },
  memoryLimit: { polaris: 'memorylimitsmissing', checkov: 'ckv_k8s_13' },
  cpuRequest: { polaris: 'cpurequestsmissing', checkov: 'ckv_k8s_10' },
  memoryRequest: { polaris: 'memoryrequestsmissing', checkov: 'ckv_k8s_12' },
} as const;
type ResourceAspect = keyof typeof RESOURCE_ASPECTS;

function aspectsOf(c: Check): Set<ResourceAspect> {
  const pol = (c.equivalents.polaris ?? []).map((s) => s.toLowerCase());
  const ckv = (c.equivalents.checkov ?? []).map((s) => s.toLowerCase());
  const out = new Set<ResourceAspect>();
  for (const [a, ids] of Object.entries(RESOURCE_ASPECTS) as Array<[ResourceAspect, { polaris: string; checkov: string }]>) {
    if (pol.includes(ids.polaris) || ckv.includes(ids.checkov)) out.add(a);
  }
  return out;
}

/** A run of selected checks with parameters, or the reason the record's configuration cannot be expressed. */
type Translation = { checks: Check[]; params?: ResolvedParameters; annotations: 'on' | 'off' } | { skip: string };

/**
 * Translates a record's RunConfiguration / checks.Config literal into check selection and parameters.
 * Whatever cannot be expressed exactly makes the case skipped, with the reason.
 */
export function translateConfig(runConfig: string | null | undefined, checksConfig: string | null | undefined, checks: Check[], ignoreOverride?: boolean): Translation {
  if (checksConfig) return { skip: `checks config ${checksConfig} is not translated` };
  const rc = runConfig && runConfig.startsWith('&config.RunConfiguration') ? runConfig : '';
  const fields = new Map<string, string>();
  for (const m of rc.matchAll(/\b([A-Z]\w*):\s*(config\.Semver\{[^}]*\}|[^,}\s]+)/g)) {
    if (m[1] === 'Major' || m[1] === 'Minor') continue;
    fields.set(m[1]!, m[2]!);
  }
  const declared = new Set(checks.flatMap((c) => c.parameters ?? []));
  let chosen = checks;
  const params: Record<string, unknown> = {};
  for (const [field, value] of fields) {
    if (field in PARAMETER_FIELDS) {
      const name = PARAMETER_FIELDS[field]!.find((p) => declared.has(p));
      if (!name) return { skip: `${field}: ${value} has no Palisade parameter on ${checks.map((c) => c.id).join(', ')}` };
      params[name] = Number(value);
    } else if (field === 'IgnoreContainerCpuLimitRequirement' || field === 'IgnoreContainerMemoryLimitRequirement') {
      if (value !== 'true') continue;
      const aspect: ResourceAspect = field === 'IgnoreContainerCpuLimitRequirement' ? 'cpuLimit' : 'memoryLimit';
      const carrying = chosen.filter((c) => aspectsOf(c).has(aspect));
      if (carrying.length === 0) return { skip: `${field}: no mapped Palisade check is identifiable as the ${aspect} requirement, so it cannot be deselected` };
      const mixed = carrying.filter((c) => aspectsOf(c).size > 1);
      if (mixed.length > 0) return { skip: `${field}: ${mixed.map((c) => c.id).join(', ')} also enforce other resource settings, so the ${aspect} requirement cannot be deselected alone` };
      chosen = chosen.filter((c) => !carrying.includes(c));
    } else if (field === 'KubernetesVersion') {
      continue; // handled below, together with the testExpectedScore default
    } else if (!SELECTION_FIELDS.has(field)) {
      return { skip: `run config field ${field} is not translated` };
    }
  }
  // testExpectedScore runs at KubernetesVersion 1.18; other records may set their own.
  const kv = /Major:\s*(\d+),\s*Minor:\s*(\d+)/.exec(fields.get('KubernetesVersion') ?? '');
  const version = kv ? `${kv[1]}.${kv[2]}` : DEFAULT_KUBERNETES_VERSION;
  const versionParam = VERSION_PARAMETERS.find((p) => declared.has(p));
  if (versionParam) params[versionParam] = version;
  else if (version !== DEFAULT_KUBERNETES_VERSION) {
    return { skip: `KubernetesVersion ${version}: Palisade has no target-version parameter on ${checks.map((c) => c.id).join(', ')}` };
  }
  let resolved: ResolvedParameters | undefined;
  if (Object.keys(params).length > 0) {
    const parsed = parametersSchema.safeParse(params);
    if (!parsed.success) return { skip: `parameters ${JSON.stringify(params)} rejected by Palisade: ${parsed.error.issues[0]?.message ?? ''}` };
    resolved = resolveParameters(parsed.data);
  }
  const ignore = ignoreOverride ?? fields.get('UseIgnoreChecksAnnotation') === 'true';
  if (chosen.length === 0) return { skip: 'no Palisade check left after translating the run config' };
  return { checks: chosen, params: resolved, annotations: ignore ? 'on' : 'off' };
}

/** Does Palisade's answer satisfy the expectation? Returns the answer in kube-score's words too. */
export function judge(expect: Expectation, scan: ScanOutcome): { agree: boolean; got: string } {
  if (scan.crashed) return { agree: false, got: 'error (check crashed)' };
  switch (expect) {
    case 'Critical':
    case 'Warning':
      return { agree: scan.flagged, got: scan.flagged ? 'flagged' : scan.applied ? (scan.exempted ? 'exempted' : 'AllOK') : 'not applied' };
    case 'AllOK':
      return { agree: !scan.flagged, got: scan.flagged ? 'flagged' : scan.applied ? 'AllOK' : 'AllOK (not applied)' };
    case 'skipped':
      return { agree: !scan.flagged, got: scan.flagged ? 'flagged' : scan.exempted ? 'skipped (exempted)' : scan.applied ? 'AllOK' : 'skipped (not applied)' };
    case 'not-skipped':
      return { agree: scan.applied && !scan.exempted, got: scan.exempted ? 'skipped (exempted)' : scan.applied ? 'graded' : 'not applied' };
  }
}

/**
 * Replays kube-score's score tests: the record's files (together, unless files_run_separately) are
 * scanned with the Palisade checks that list the kube-score check id in `equivalents.kubeScore`.
 */
export function runKubeScore(opts: PeerRunOptions): CaseResult[] {
  const records = readJson(join(opts.corpusDir, 'expectations.json'), z.array(recordSchema));
  const optional = optionalChecks(opts.corpusDir);
  const out: CaseResult[] = [];
  for (const r of records) {
    for (const c of expand(r, optional)) if (selected(opts, c.peerCheck)) out.push(replay(c, opts));
  }
  return out;
}

/** One case to replay, or one already decided (skipped). */
interface PendingCase {
  record: KubeScoreRecord;
  peerCheck: string;
  files: string[];
  derived?: DerivedCase;
  skip?: string;
}

function expand(r: KubeScoreRecord, optional: ReadonlySet<string>): PendingCase[] {
  const fileGroups = r.files_run_separately ? r.files.map((f) => [f]) : [r.files];
  const withFiles = (peerCheck: string, derived: DerivedCase | undefined, skip?: string): PendingCase[] =>
    fileGroups.map((files) => ({ record: r, peerCheck, files, derived, skip }));

  if (r.helper.startsWith('testScore')) {
    const custom = CUSTOM_RECORDS[r.test_func];
    if (!custom) return withFiles(`(${r.test_func})`, undefined, 'custom assertion (go_body) not interpreted');
    if ('skip' in custom) return withFiles(`(${r.test_func})`, undefined, custom.skip);
    return custom.cases.flatMap((d) =>
      r.go_body?.includes(`"${d.checkId}"`) ? withFiles(d.checkId, d) : withFiles(d.checkId, undefined, 'custom assertion changed upstream: re-read go_body'),
    );
  }
  const checkId = r.check_id ?? `(${r.test_func})`;
  if (r.helper === 'wasSkipped') {
    if (typeof r.expected_skipped !== 'boolean') return withFiles(checkId, undefined, 'the upstream test asserts nothing about the verdict (only that the check is registered)');
    const enablesOptional = /EnabledOptionalTests|UseOptionalChecksAnnotation/.test(r.run_config ?? '');
    if (r.expected_skipped && optional.has(checkId) && !enablesOptional) {
      return withFiles(checkId, undefined, 'skipped only because kube-score runs optional checks on request; Palisade has no optional checks (selection is configuration)');
    }
    return withFiles(checkId, { checkId, expect: r.expected_skipped ? 'skipped' : 'not-skipped' });
  }
  const grade = parseGrade(r.expected_grade);
  if (!grade) return withFiles(checkId, undefined, `unparsed expected grade ${JSON.stringify(r.expected_grade)}`);
  return withFiles(checkId, { checkId, expect: grade });
}

function replay(c: PendingCase, opts: PeerRunOptions): CaseResult {
  const r = c.record;
  const files = c.files.map((f) => `score/testdata/${f}`);
  const base = { peer: 'kube-score' as const, peerCheck: c.peerCheck, files, source: `${r.go_file} ${r.test_func}` };
  const expected = c.derived ? (c.derived.expect === 'not-skipped' ? 'not skipped' : c.derived.expect) : '-';
  if (!c.derived || c.skip) return { ...base, palisadeChecks: [], outcome: 'skipped', expected, got: '-', note: c.skip };
  const checks = checksFor('kubeScore', c.derived.checkId, opts.checks);
  if (checks.length === 0) return { ...base, palisadeChecks: [], outcome: 'no-equivalent', expected, got: '-' };
  const ids = checks.map((k) => k.id);
  const t = translateConfig(r.run_config, r.checks_config, checks, c.derived.ignoreAnnotations);
  if ('skip' in t) return { ...base, palisadeChecks: ids, outcome: 'skipped', expected, got: '-', note: t.skip };
  const scan = scanFiles(files.map((f) => scanFile(join(opts.corpusDir, f), opts.corpusDir)), { checks: t.checks, params: t.params, annotations: t.annotations });
  const { agree, got } = judge(c.derived.expect, scan);
  return {
    ...base,
    palisadeChecks: t.checks.map((k) => k.id),
    outcome: agree ? 'agree' : 'disagree',
    expected,
    got,
    warning: c.derived.expect === 'Warning',
    notApplied: !scan.applied,
    note: agree ? undefined : scanNote(scan),
  };
}
