import type { Severity } from '../model/severity.js';

/** Points a check is worth, by severity. A check earns them only when every resource it applies to passes. */
export const SEVERITY_POINTS: Record<Severity, number> = { critical: 10, high: 6, medium: 3, low: 1, info: 0 };

export const SCORE_FORMULA =
  'score = 100 x (points of checks with no unexempted failure) / (points of checks that applied to at least one resource); points by severity: critical 10, high 6, medium 3, low 1, info 0; 100 when no check applied';

export interface ScoreInput {
  severity: Severity;
  applied: number;
  failed: number;
}

export interface Score {
  value: number;
  earned: number;
  possible: number;
  formula: string;
}

/** Defender-style secure score: all-or-nothing per check, weighted by severity. */
export function secureScore(checks: Iterable<ScoreInput>): Score {
  let earned = 0;
  let possible = 0;
  for (const c of checks) {
    if (c.applied === 0) continue;
    const pts = SEVERITY_POINTS[c.severity];
    possible += pts;
    if (c.failed === 0) earned += pts;
  }
  const value = possible === 0 ? 100 : Math.round((1000 * earned) / possible) / 10;
  return { value, earned, possible, formula: SCORE_FORMULA };
}
