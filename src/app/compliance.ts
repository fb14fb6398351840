/**
 * Compliance per framework from what the store keeps: the current state (the compliance engine's control rules
 * over the stored findings) and its history (a point per connector and framework written by every sync).
 */
import { summarizeFramework, type CheckVerdict, type Framework } from '../compliance/frameworks.js';
import { ALL_CHECKS } from '../misconfig/checks/index.js';
import { complianceScore, type ComplianceHistoryPoint } from '../model/compliance.js';
import type { ControlCompliance, FrameworkCompliance } from '../model/dashboard.js';
import type { Store } from '../storage/store.js';
import { loadFrameworks } from './content.js';

/**
 * Which stored data a view covers: one connector, the connectors a caller may read (role bindings), or both
 * (their intersection, which the route's authorisation has already made the one connector). Neither: all.
 */
export interface DataScope {
  connectorId?: string;
  connectorIds?: readonly string[];
}

const CHECKS = new Map(ALL_CHECKS.map((c) => [c.id, c]));

/** `5.1` for CIS-style numbered controls (`5.1.3`); undefined for named ones. */
function sectionOf(controlId: string): string | undefined {
  const m = /^(\d+(?:\.\d+)*)\.\d+$/.exec(controlId);
  return m?.[1];
}

/** The frameworks known to the server (content/frameworks), by id. */
export function findFramework(id: string): Framework | undefined {
  return loadFrameworks().find((f) => f.id === id);
}

/**
 * Compliance of frameworks over the stored findings in scope. Per check, the assets with an open finding of it
 * fail, and the other assets of its target kinds pass; the control rules are the compliance engine's
 * ({@link summarizeFramework}), as in `palisade scan --framework`. Exempted findings are not stored, so an
 * exempted asset counts as passing. The objects a check skips although they are of its kinds (pods and
 * ReplicaSets a controller owns, which are assessed through their owner) count as passing too: the store keeps
 * assets, not which checks applied to them.
 */
export async function frameworkCompliance(store: Store, scope: DataScope, frameworks: readonly Framework[] = loadFrameworks()): Promise<FrameworkCompliance[]> {
  const checkIds = [...new Set(frameworks.flatMap((f) => f.controls.flatMap((c) => c.checks)))];
  const failing = new Map<string, Set<string>>();
  for (const p of await store.listFindingAssets({ checkIds, connectorId: scope.connectorId, connectorIds: scope.connectorIds })) {
    let s = failing.get(p.checkId);
    if (!s) failing.set(p.checkId, (s = new Set()));
    s.add(p.assetId);
  }
  const byKind = new Map((await store.countAssets({ by: 'kind', connectorId: scope.connectorId, connectorIds: scope.connectorIds })).map((k) => [k.value, k.count]));
  const allObjects = [...byKind.values()].reduce((a, b) => a + b, 0);
  const verdicts = new Map<string, CheckVerdict>();
  for (const id of checkIds) {
    const kinds = CHECKS.get(id)?.kinds ?? [];
    const ofKinds = kinds.includes('*') ? allObjects : kinds.reduce((n, k) => n + (byKind.get(k) ?? 0), 0);
    const failed = failing.get(id) ?? new Set<string>();
    // Findings are counted per asset here: the store's finding rows are per field, which no view of this needs.
    verdicts.set(id, { applied: Math.max(ofKinds, failed.size), failedResources: failed, findings: failed.size });
  }
  return frameworks.map((f) => {
    const summary = summarizeFramework(f, verdicts);
    const controls = summary.controls.map((c): ControlCompliance => {
      const section = sectionOf(c.id);
      return {
        id: c.id,
        title: c.title,
        ...(section ? { section } : {}),
        status: c.status,
        checks: c.checks.map((id) => {
          const check = CHECKS.get(id);
          const v = verdicts.get(id)!;
          return { checkId: id, slug: check?.slug ?? id, title: check?.title ?? id, severity: check?.severity ?? 'info', passed: v.applied - v.failedResources.size, failed: v.failedResources.size };
        }),
      };
    });
    return {
      id: f.id,
      name: f.title,
      version: f.version ?? null,
      url: f.url ?? null,
      description: f.description ?? null,
      passed: summary.passed,
      failed: summary.failed,
      notApplicable: summary.notApplicable,
      manual: summary.manual,
      score: complianceScore(summary.passed, summary.failed),
      controls,
    };
  });
}

/**
 * Records the compliance of every framework over one connector's stored data, as {@link frameworkCompliance}
 * reads it: called in a sync's transaction after its findings are written, so the point is what the compliance
 * API answers for that connector right after the sync. Two queries for all frameworks.
 */
export async function recordCompliance(store: Store, connectorId: string, at: string): Promise<void> {
  const results = await frameworkCompliance(store, { connectorId });
  await store.appendCompliancePoints(results.map((f) => ({ connectorId, framework: f.id, at, passed: f.passed, failed: f.failed, notApplicable: f.notApplicable, manual: f.manual, score: f.score })));
}

/**
 * A framework's history in scope since `since`, oldest first: one connector's points (one per hour at most),
 * or over several connectors (or all) one point per day summing each connector's latest.
 */
export async function complianceHistory(store: Store, scope: DataScope, frameworkId: string, since?: string): Promise<ComplianceHistoryPoint[]> {
  return store.listCompliancePoints({ framework: frameworkId, connectorId: scope.connectorId, connectorIds: scope.connectorIds, since });
}
