import { stringify } from 'yaml';
import type { ScanReport } from '../model/report.js';

/** `-o yaml`: the same document as JSON, in YAML. */
export function renderYaml(report: ScanReport): string {
  return stringify(JSON.parse(JSON.stringify(report)), { lineWidth: 0, aliasDuplicateObjects: false });
}
