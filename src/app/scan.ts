import { readManifests, type ManifestSet } from '../inputs/manifests/read.js';
import type { ThreadOptions } from '../inputs/manifests/threads.js';
import { DEFAULT_LIMITS, type ParseLimits } from '../inputs/manifests/parse.js';
import { PalisadeError } from '../model/errors.js';
import { SCAN_REPORT_SCHEMA, type CheckSummary, type ScanReport } from '../model/report.js';
import { SEVERITIES, type Severity } from '../model/severity.js';
import type { PalisadeConfig } from '../model/config.js';
import { controlsByCheck, frameworkCheckIds, summarizeFramework, type CheckVerdict } from '../compliance/frameworks.js';
import type { Check } from '../misconfig/check.js';
import { ALL_CHECKS } from '../misconfig/checks/index.js';
import { Evaluation, type EngineOptions, type EngineResult, type ExportedResults } from '../misconfig/engine.js';
import { resolveCheckRef } from '../misconfig/exemptions.js';
import { resolveParameters } from '../misconfig/parameters.js';
import { checkInfo } from './catalogue.js';
import { loadConfig } from './config.js';
import { loadFrameworks, toolVersion } from './content.js';
import { SCAN_WORKER, scanWorkerContext } from './scan-threads.js';

export interface ScanOptions {
  paths: string[];
  /** `--config`; otherwise palisade.yaml in the working directory, if any. */
  configFile?: string;
  /** Already-loaded config (tests, server); wins over configFile. */
  config?: PalisadeConfig;
  /** `--framework <id>`: only that framework's checks run, and its control summary is printed. */
  framework?: string;
  /** `--check`: only these checks (ids or slugs). */
  only?: string[];
  disallowAnnotationExemptions?: boolean;
  /** List every resource each check applied to (for JUnit test cases). */
  includeApplied?: boolean;
  now?: Date;
  limits?: ParseLimits;
  onFile?: (file: string, done: number, total: number) => void;
  /** Reading on worker threads (default: when there are many files); the report is the same either way. */
  threads?: ThreadOptions;
}

/** Picks the checks a scan runs: config enabled/disabled, --check and --framework. */
export function selectChecks(config: PalisadeConfig, only: string[] | undefined, frameworkIds: Set<string> | undefined): Check[] {
  const resolveAll = (refs: string[], what: string) =>
    refs.map((ref) => {
      const id = resolveCheckRef(ref, ALL_CHECKS);
      if (!id) throw new PalisadeError('E_UNKNOWN_CHECK', `${what}: "${ref}" is not a check id or slug (see \`palisade checks list\`)`);
      return id;
    });
  const disabled = new Set(resolveAll(config.checks.disabled, 'checks.disabled'));
  const enabled = config.checks.enabled ? new Set(resolveAll(config.checks.enabled, 'checks.enabled')) : undefined;
  const onlySet = only && only.length > 0 ? new Set(resolveAll(only, '--check')) : undefined;
  for (const id of Object.keys(config.checks.severity)) resolveAll([id], 'checks.severity');
  return ALL_CHECKS.filter((c) => !disabled.has(c.id) && (!enabled || enabled.has(c.id)) && (!onlySet || onlySet.has(c.id)) && (!frameworkIds || frameworkIds.has(c.id)));
}

/**
 * Reads the input and evaluates every check on it. Each chunk of files is evaluated as soon as it is
 * read, while other threads read the rest: a worker thread runs the per-resource checks on what it reads
 * and sends the results with the file texts, this thread parses those texts again (the objects live
 * here), takes in the results, and at the end runs what needs the whole input (checks that read other
 * resources) and assembles everything in input order.
 */
async function readAndEvaluate(opts: ScanOptions, engine: EngineOptions): Promise<{ manifests: ManifestSet; result: EngineResult }> {
  const evaluation = new Evaluation(engine);
  const context = scanWorkerContext(engine);
  const manifests = await readManifests(opts.paths, opts.limits ?? DEFAULT_LIMITS, opts.onFile, {
    ...opts.threads,
    worker: context && { script: SCAN_WORKER, context },
    onResources: (resources, extra, byWorker) => {
      if (byWorker && extra !== undefined) evaluation.importResults(resources, extra as ExportedResults);
      else evaluation.add(resources);
    },
  });
  return { manifests, result: evaluation.finish(manifests.resources) };
}

/** What every posture scan settles before it reads anything: config, frameworks, checks, engine options. */
export interface ScanSetup {
  config: PalisadeConfig;
  configFile?: string;
  frameworks: ReturnType<typeof loadFrameworks>;
  framework?: ReturnType<typeof loadFrameworks>[number];
  checks: Check[];
  controls: ReturnType<typeof controlsByCheck>;
  engine: EngineOptions;
}

