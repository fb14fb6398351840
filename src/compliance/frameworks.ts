import { z } from 'zod';
import type { ControlRef } from '../model/finding.js';
import type { ControlResult, FrameworkSummary } from '../model/report.js';

/** A framework file under content/frameworks/: controls mapped to check ids. */
export const frameworkSchema = z
  .object({
    id: z.string().regex(/^[a-z0-9][a-z0-9.-]*$/, 'framework ids are lower-case kebab-case'),
    title: z.string().min(1),
    version: z.string().optional(),
    url: z.string().url().optional(),
    description: z.string().optional(),
    controls: z
      .array(
        z
          .object({
            id: z.string().min(1),
            title: z.string().min(1),
            description: z.string().optional(),
            /** Check ids; empty for controls that need a manual review (reported as "manual"). */
            checks: z.array(z.string().regex(/^PAL-\d{3}$/, 'check ids look like PAL-001')).default([]),
          })
          .strict(),
      )
      .min(1),
  })
  .strict();
export type Framework = z.infer<typeof frameworkSchema>;

/** Result of validating a framework against the check registry. */
export interface FrameworkProblem {
  framework: string;
  control: string;
  message: string;
}

/** Lists controls that name checks which do not exist. Loading must fail on any. */
export function validateFrameworks(frameworks: readonly Framework[], checkIds: ReadonlySet<string>): FrameworkProblem[] {
  const problems: FrameworkProblem[] = [];
  const seen = new Set<string>();
  for (const f of frameworks) {
    if (seen.has(f.id)) problems.push({ framework: f.id, control: '', message: `framework id "${f.id}" is used twice` });
    seen.add(f.id);
    const controlIds = new Set<string>();
    for (const c of f.controls) {
      if (controlIds.has(c.id)) problems.push({ framework: f.id, control: c.id, message: `control id "${c.id}" is used twice` });
      controlIds.add(c.id);
      for (const id of c.checks) if (!checkIds.has(id)) problems.push({ framework: f.id, control: c.id, message: `names check ${id}, which does not exist` });
    }
  }
  return problems;
}

/** Inverts the frameworks: check id -> controls that reference it. */
export function controlsByCheck(frameworks: readonly Framework[]): Map<string, ControlRef[]> {
  const map = new Map<string, ControlRef[]>();
  for (const f of frameworks) {
    for (const c of f.controls) {
      for (const id of c.checks) {
        let l = map.get(id);
        if (!l) map.set(id, (l = []));
        l.push({ framework: f.id, control: c.id, title: c.title });
      }
    }
  }
  return map;
}

/** Outcome of one check, as the compliance engine needs it. */
export interface CheckVerdict {
  applied: number;
  failedResources: ReadonlySet<string>;
  findings: number;
}

/**
 * Control-level summary: a control fails when any of its checks fails on any resource, passes when at least
 * one of its checks applied and none failed, is not applicable when none applied, and manual when it maps no check.
 */
export function summarizeFramework(f: Framework, verdicts: ReadonlyMap<string, CheckVerdict>): FrameworkSummary {
  const controls: ControlResult[] = f.controls.map((c) => {
    if (c.checks.length === 0) return { id: c.id, title: c.title, checks: [], status: 'manual', failedResources: 0, findings: 0 };
    let applied = 0;
    let findings = 0;
    const failed = new Set<string>();
    for (const id of c.checks) {
      const v = verdicts.get(id);
      if (!v) continue;
      applied += v.applied;
      findings += v.findings;
      for (const r of v.failedResources) failed.add(r);
    }
    const status: ControlResult['status'] = failed.size > 0 ? 'fail' : applied > 0 ? 'pass' : 'not-applicable';
    return { id: c.id, title: c.title, checks: [...c.checks], status, failedResources: failed.size, findings };
  });
  const count = (s: ControlResult['status']) => controls.filter((c) => c.status === s).length;
  return { id: f.id, title: f.title, version: f.version, controls, passed: count('pass'), failed: count('fail'), notApplicable: count('not-applicable'), manual: count('manual') };
}

/** Check ids referenced by a framework (for `--framework`, which limits a scan to them). */
export function frameworkCheckIds(f: Framework): Set<string> {
  return new Set(f.controls.flatMap((c) => c.checks));
}
