/** A framework's control counts and score at one moment of its history: one connector's, or several added up. */
export interface ComplianceHistoryPoint {
  at: string;
  passed: number;
  failed: number;
  notApplicable: number;
  manual: number;
  /** Passed controls in percent of those passed or failed (one decimal); null when none passed or failed. */
  score: number | null;
}

/**
 * A framework's compliance score: passed controls in percent of those passed or failed, to one decimal; null
 * when none passed or failed (not applicable and manual controls say nothing either way). One formula for the
 * current state and for history summed over connectors.
 */
export function complianceScore(passed: number, failed: number): number | null {
  const decided = passed + failed;
  return decided ? Math.round((passed / decided) * 1000) / 10 : null;
}
