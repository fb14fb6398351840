import { z } from 'zod';
import type { AffectedPackage, AffectedStatus, CvssScore, DataSource, VersionRange, VulnerabilityRecord } from '../../model/advisory.js';
import type { Severity } from '../../model/severity.js';
import { describeIssues, documentFailure, joinLocation, parseJsonDocument, type Feed, type FeedDocument, type FeedEntryError, type FeedParseResult } from './feed.js';
import { scoreCvss, severityOfScore } from './support/cvss.js';
import { severityFromWord } from './support/severity.js';
import { readZipDirectory, readZipEntry } from './support/zip.js';

/**
 * OSV.dev, one archive per ecosystem (`<Ecosystem>/all.zip`, one JSON record per entry). Language ecosystems
 * (GHSA, PyPA, Go, RustSec advisories) and the distributions that publish OSV (Debian, Ubuntu, Alpine, Wolfi,
 * Chainguard, AlmaLinux, Rocky Linux) come through here, and so does the Red Hat family: OSV's `Red Hat`
 * ecosystem carries every RHSA with its fixed NEVRA per RHEL major release, in the same format as the rest,
 * so one verified parser covers it (Red Hat's CSAF VEX would add unfixed and will-not-fix statuses, at the
 * cost of a second, much larger format).
 */

/** The OSV ecosystems fetched, each one archive and one data source (`osv:<key>`). */
export const OSV_ECOSYSTEMS = [
  { ecosystem: 'Debian', key: 'debian' },
  { ecosystem: 'Ubuntu', key: 'ubuntu' },
  { ecosystem: 'Alpine', key: 'alpine' },
  { ecosystem: 'npm', key: 'npm' },
  { ecosystem: 'PyPI', key: 'pypi' },
  { ecosystem: 'Go', key: 'go' },
  { ecosystem: 'Maven', key: 'maven' },
  { ecosystem: 'crates.io', key: 'crates.io' },
  { ecosystem: 'RubyGems', key: 'rubygems' },
  { ecosystem: 'NuGet', key: 'nuget' },
  { ecosystem: 'Packagist', key: 'packagist' },
  { ecosystem: 'Wolfi', key: 'wolfi' },
  { ecosystem: 'Chainguard', key: 'chainguard' },
  { ecosystem: 'Red Hat', key: 'red-hat' },
  { ecosystem: 'AlmaLinux', key: 'almalinux' },
  { ecosystem: 'Rocky Linux', key: 'rocky-linux' },
] as const;

const DEFAULT_BASE = 'https://osv-vulnerabilities.storage.googleapis.com/';

/** Language ecosystems: OSV name -> namespace (the name in lower case). */
const LANGUAGE_NAMESPACES: Record<string, string> = {
  npm: 'npm',
  PyPI: 'pypi',
  Go: 'go',
  Maven: 'maven',
  'crates.io': 'crates.io',
  RubyGems: 'rubygems',
  NuGet: 'nuget',
  Packagist: 'packagist',
};

/**
 * An OSV `package.ecosystem` string -> the archive it belongs to and the namespace of its rows. `namespace`
 * is absent for releases that Palisade does not match against (Ubuntu FIPS and Realtime streams, Red Hat
 * products other than RHEL itself such as EUS streams or OpenShift).
 * - `Debian:12` -> `debian:12`; `Ubuntu:22.04:LTS` -> `ubuntu:22.04`; `Ubuntu:Pro:18.04:LTS` -> `ubuntu:18.04:pro`
 *   (fixes only Ubuntu Pro subscribers get, kept apart from the public ones);
 * - `Alpine:v3.19` -> `alpine:3.19`; `Wolfi`, `Chainguard` -> `wolfi:rolling`, `chainguard:rolling`;
 * - `Red Hat:enterprise_linux:9::appstream`, `Red Hat:enterprise_linux:10.0` -> `redhat:9`, `redhat:10`;
 * - `AlmaLinux:9` -> `alma:9`; `Rocky Linux:8` -> `rocky:8`;
 * - `PyPI` -> `pypi`, `Maven:https://maven.google.com/` -> `maven` (same coordinates, another repository).
 */
