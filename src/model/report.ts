import type { InputError } from './errors.js';
import type { CheckInfo } from './check-info.js';
import type { ExemptedFinding, ExemptionIssue, Finding } from './finding.js';
import type { ResourceRef } from './resource.js';
import type { Severity } from './severity.js';

/** Version of the JSON output; bumped on any breaking change (docs/json-schema.md). */
export const SCAN_REPORT_SCHEMA = 'palisade.dev/scan-report/v1';

/** Per-check outcome in a report. */
export interface CheckSummary {
  id: string;
  slug: string;
  title: string;
  severity: Severity;
  /** Resources the check applied to. */
  applied: number;
  /** Resources with an unexempted failure. */
  failed: number;
  /** Findings suppressed by exemptions. */
  exempted: number;
  /** Whether the check earned its points in the score. */
  passed: boolean;
  /** Ids of the resources the check applied to; only filled when asked for (JUnit needs them). */
  appliedTo?: string[];
}

/** Control-level result of a framework. */
export interface ControlResult {
  id: string;
  title: string;
  checks: string[];
  status: 'pass' | 'fail' | 'not-applicable' | 'manual';
  failedResources: number;
  findings: number;
}

export interface FrameworkSummary {
  id: string;
  title: string;
  version?: string;
  controls: ControlResult[];
  passed: number;
  failed: number;
  notApplicable: number;
  manual: number;
}

/** A resource in the report, with where it came from. */
export interface ReportResource extends ResourceRef {
  id: string;
  file: string;
  line: number;
}

/** The one result of `palisade scan`, rendered by every output format. */
export interface ScanReport {
  schema: typeof SCAN_REPORT_SCHEMA;
  tool: { name: 'palisade'; version: string };
  generatedAt: string;
  inputs: string[];
  configFile?: string;
  framework?: string;
  summary: {
    files: number;
    resources: number;
    checks: number;
    findings: number;
    bySeverity: Record<Severity, number>;
    exempted: number;
    exemptionIssues: number;
    errors: number;
    skippedFiles: number;
  };
  score: { value: number; earned: number; possible: number; formula: string };
  findings: Finding[];
  exempted: ExemptedFinding[];
  exemptionIssues: ExemptionIssue[];
  errors: InputError[];
  skippedFiles: string[];
  resources: ReportResource[];
  checks: CheckSummary[];
  /** Catalogue entries of the checks that ran (for SARIF rules and JUnit). */
  catalogue: CheckInfo[];
  frameworks: FrameworkSummary[];
}
