import type { ExemptedFinding, ExemptionIssue, Finding, ControlRef } from '../model/finding.js';
import type { InputError } from '../model/errors.js';
import { formatPath } from '../model/path.js';
import { toRef, type Resource } from '../model/resource.js';
import type { Severity } from '../model/severity.js';
import type { ConfigExemption } from '../model/config.js';
import type { Check, CheckContext } from './check.js';
import { annotationExemptions, buildPeerIndex, configExemptions, exemptionCovers, exemptionIssues, type Exemption } from './exemptions.js';
import { Inventory } from './inventory.js';
import { resolveParameters, type ResolvedParameters } from './parameters.js';
import { POD_KINDS } from './pod-view.js';
import { secureScore, type Score } from './score.js';

/** Inputs of one evaluation. Everything the engine needs is passed in: it does no I/O. */
export interface EngineOptions {
  checks: readonly Check[];
  params?: ResolvedParameters;
  /** Check id -> framework controls (from content/frameworks). */
  controls?: ReadonlyMap<string, ControlRef[]>;
  /** Severity overrides by check id. */
  severity?: Readonly<Record<string, Severity>>;
  configExemptions?: readonly ConfigExemption[];
  configFile?: string;
  annotationExemptions?: 'on' | 'own-only' | 'off';
  now?: Date;
}

/** A check with what the evaluation loop needs about it, resolved once per evaluation. */
interface PlannedCheck {
  check: Check;
  outcome: CheckOutcome;
  /** Targets only pod-bearing kinds. */
  podOnly: boolean;
  frameworks: ControlRef[] | undefined;
}

/** Per-check outcome, for scores, JUnit and framework summaries. */
export interface CheckOutcome {
  checkId: string;
  severity: Severity;
  /** Resource ids the check applied to. */
  applied: string[];
  /** Resource ids with at least one unexempted failure. */
  failed: Set<string>;
  exempted: number;
}

export interface EngineResult {
  findings: Finding[];
  exempted: ExemptedFinding[];
  exemptionIssues: ExemptionIssue[];
  outcomes: Map<string, CheckOutcome>;
  errors: InputError[];
  score: Score;
  resourcesEvaluated: number;
}

/**
 * Runs every check on every resource it targets. Pod-bearing resources owned by a controller that is
 * also in the input (ReplicaSets of a Deployment, Pods of a ReplicaSet in `kubectl get all` output) are
 * reported once, on the owner.
 */