export function mapOsvEcosystem(ecosystem: string): { document: string; namespace?: string } | undefined {
  const [family, ...rest] = ecosystem.split(':');
  const release = rest.join(':');
  const lang = LANGUAGE_NAMESPACES[family];
  if (lang) return { document: OSV_ECOSYSTEMS.find((e) => e.ecosystem === family)!.key, namespace: lang };
  let m: RegExpMatchArray | null;
  switch (family) {
    case 'Debian':
      return { document: 'debian', namespace: /^\d+$/.test(release) ? `debian:${release}` : undefined };
    case 'Ubuntu':
      if ((m = /^(\d+\.\d+)(:LTS)?$/.exec(release))) return { document: 'ubuntu', namespace: `ubuntu:${m[1]}` };
      if ((m = /^Pro:(\d+\.\d+)(:LTS)?$/.exec(release))) return { document: 'ubuntu', namespace: `ubuntu:${m[1]}:pro` };
      return { document: 'ubuntu' };
    case 'Alpine':
      if ((m = /^v(\d+\.\d+)$/.exec(release))) return { document: 'alpine', namespace: `alpine:${m[1]}` };
      return { document: 'alpine', namespace: release === 'edge' ? 'alpine:edge' : undefined };
    case 'Wolfi':
      return { document: 'wolfi', namespace: 'wolfi:rolling' };
    case 'Chainguard':
      return { document: 'chainguard', namespace: 'chainguard:rolling' };
    case 'Red Hat':
      m = /^enterprise_linux:(\d+)(\.\d+)?(::[\w.-]+)?$/.exec(release);
      return { document: 'red-hat', namespace: m ? `redhat:${m[1]}` : undefined };
    case 'AlmaLinux':
      m = /^(\d+)(\.\d+)?$/.exec(release);
      return { document: 'almalinux', namespace: m ? `alma:${m[1]}` : undefined };
    case 'Rocky Linux':
      m = /^(\d+)(\.\d+)?$/.exec(release);
      return { document: 'rocky-linux', namespace: m ? `rocky:${m[1]}` : undefined };
    default:
      return undefined;
  }
}

const str = z.string();
const eventSchema = z.object({
  introduced: str.optional(),
  fixed: str.optional(),
  last_affected: str.optional(),
  limit: str.optional(),
});
const rangeSchema = z.object({
  type: z.string().min(1),
  repo: str.optional(),
  events: z.array(eventSchema).min(1),
});
const severitySchema = z.object({ type: z.string().min(1), score: z.string().min(1) });
const specificSchema = z.record(z.string(), z.unknown()).nullish();
const affectedSchema = z.object({
  package: z.object({ ecosystem: z.string().min(1), name: z.string().min(1), purl: str.nullish() }).nullish(),
  severity: z.array(severitySchema).nullish(),
  ranges: z.array(rangeSchema).nullish(),
  versions: z.array(str).nullish(),
  ecosystem_specific: specificSchema,
  database_specific: specificSchema,
});
/** The parts of the OSV schema (1.x) that Palisade reads; other fields pass through unread. */
const recordSchema = z.object({
  id: z.string().regex(/^\S+$/, 'must be a non-empty id without spaces'),
  modified: z.string().min(1),
  published: str.nullish(),
  withdrawn: str.nullish(),
  aliases: z.array(str).nullish(),
  upstream: z.array(str).nullish(),
  summary: str.nullish(),
  details: str.nullish(),
  severity: z.array(severitySchema).nullish(),
  affected: z.array(affectedSchema).nullish(),
  references: z.array(z.object({ type: str.nullish(), url: z.string().min(1) })).nullish(),
  database_specific: specificSchema,
});
type OsvRecord = z.infer<typeof recordSchema>;
type OsvAffected = z.infer<typeof affectedSchema>;

/** Who gave a CVSS vector, from the record's id prefix (`GHSA-...` -> `ghsa`, `RHSA-...` -> `redhat`). */
function vectorSource(id: string): string {
  const prefix = id.split('-')[0].toUpperCase();
  const known: Record<string, string> = {
    GHSA: 'ghsa', RHSA: 'redhat', RHBA: 'redhat', RHEA: 'redhat', ALSA: 'almalinux', ALBA: 'almalinux', ALEA: 'almalinux',
    RLSA: 'rocky', RLBA: 'rocky', RXSA: 'rocky', UBUNTU: 'ubuntu', USN: 'ubuntu', DEBIAN: 'debian', DSA: 'debian', DLA: 'debian',
    DTSA: 'debian', ALPINE: 'alpine', PYSEC: 'pypa', GO: 'go', RUSTSEC: 'rustsec', CGA: 'chainguard', CVE: 'nvd',
  };
  return known[prefix] ?? prefix.toLowerCase();
}

/** PEP 503: PyPI names compare in lower case with runs of `-`, `_`, `.` as one `-`. */
function packageName(namespace: string, name: string): string {
  return namespace === 'pypi' ? name.replace(/[-_.]+/g, '-').toLowerCase() : name;
}