/** Loads the config and frameworks and selects the checks of a scan (files or a live cluster alike). */
export function prepareScan(opts: Pick<ScanOptions, 'config' | 'configFile' | 'framework' | 'only' | 'disallowAnnotationExemptions' | 'includeApplied' | 'now'>): ScanSetup {
  const loaded = opts.config ? { config: opts.config, file: opts.configFile } : loadConfig(opts.configFile);
  const config = loaded.config;
  const frameworks = loadFrameworks();
  let framework;
  if (opts.framework) {
    framework = frameworks.find((f) => f.id === opts.framework);
    if (!framework) throw new PalisadeError('E_USAGE', `unknown framework "${opts.framework}"; known: ${frameworks.map((f) => f.id).join(', ')}`);
  }
  const checks = selectChecks(config, opts.only, framework ? frameworkCheckIds(framework) : undefined);
  const controls = controlsByCheck(frameworks);
  const engine: EngineOptions = {
    checks,
    params: resolveParameters(config.parameters),
    controls,
    severity: config.checks.severity,
    configExemptions: config.exemptions,
    configFile: loaded.file ?? 'palisade.yaml',
    annotationExemptions: opts.disallowAnnotationExemptions || !config.annotationExemptions.enabled ? 'off' : config.annotationExemptions.foreign ? 'on' : 'own-only',
    now: opts.now ?? new Date(),
    listApplied: opts.includeApplied === true,
  };
  return { config, configFile: loaded.file, frameworks, framework, checks, controls, engine };
}

/** Scans manifests end to end: read, evaluate, summarise. */
export async function scanManifests(opts: ScanOptions): Promise<ScanReport> {
  const { configFile, frameworks, framework, checks, controls, engine } = prepareScan(opts);
  const loaded = { file: configFile };
  const { manifests, result } = await readAndEvaluate(opts, engine);
  const report = buildReport(opts.paths, manifests, result, checks, controls, opts.now ?? new Date(), loaded.file);
  if (opts.includeApplied) for (const c of report.checks) c.appliedTo = result.outcomes.get(c.id)!.applied;
  const byCheck = verdicts(result);
  if (framework) {
    report.framework = framework.id;
    report.frameworks = [summarizeFramework(framework, byCheck)];
  } else {
    report.frameworks = frameworks.map((f) => summarizeFramework(f, byCheck));
  }
  return report;
}

/** Per check: resources it applied to, resources that failed, findings. */
export function verdicts(result: EngineResult): Map<string, CheckVerdict> {
  const findingsByCheck = new Map<string, number>();
  for (const f of result.findings) findingsByCheck.set(f.checkId, (findingsByCheck.get(f.checkId) ?? 0) + 1);
  const m = new Map<string, CheckVerdict>();
  for (const o of result.outcomes.values()) m.set(o.checkId, { applied: o.appliedCount, failedResources: o.failed, findings: findingsByCheck.get(o.checkId) ?? 0 });
  return m;
}

/** Assembles the report every output format renders. */
export function buildReport(inputs: string[], manifests: ManifestSet, result: EngineResult, checks: readonly Check[], controls: ReturnType<typeof controlsByCheck>, now: Date, configFile?: string): ScanReport {
  const bySeverity = Object.fromEntries(SEVERITIES.map((s) => [s, 0])) as Record<Severity, number>;
  for (const f of result.findings) bySeverity[f.severity]++;
  const checkSummaries: CheckSummary[] = checks.map((c) => {
    const o = result.outcomes.get(c.id)!;
    return { id: c.id, slug: c.slug, title: c.title, severity: o.severity, applied: o.appliedCount, failed: o.failed.size, exempted: o.exempted, passed: o.failed.size === 0 };
  });
  const errors = [...manifests.errors, ...result.errors];
  return {
    schema: SCAN_REPORT_SCHEMA,
    tool: { name: 'palisade', version: toolVersion() },
    generatedAt: now.toISOString(),
    inputs,
    configFile,
    summary: {
      files: manifests.files.length,
      resources: manifests.resources.length,
      checks: checks.length,
      findings: result.findings.length,
      bySeverity,
      exempted: result.exempted.length,
      exemptionIssues: result.exemptionIssues.length,
      errors: errors.length,
      skippedFiles: manifests.skippedFiles.length,
    },
    score: result.score,
    findings: result.findings,
    exempted: result.exempted,
    exemptionIssues: result.exemptionIssues,
    errors,
    skippedFiles: manifests.skippedFiles,
    resources: manifests.resources.map((r) => ({ id: r.id, apiVersion: r.apiVersion, kind: r.kind, namespace: r.namespace, name: r.name, file: r.source.file, line: r.source.line })),
    checks: checkSummaries,
    catalogue: checks.map((c) => checkInfo(c, controls)),
    frameworks: [],
  };
}
