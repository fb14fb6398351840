import type { CvssScore, VulnerabilityRecord } from '../../model/advisory.js';
import type { Severity } from '../../model/severity.js';

/** One stored record of a vulnerability: what one document of one source said about it. */
export interface RecordPart {
  source: string;
  record: Omit<VulnerabilityRecord, 'id'>;
}

/** NVD is the reference text for CVEs, so its title, description and CVSS come first. */
function isNvd(source: string): boolean {
  return source === 'nvd' || source.startsWith('nvd:');
}

/** NVD first, then sources by id; the order within a source (document order) is kept. */
export function orderParts(parts: readonly RecordPart[]): RecordPart[] {
  return parts
    .map((p, i) => ({ p, i }))
    .sort((a, b) => {
      const na = isNvd(a.p.source) ? 0 : 1;
      const nb = isNvd(b.p.source) ? 0 : 1;
      if (na !== nb) return na - nb;
      if (a.p.source !== b.p.source) return a.p.source < b.p.source ? -1 : 1;
      return a.i - b.i;
    })
    .map((x) => x.p);
}

function unique<T>(items: Iterable<T>): T[] {
  return [...new Set(items)];
}

/**
 * Merges what several documents and sources say about one vulnerability id into one record:
 * - aliases, CWEs and references are united (the id itself is never its own alias);
 * - title, description, overall severity: the first source that gives one, NVD first;
 * - CVSS: every distinct (source, vector), NVD's first;
 * - `vendorSeverity`: per source, the source's own map, and its overall severity under its own id;
 * - published: the earliest; modified: the latest.
 */
export function mergeRecords(id: string, parts: readonly RecordPart[]): VulnerabilityRecord | undefined {
  if (parts.length === 0) return undefined;
  const ordered = orderParts(parts);
  const out: VulnerabilityRecord = { id, aliases: [], cvss: [], references: [] };
  const vendor: Record<string, Severity> = {};
  const cvssSeen = new Set<string>();
  const cvss: CvssScore[] = [];
  const aliases: string[] = [];
  const cwes: string[] = [];
  const refs: string[] = [];
  for (const { source, record: r } of ordered) {
    if (out.title === undefined && r.title) out.title = r.title;
    if (out.description === undefined && r.description) out.description = r.description;
    if (out.severity === undefined && r.severity) out.severity = r.severity;
    if (r.severity && vendor[source] === undefined) vendor[source] = r.severity;
    for (const [s, sev] of Object.entries(r.vendorSeverity ?? {})) if (vendor[s] === undefined) vendor[s] = sev;
    for (const c of r.cvss ?? []) {
      const key = `${c.source}\u0000${c.vector}`;
      if (cvssSeen.has(key)) continue;
      cvssSeen.add(key);
      cvss.push(c);
    }
    aliases.push(...(r.aliases ?? []));
    cwes.push(...(r.cwes ?? []));
    refs.push(...(r.references ?? []));
    if (r.published && (out.published === undefined || r.published < out.published)) out.published = r.published;
    if (r.modified && (out.modified === undefined || r.modified > out.modified)) out.modified = r.modified;
  }
  out.aliases = unique(aliases.filter((a) => a !== id)).sort();
  out.cvss = cvss;
  out.references = unique(refs);
  if (cwes.length > 0) out.cwes = unique(cwes);
  if (Object.keys(vendor).length > 0) out.vendorSeverity = vendor;
  return out;
}
