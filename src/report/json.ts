import type { ScanReport } from '../model/report.js';

/** `-o json`: the report itself, schema `palisade.dev/scan-report/v1` (docs/json-output.md). */
export function renderJson(report: ScanReport): string {
  return `${JSON.stringify(report, null, 2)}\n`;
}
