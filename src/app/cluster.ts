import { summarizeFramework } from '../compliance/frameworks.js';
import { ClusterConnector, KubeHttp, loadKubeConfig, runPreflight, type ClusterAccess, type ClusterScope, type ClusterSnapshot, type PreflightOptions, type PreflightResult } from '../inputs/cluster/index.js';
import { evaluate } from '../misconfig/engine.js';
import type { ScanReport } from '../model/report.js';
import { buildReport, prepareScan, verdicts, type ScanOptions } from './scan.js';

/** Options of {@link scanCluster}: those of a manifest scan, with a cluster instead of paths. */
export interface ClusterScanOptions extends Pick<ScanOptions, 'configFile' | 'config' | 'framework' | 'only' | 'disallowAnnotationExemptions' | 'includeApplied' | 'now'> {
  access: ClusterAccess;
  scope?: ClusterScope;
  /** An already-open connector (tests, server); wins over `access`. */
  connector?: ClusterConnector;
  /** Called once the snapshot is read, before evaluation. */
  onSnapshot?: (snapshot: ClusterSnapshot) => void;
}

/** The cluster scanned, besides the report. */
export interface ClusterScanResult {
  report: ScanReport;
  snapshot: ClusterSnapshot;
}

/**
 * Scans a live cluster: one snapshot (every kind listed page by page), then the same posture evaluation and
 * report as `palisade scan` on files, so every output format, exemption and framework summary applies.
 */
export async function scanCluster(opts: ClusterScanOptions): Promise<ClusterScanResult> {
  const { configFile, frameworks, framework, checks, controls, engine } = prepareScan(opts);
  const now = engine.now ?? new Date();
  const connector = opts.connector ?? ClusterConnector.open(opts.access, opts.scope);
  const snapshot = await connector.snapshot();
  opts.onSnapshot?.(snapshot);
  const result = evaluate(snapshot.resources, engine);
  const input = `cluster://${encodeURIComponent(snapshot.context)}`;
  const report = buildReport([input], { resources: snapshot.resources, errors: snapshot.errors, files: [input], skippedFiles: [] }, result, checks, controls, now, configFile);
  if (opts.includeApplied) for (const c of report.checks) c.appliedTo = result.outcomes.get(c.id)!.applied;
  const byCheck = verdicts(result);
  report.frameworks = (framework ? [framework] : frameworks).map((f) => summarizeFramework(f, byCheck));
  if (framework) report.framework = framework.id;
  return { report, snapshot };
}

/** Runs the permission preflight against the cluster the access names. */
export async function clusterPreflight(access: ClusterAccess, opts: PreflightOptions = {}): Promise<PreflightResult> {
  return runPreflight(new KubeHttp(loadKubeConfig(access)), opts);
}