/** RHEL module stream from a purl's `rpmmod` qualifier (`nodejs:18:8090020231019152822:a75119d5` -> `nodejs:18`). */
function moduleOf(purl: string | null | undefined): string | undefined {
  const q = purl?.split('?')[1]?.split('#')[0];
  if (!q) return undefined;
  for (const pair of q.split('&')) {
    const [k, v] = pair.split('=');
    if (k === 'rpmmod' && v) {
      const parts = decodeURIComponent(v).split(':');
      if (parts.length >= 2 && parts[0] && parts[1]) return `${parts[0]}:${parts[1]}`;
    }
  }
  return undefined;
}

/** ECOSYSTEM and SEMVER ranges as Palisade ranges; GIT ranges (commit hashes) cannot match a package version. */
function toRanges(a: OsvAffected): VersionRange[] {
  const out: VersionRange[] = [];
  for (const r of a.ranges ?? []) {
    if (r.type !== 'ECOSYSTEM' && r.type !== 'SEMVER') continue;
    let open: VersionRange | undefined;
    for (const e of r.events) {
      if (e.introduced !== undefined) {
        if (open) out.push(open);
        open = e.introduced === '0' ? {} : { introduced: e.introduced };
      } else if (e.fixed !== undefined || e.last_affected !== undefined) {
        const closed: VersionRange = { ...(open ?? {}) };
        if (e.fixed !== undefined) closed.fixed = e.fixed;
        else closed.lastAffected = e.last_affected;
        out.push(closed);
        open = undefined;
      }
    }
    if (open) out.push(open);
  }
  return out;
}

/** A severity word in an affected entry's or record's free-form fields (GHSA, Debian urgency, Ubuntu priority). */
function wordSeverity(specific: Record<string, unknown> | null | undefined): Severity | undefined {
  if (!specific) return undefined;
  return severityFromWord(specific.severity) ?? severityFromWord(specific.urgency) ?? severityFromWord(specific.priority);
}

/** Ubuntu's own priority in `severity[]` (`{"type": "Ubuntu", "score": "medium"}`). */
function typedWordSeverity(list: Array<{ type: string; score: string }> | null | undefined): Severity | undefined {
  for (const s of list ?? []) if (!s.type.startsWith('CVSS_')) {
    const w = severityFromWord(s.score);
    if (w) return w;
  }
  return undefined;
}

/** Red Hat family advisories open their summary with the rating: `Important: kernel security update`. */
function summarySeverity(summary: string | null | undefined): Severity | undefined {
  const m = /^(Critical|Important|Moderate|Low):/.exec(summary ?? '');
  return m ? severityFromWord(m[1]) : undefined;
}

/** Turns one validated record into rows for the archive `document`; rows of other archives are left to them. */
function convert(rec: OsvRecord, document: string, source: DataSource, entry: string, errors: FeedEntryError[]): { vuln: VulnerabilityRecord; affected: AffectedPackage[]; outOfScope: number } {
  const cvss: CvssScore[] = [];
  const by = vectorSource(rec.id);
  (rec.severity ?? []).forEach((s, i) => {
    if (!s.type.startsWith('CVSS_')) return;
    const scored = scoreCvss(s.score, by);
    if (scored.ok) cvss.push(scored.value);
    else errors.push({ document, entry, message: `${rec.id}: severity[${i}]: ${scored.message} (vector left out)` });
  });
  const vendor = severityFromWord(rec.database_specific?.severity) ?? typedWordSeverity(rec.severity) ?? summarySeverity(rec.summary);
  const best = [...cvss].sort((a, b) => Number(b.version >= '3.0') - Number(a.version >= '3.0') || b.score - a.score)[0];
  const severity = vendor ?? (best ? severityOfScore(best) : undefined);
  const aliases = [...new Set([...(rec.aliases ?? []), ...(rec.upstream ?? [])])].filter((a) => a !== rec.id);
  const cwes = rec.database_specific?.cwe_ids;
  const vuln: VulnerabilityRecord = {
    id: rec.id,
    aliases,
    ...(rec.summary ? { title: rec.summary } : {}),
    ...(rec.details ? { description: rec.details } : {}),
    ...(severity ? { severity } : {}),
    ...(vendor ? { vendorSeverity: { [source.id]: vendor } } : {}),
    cvss,
    ...(Array.isArray(cwes) && cwes.every((c) => typeof c === 'string') && cwes.length ? { cwes: cwes as string[] } : {}),
    references: [...new Set((rec.references ?? []).map((r) => r.url))],
    ...(rec.published ? { published: rec.published } : {}),
    modified: rec.modified,
  };
  const affected: AffectedPackage[] = [];
  let outOfScope = 0;
  const seen = new Set<string>();
  for (const a of rec.affected ?? []) {
    if (!a.package) continue;
    const mapped = mapOsvEcosystem(a.package.ecosystem);
    // Multi-ecosystem advisories (one GHSA for npm and PyPI) sit in each archive; each archive keeps its own rows.
    if (!mapped || mapped.document !== document) continue;
    if (!mapped.namespace) {
      outOfScope++;
      continue;
    }
    const ranges = toRanges(a);
    const versions = a.versions ?? [];
    if (ranges.length === 0 && versions.length === 0) {
      outOfScope++;
      continue;
    }
    const fixes = [...new Set(ranges.map((r) => r.fixed).filter((f): f is string => f !== undefined))];
    const status: AffectedStatus = fixes.length > 0 ? 'fixed' : 'affected';
    const rowSeverity = wordSeverity(a.ecosystem_specific) ?? wordSeverity(a.database_specific) ?? typedWordSeverity(a.severity) ?? (mapped.namespace.includes(':') ? vendor : undefined);
    const name = packageName(mapped.namespace, a.package.name);
    const module = moduleOf(a.package.purl);
    // Red Hat lists the same package once per repository (appstream, baseos); one row per release is enough.
    if (rec.affected!.length > 1) {
      const dedupe = JSON.stringify([mapped.namespace, name, module, ranges, versions]);
      if (seen.has(dedupe)) continue;
      seen.add(dedupe);
    }
    affected.push({
      vulnerabilityId: rec.id,
      namespace: mapped.namespace,
      package: name,
      ...(module ? { module } : {}),
      status,
      ...(fixes.length === 1 ? { fixedVersion: fixes[0] } : {}),
      ...(ranges.length ? { ranges } : {}),
      ...(versions.length ? { versions } : {}),
      ...(rowSeverity ? { severity: rowSeverity } : {}),
      source: source.id,
    });
  }
  return { vuln, affected, outOfScope };
}

