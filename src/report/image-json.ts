import type { ImageScanReport } from '../model/image-report.js';

/** `scan image -o json`: the report itself, schema `palisade.dev/image-scan-report/v1` (`imageScanReportSchema`). */
export function renderImageJson(report: ImageScanReport): string {
  return `${JSON.stringify(report, null, 2)}\n`;
}