export function evaluate(resources: readonly Resource[], opts: EngineOptions): EngineResult {
  const now = opts.now ?? new Date();
  const params = opts.params ?? resolveParameters(undefined);
  const inventory = new Inventory(resources);
  const peers = buildPeerIndex(opts.checks);
  const outcomes = new Map<string, CheckOutcome>();
  for (const c of opts.checks) {
    outcomes.set(c.id, { checkId: c.id, severity: opts.severity?.[c.id] ?? c.severity, applied: [], failed: new Set(), exempted: 0 });
  }
  // Everything the loop needs per check, looked up once rather than once per resource.
  const podKinds = new Set(POD_KINDS);
  const planned = new Map<Check, PlannedCheck>();
  for (const c of opts.checks) {
    if (planned.has(c)) continue;
    planned.set(c, { check: c, outcome: outcomes.get(c.id)!, podOnly: c.kinds.every((k) => podKinds.has(k)), frameworks: opts.controls?.get(c.id) });
  }
  const byKind = new Map<string, PlannedCheck[]>();
  const wildcard: PlannedCheck[] = [];
  for (const c of opts.checks) {
    const p = planned.get(c)!;
    if (c.kinds.includes('*')) wildcard.push(p);
    for (const k of c.kinds) {
      if (k === '*') continue;
      let l = byKind.get(k);
      if (!l) byKind.set(k, (l = []));
      l.push(p);
    }
  }
  const runs = new Map<string, PlannedCheck[]>();
  const runFor = (kind: string): PlannedCheck[] => {
    let run = runs.get(kind);
    if (!run) {
      const candidates = byKind.get(kind);
      run = candidates ? (wildcard.length > 0 ? [...candidates, ...wildcard] : candidates) : wildcard;
      runs.set(kind, run);
    }
    return run;
  };
  const cfg = configExemptions(opts.configExemptions ?? [], opts.checks, now, opts.configFile ?? 'palisade.yaml');
  const allExemptions: Exemption[] = [...cfg.exemptions];
  const issues: ExemptionIssue[] = [...cfg.issues];
  const findings: Finding[] = [];
  const exempted: ExemptedFinding[] = [];
  const errors: InputError[] = [];
  const annotationMode = opts.annotationExemptions ?? 'on';
  let evaluated = 0;

  for (const resource of resources) {
    const pod = inventory.podView(resource);
    if (pod && inventory.hasOwnerInInput(resource)) continue;
    evaluated++;
    const ctx: CheckContext = { resource, object: resource.object, pod, inventory, params };
    let local: Exemption[] = [];
    if (annotationMode !== 'off') {
      const parsed = annotationExemptions(resource, pod, opts.checks, peers, annotationMode === 'on', now);
      local = parsed.exemptions;
      allExemptions.push(...local);
      issues.push(...parsed.issues);
    } else {
      const parsed = annotationExemptions(resource, pod, opts.checks, peers, true, now);
      for (const x of parsed.exemptions) {
        issues.push({ kind: 'disallowed', origin: x.origin, source: x.source, checks: x.written, reason: x.reason, message: `${resource.id}: in-manifest exemption for ${x.written.join(', ')} ignored (annotation exemptions are disallowed)` });
      }
    }
    for (const { check, outcome, podOnly, frameworks } of runFor(resource.kind)) {
      // A pod-bearing resource without a pod spec (a CronJob with `jobTemplate.spec: null`) has nothing for pod checks to judge.
      if (!pod && podOnly) continue;
      if (check.appliesTo && !check.appliesTo(ctx)) continue;
      outcome.applied.push(resource.id);
      let results;
      try {
        results = check.evaluate(ctx);
      } catch (e) {
        errors.push({ code: 'E_CHECK_CRASH', file: resource.source.file, line: resource.source.line, message: `check ${check.id} (${check.slug}) failed on ${resource.id}: ${(e as Error).message}` });
        continue;
      }
      for (const res of results) {
        const finding: Finding = {
          checkId: check.id,
          slug: check.slug,
          title: check.title,
          severity: outcome.severity,
          category: check.category,
          message: res.message,
          resource: toRef(resource),
          resourceId: resource.id,
          path: formatPath(res.path),
          location: resource.source.locate(res.path),
          remediation: check.remediation,
          frameworks: frameworks ?? [],
        };
        if (res.container !== undefined) finding.container = res.container;
        if (res.fix) finding.fix = res.fix;
        const ex = findExemption(local, cfg.exemptions, check.id, resource, res.container);
        if (ex) {
          ex.used = true;
          outcome.exempted++;
          exempted.push({ ...finding, exemption: { origin: ex.origin, reason: ex.reason, expires: ex.expires, source: ex.source } });
        } else {
          outcome.failed.add(resource.id);
          findings.push(finding);
        }
      }
    }
  }
  issues.push(...exemptionIssues(allExemptions));
  const score = secureScore([...outcomes.values()].map((o) => ({ severity: o.severity, applied: o.applied.length, failed: o.failed.size })));
  return { findings, exempted, exemptionIssues: issues, outcomes, errors, score, resourcesEvaluated: evaluated };
}

function findExemption(local: Exemption[], config: Exemption[], checkId: string, r: Resource, container: string | undefined): Exemption | undefined {
  for (const list of [local, config]) {
    for (const x of list) {
      if (x.expired) continue;
      if (exemptionCovers(x, checkId, r, container)) return x;
    }
  }
  return undefined;
}
