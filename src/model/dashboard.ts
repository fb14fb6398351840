/**
 * What the server's dashboard views and reports show: compliance per framework from the stored findings, and the
 * posture overview. Plain data, assembled in src/app/reports.ts, served as JSON and rendered as HTML/PDF reports.
 */
import type { ComplianceHistoryPoint } from './compliance.js';
import type { Severity } from './severity.js';

/** One check of a control, counted over the assets in scope. */
export interface CheckCompliance {
  checkId: string;
  slug: string;
  title: string;
  severity: Severity;
  /** Assets of the check's target kinds without an open finding of it. */
  passed: number;
  /** Assets with at least one open finding of the check. */
  failed: number;
}

/** One control of a framework and its result. */
export interface ControlCompliance {
  id: string;
  title: string;
  /** The section a numbered control belongs to (`5.1` for CIS `5.1.3`); absent for controls without numbers. */
  section?: string;
  status: 'pass' | 'fail' | 'not-applicable' | 'manual';
  checks: CheckCompliance[];
}

/** A framework's result over the assets in scope. */
export interface FrameworkCompliance {
  id: string;
  name: string;
  version: string | null;
  url: string | null;
  description: string | null;
  passed: number;
  failed: number;
  notApplicable: number;
  manual: number;
  /** Passed controls in percent of those that passed or failed (one decimal); null when none did either. */
  score: number | null;
  controls: ControlCompliance[];
}

/** Counts per severity. */
export type SeverityTally = Record<Severity, number>;

/** What the reports print of a recommendation (findings of one check, grouped across assets; the API sends all its fields). */
export interface RecommendationLine {
  checkId: string;
  title: string;
  severity: Severity;
  remediation: string;
  /** Assets with at least one finding of the check. */
  affected: number;
  findings: number;
}

/** A running image with vulnerabilities. */
export interface RunningImageLine {
  /** Manifest digest, or null when the reference never resolved to one. */
  digest: string | null;
  /** A reference that names it, as a pod does. */
  ref: string;
  critical: number;
  high: number;
  medium: number;
  low: number;
  /** Workloads and pods that run it. */
  workloads: number;
  /** A workload that runs it is reachable from outside the cluster. */
  exposed: boolean;
}

/** Alerts raised on one UTC day, by severity. */
export interface AlertDay {
  day: string;
  critical: number;
  high: number;
  medium: number;
  low: number;
}

/** The posture at a glance: what the dashboard's overview and the posture report show. */
export interface PostureOverview {
  score: { current: number | null; trend: Array<{ at: string; score: number }> };
  recommendations: { total: number; bySeverity: SeverityTally; top: RecommendationLine[] };
  alerts: { open: number; bySeverity: SeverityTally; daily: AlertDay[] };
  assets: { byType: Array<{ type: string; count: number }> };
  vulnerableRunningImages: RunningImageLine[];
}

/** Who a report or view covers: every connector, or some by name. */
export interface ReportScope {
  /** `All connectors`, or the names of the connectors covered. */
  label: string;
  connectors: Array<{ id: string; name: string }>;
}

/** The posture report: the overview, with a title, the time and the scope. */
export interface PostureReport extends PostureOverview {
  title: string;
  generatedAt: string;
  scope: ReportScope;
}

/** The compliance report of one framework. */
export interface ComplianceReport {
  title: string;
  generatedAt: string;
  scope: ReportScope;
  framework: FrameworkCompliance;
  /** The framework's history over the report's last days, oldest first (absent: not shown). */
  history?: ComplianceHistoryPoint[];
}

