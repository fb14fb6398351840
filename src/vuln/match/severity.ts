import type { AffectedPackage, CvssScore, VulnerabilityRecord } from '../../model/advisory.js';
import { severityRank, type Severity } from '../../model/severity.js';
import { scoreCvss, severityOfScore } from '../feeds/support/cvss.js';

/**
 * CVSS entries with their base scores: a score the record lacks (or that is not a number) is computed from
 * the vector; a vector that cannot be scored is left out.
 */
export function scoredCvss(list: readonly CvssScore[]): CvssScore[] {
  const out: CvssScore[] = [];
  for (const c of list) {
    if (typeof c.score === 'number' && Number.isFinite(c.score)) {
      out.push(c);
      continue;
    }
    const s = scoreCvss(c.vector, c.source);
    if (s.ok) out.push(s.value);
  }
  return out;
}

/** Severity used when no source rates the vulnerability and it has no CVSS vector. */
export const DEFAULT_SEVERITY: Severity = 'medium';

/**
 * The severity of one finding and whose it is:
 * 1. the row's own severity (the vendor's rating for that release: Debian urgency, Red Hat impact);
 * 2. the rating the row's source gave the vulnerability (`vendorSeverity[source]`);
 * 3. the record's overall severity (NVD, GHSA), attributed to the first source that rated it so;
 * 4. the rating of the highest CVSS base score;
 * 5. `medium`, with no source: nobody rated it.
 */
export function findingSeverity(row: AffectedPackage, rec: VulnerabilityRecord | undefined, cvss: readonly CvssScore[]): { severity: Severity; source?: string } {
  if (row.severity) return { severity: row.severity, source: row.source };
  const vendor = rec?.vendorSeverity?.[row.source];
  if (vendor) return { severity: vendor, source: row.source };
  if (rec?.severity) {
    const by = Object.entries(rec.vendorSeverity ?? {}).find(([, s]) => s === rec.severity)?.[0];
    return by ? { severity: rec.severity, source: by } : { severity: rec.severity };
  }
  let best: { severity: Severity; source?: string } | undefined;
  let bestScore = -1;
  for (const c of cvss) {
    const sev = severityOfScore(c);
    if (!sev) continue;
    if (c.score > bestScore || (c.score === bestScore && best && severityRank(sev) > severityRank(best.severity))) {
      best = { severity: sev, source: c.source };
      bestScore = c.score;
    }
  }
  return best ?? { severity: DEFAULT_SEVERITY };
}