function dataSource(key: string, ecosystem: string): DataSource {
  return { id: `osv:${key}`, name: `OSV ${ecosystem}`, url: `https://osv.dev/list?ecosystem=${encodeURIComponent(ecosystem)}` };
}

/** Parses one ecosystem archive. */
function parseArchive(documentKey: string, bytes: Uint8Array): FeedParseResult {
  const eco = OSV_ECOSYSTEMS.find((e) => e.key === documentKey);
  if (!eco) return documentFailure(`osv: unknown document "${documentKey}"`);
  const source = dataSource(eco.key, eco.ecosystem);
  const dir = readZipDirectory(bytes);
  if (!dir.ok) return documentFailure(`${eco.ecosystem}/all.zip: ${dir.message}`);
  const result: FeedParseResult = { vulnerabilities: [], affected: [], errors: [], skipped: 0 };
  const ids = new Set<string>();
  for (const entry of dir.value) {
    if (entry.name.endsWith('/') || !entry.name.endsWith('.json')) continue;
    const data = readZipEntry(bytes, entry);
    // A damaged entry means a damaged download: drop the archive rather than import part of it.
    if (!data.ok) return documentFailure(`${eco.ecosystem}/all.zip: ${data.message}`);
    const json = parseJsonDocument(data.value);
    if (!json.ok) {
      result.errors.push({ document: documentKey, entry: entry.name, message: json.message });
      continue;
    }
    const parsed = recordSchema.safeParse(json.value);
    if (!parsed.success) {
      result.errors.push({ document: documentKey, entry: entry.name, message: `not an OSV record: ${describeIssues(parsed.error.issues)}` });
      continue;
    }
    const rec = parsed.data;
    if (rec.withdrawn) {
      result.skipped++;
      continue;
    }
    if (ids.has(rec.id)) {
      result.errors.push({ document: documentKey, entry: entry.name, message: `${rec.id} appears twice in the archive; the first one is kept` });
      continue;
    }
    ids.add(rec.id);
    const { vuln, affected, outOfScope } = convert(rec, documentKey, source, entry.name, result.errors);
    result.skipped += outOfScope;
    if (affected.length === 0) continue;
    result.vulnerabilities.push(vuln);
    result.affected.push(...affected);
  }
  return result;
}

/** OSV.dev per-ecosystem archives. */
export const osv = {
  id: 'osv',
  name: 'OSV.dev',
  homepage: 'https://osv.dev',
  defaultBase: DEFAULT_BASE,
  documents(base = DEFAULT_BASE): FeedDocument[] {
    return OSV_ECOSYSTEMS.map((e) => {
      const path = `${e.ecosystem}/all.zip`;
      return { key: e.key, path, location: joinLocation(base, path), format: 'zip', source: dataSource(e.key, e.ecosystem) };
    });
  },
  parse: parseArchive,
} satisfies Feed;
