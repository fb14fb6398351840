/**
 * Trivy's fixture vulnerability database (its bolt buckets written as YAML, in the shared corpus) read into
 * Palisade's store, so Palisade's matcher can be checked against Trivy's own detector expectations.
 *
 * Trivy's layout: a list of top-level buckets, each `{bucket, pairs}`; a pair is a nested `{bucket, pairs}` or a
 * `{key, value}`. Top-level buckets:
 * - `"<os> <release>"` (`debian 9`, `alpine 3.10`, `Oracle Linux 7`, `openSUSE Leap 15.3`): package ->
 *   vulnerability id -> `{FixedVersion, AffectedVersion, Status, Severity, Entries[{FixedVersion, Arches}]}`;
 * - `Red Hat`: package (or `<module>::<package>`) -> CVE or RHSA id -> `{Entries[{FixedVersion, Affected
 *   (indices into "Red Hat CPE"), Arches, Cves[{ID, Severity}], Status}]}`;
 * - `"<ecosystem>::<source>"` (`npm::GitHub Security Advisory Npm`): package -> id ->
 *   `{VulnerableVersions, PatchedVersions, UnaffectedVersions}` as constraint strings;
 * - `vulnerability`: id -> `{Title, Description, Severity, CVSS{<source>{V2Vector, V3Vector, V40Vector}},
 *   VendorSeverity, CweIDs, References, PublishedDate, LastModifiedDate}`;
 * - `data-source`: bucket name -> `{ID, Name, URL}`.
 *
 * Every value is validated; a bucket holding a malformed value is reported and not imported (Trivy's
 * detectors fail on those: "failed to get ... advisories"), the rest imports.
 */
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { z } from 'zod';
import type { AdvisoryWriter, AffectedPackage, AffectedStatus, CvssScore, DataSource, VersionRange, VulnerabilityRecord } from '../../src/model/advisory.js';
import type { Severity } from '../../src/model/severity.js';
import { scoreCvss } from '../../src/vuln/feeds/support/cvss.js';

/** A Trivy bucket tree: nested buckets and key/value pairs. */
interface BucketNode {
  bucket?: string;
  key?: string;
  value?: unknown;
  pairs?: BucketNode[];
}

const nodeSchema: z.ZodType<BucketNode> = z.lazy(() =>
  z.object({ bucket: z.string().optional(), key: z.union([z.string(), z.number()]).transform(String).optional(), value: z.unknown().optional(), pairs: z.array(nodeSchema).nullish().transform((p) => p ?? undefined) }),
);

/** Trivy's severity numbers (`types.Severity`): 0 unknown, 1 low, 2 medium, 3 high, 4 critical. */
const SEVERITY_NUMBERS: Record<number, Severity | undefined> = { 0: undefined, 1: 'low', 2: 'medium', 3: 'high', 4: 'critical' };
/** Trivy's status numbers (`types.Status`). */
const STATUS_NUMBERS: Record<number, AffectedStatus | undefined> = {
  0: undefined,
  1: 'not-affected',
  2: 'affected',
  3: 'fixed',
  4: 'under-investigation',
  5: 'will-not-fix',
  6: 'fix-deferred',
  7: 'end-of-life',
};

const severityNumber = z.number().refine((n) => Number.isInteger(n) && n >= 0 && n <= 4, 'a Trivy severity number (0-4)');
const statusNumber = z.number().int().min(0).max(7);

const entrySchema = z.object({
  FixedVersion: z.string().optional(),
  Affected: z.array(z.number().int()).optional(),
  Arches: z.array(z.string()).optional(),
  Cves: z.array(z.object({ ID: z.string().optional(), Severity: severityNumber.optional() })).optional(),
  Status: statusNumber.optional(),
  VendorIDs: z.array(z.string()).optional(),
});

const advisorySchema = z
  .object({
    FixedVersion: z.string().optional(),
    AffectedVersion: z.string().optional(),
    Status: statusNumber.optional(),
    Severity: severityNumber.optional(),
    VendorIDs: z.array(z.string()).optional(),
    Arches: z.array(z.string()).optional(),
    Entries: z.array(entrySchema).optional(),
    VulnerableVersions: z.array(z.string()).optional(),
    PatchedVersions: z.array(z.string()).optional(),
    UnaffectedVersions: z.array(z.string()).optional(),
  })
  .loose();

const cvssEntrySchema = z.object({ V2Vector: z.string().optional(), V3Vector: z.string().optional(), V40Vector: z.string().optional() }).loose();
const vulnerabilitySchema = z
  .object({
    Title: z.string().optional(),
    Description: z.string().optional(),
    Severity: z.string().optional(),
    CVSS: z.record(z.string(), cvssEntrySchema).optional(),
    VendorSeverity: z.record(z.string(), severityNumber).optional(),
    CweIDs: z.array(z.string()).optional(),
    References: z.array(z.string()).optional(),
    PublishedDate: z.union([z.string(), z.date()]).optional(),
    LastModifiedDate: z.union([z.string(), z.date()]).optional(),
  })
  .loose();

// Trivy's own fixtures have a source without an ID (cargo); it is named after its Name then.
const dataSourceSchema = z.object({ ID: z.string().optional(), Name: z.string(), URL: z.string() });

/** Trivy ecosystem prefixes -> Palisade (OSV) namespaces. */
const ECOSYSTEMS: Record<string, string> = {
  npm: 'npm',
  pip: 'pypi',
  go: 'go',
  maven: 'maven',
  rubygems: 'rubygems',
  cargo: 'crates.io',
  nuget: 'nuget',
  composer: 'packagist',
  conan: 'conan',
  pub: 'pub',
  swift: 'swift',
  cocoapods: 'cocoapods',
  erlang: 'hex',
  julia: 'julia',
};

/**
 * The Palisade namespace of a Trivy bucket, or undefined for buckets of distributions and sources Palisade
 * does not match (Bottlerocket, Echo, MinimOS, Root.io, Seal, RapidFort, Kubernetes...). `Red Hat` is special:
 * its namespaces come from the CPEs of each entry.
 */
export function trivyNamespace(bucket: string): string | undefined {
  let m: RegExpExecArray | null;
  if ((m = /^debian (\d+)$/.exec(bucket))) return `debian:${m[1]}`;
  if ((m = /^ubuntu (\d+\.\d+)(-ESM)?$/.exec(bucket))) return m[2] ? `ubuntu:${m[1]}:pro` : `ubuntu:${m[1]}`;
  if ((m = /^alpine (\d+\.\d+|edge)$/.exec(bucket))) return `alpine:${m[1]}`;
  if (bucket === 'wolfi' || bucket === 'chainguard') return `${bucket}:rolling`;
  if ((m = /^alma(?:linux)? (\d+)$/i.exec(bucket))) return `alma:${m[1]}`;
  if ((m = /^rocky(?:linux)? (\d+)$/i.exec(bucket))) return `rocky:${m[1]}`;
  if ((m = /^Oracle Linux (\d+)$/.exec(bucket))) return `oracle:${m[1]}`;
  if ((m = /^amazon linux (\d+)$/.exec(bucket))) return `amazon:${m[1]}`;
  if ((m = /^Red Hat Enterprise Linux (\d+)$/.exec(bucket))) return `redhat:${m[1]}`;
  if ((m = /^fedora (\d+)$/.exec(bucket))) return `fedora:${m[1]}`;
  if ((m = /^SUSE Linux Enterprise Micro (\d+(?:\.\d+)?)$/.exec(bucket))) return `sle-micro:${m[1]}`;
  if ((m = /^SUSE Linux Enterprise (\d+)(?:\.(\d+)|-SP(\d+))?$/.exec(bucket))) return `sles:${m[1]}${m[2] ?? m[3] ? `.${m[2] ?? m[3]}` : ''}`;
  if ((m = /^openSUSE Leap (\d+\.\d+)$/.exec(bucket))) return `opensuse-leap:${m[1]}`;
  if (bucket === 'openSUSE Tumbleweed') return 'opensuse-tumbleweed:rolling';
  if ((m = /^Photon OS (\d+\.\d+)$/.exec(bucket))) return `photon:${m[1]}`;
  if ((m = /^(?:CBL-Mariner|Azure Linux) (\d+\.\d+)$/.exec(bucket))) return `azurelinux:${m[1]}`;
  if ((m = /^([a-z]+)::/.exec(bucket)) && ECOSYSTEMS[m[1]]) return ECOSYSTEMS[m[1]];
  return undefined;
}

/** One bucket's worth of rows, ready for `AdvisoryWriter.replaceDocument`. */
export interface FixtureDocument {
  source: DataSource;
  key: string;
  vulnerabilities: VulnerabilityRecord[];
  affected: AffectedPackage[];
}

export interface TrivyFixtures {
  documents: FixtureDocument[];
  /** Malformed values (`<file>: <bucket>/<package>/<id>: <problem>`); their buckets were left out. */
  errors: string[];
  /** Top-level buckets Palisade has no namespace for. */
  unsupported: string[];
}

function sev(n: number | undefined): Severity | undefined {
  return n === undefined ? undefined : SEVERITY_NUMBERS[n];
}

function isoOf(v: string | Date | undefined): string | undefined {
  if (v === undefined) return undefined;
  return v instanceof Date ? v.toISOString() : v;
}

function issueText(e: z.ZodError): string {
  const i = e.issues[0];
  return `${i?.path.join('.') || 'value'}: ${i?.message ?? 'invalid'}`;
}

/** `>= 1.0, < 2.0` style constraints (one AND group) -> a range, or explicit versions; undefined when not expressible. */
function constraintToRange(c: string): { range?: VersionRange; version?: string } | undefined {
  const t = c.trim();
  if (t === '' || t === '*') return { range: { introduced: '0' } };
  // Maven/NuGet interval notation: [a,b) (a,b] [a,] (,b) [a]
  const iv = /^([[(])\s*([^,\])]*)\s*(?:,\s*([^\])]*))?\s*([\])])$/.exec(t);
  if (iv) {
    const [, , lo, hi, close] = iv;
    if (hi === undefined) return lo ? { version: lo.trim() } : undefined;
    const r: VersionRange = { introduced: lo?.trim() ? lo.trim() : '0' };
    if (hi?.trim()) {
      if (close === ')') r.fixed = hi.trim();
      else r.lastAffected = hi.trim();
    }
    // An exclusive lower bound `(a,` has no OSV equivalent; read as inclusive, close enough for test data.
    return { range: r };
  }
  const range: VersionRange = {};
  for (const part of t.split(/\s*,\s*|\s+(?=[<>=!~^])/)) {
    const m = /^(>=|<=|>|<|==|=|!=)?\s*v?(\S+)$/.exec(part.trim());
    if (!m) return undefined;
    const [, op = '=', v] = m;
    if (op === '>=' || op === '>') range.introduced = v;
    else if (op === '<') range.fixed = v;
    else if (op === '<=') range.lastAffected = v;
    else if (op === '=' || op === '==') return { version: v };
    else return undefined;
  }
  if (range.introduced === undefined) range.introduced = '0';
  return { range };
}

/** A row from Trivy's language-advisory constraints (`VulnerableVersions`, else the complement of `PatchedVersions`). */
function languageRow(base: Omit<AffectedPackage, 'status'>, adv: z.infer<typeof advisorySchema>): AffectedPackage | string {
  const ranges: VersionRange[] = [];
  const versions: string[] = [];
  if (adv.VulnerableVersions && adv.VulnerableVersions.length > 0) {
    for (const group of adv.VulnerableVersions.flatMap((v) => v.split('||'))) {
      const r = constraintToRange(group);
      if (!r) return `VulnerableVersions "${group}" is not a constraint this loader reads`;
      if (r.range) ranges.push(r.range);
      if (r.version) versions.push(r.version);
    }
  } else if (adv.PatchedVersions && adv.PatchedVersions.length > 0) {
    // Affected below the lowest patched version (the common case: one `>= x` or bare `x`).
    const lows = adv.PatchedVersions.map((p) => /^(?:>=\s*)?v?([^\s,<>=]+)/.exec(p.trim())?.[1]).filter((x): x is string => !!x);
    if (lows.length !== adv.PatchedVersions.length) return `PatchedVersions ${JSON.stringify(adv.PatchedVersions)} are not constraints this loader reads`;
    ranges.push({ introduced: '0', fixed: lows[0] });
  } else {
    return 'neither VulnerableVersions nor PatchedVersions';
  }
  const fixes = ranges.map((r) => r.fixed).filter((f): f is string => f !== undefined);
  const row: AffectedPackage = { ...base, status: fixes.length > 0 ? 'fixed' : 'affected' };
  if (fixes.length === 1) row.fixedVersion = fixes[0];
  if (ranges.length) row.ranges = ranges;
  if (versions.length) row.versions = versions;
  return row;
}

interface RawBucket {
  file: string;
  name: string;
  pairs: BucketNode[];
}

/** Reads Trivy fixture files into documents (one per top-level bucket). Never throws for bad values. */
export function readTrivyFixtures(files: readonly string[]): TrivyFixtures {
  const errors: string[] = [];
  const unsupported = new Set<string>();
  const buckets: RawBucket[] = [];
  for (const file of files) {
    let raw: unknown;
    try {
      raw = parse(readFileSync(file, 'utf8'));
    } catch (e) {
      errors.push(`${file}: ${(e as Error).message}`);
      continue;
    }
    const parsed = z.array(nodeSchema).safeParse(raw ?? []);
    if (!parsed.success) {
      errors.push(`${file}: not a Trivy fixture: ${issueText(parsed.error)}`);
      continue;
    }
    for (const b of parsed.data) if (b.bucket) buckets.push({ file, name: b.bucket, pairs: b.pairs ?? [] });
  }

  // Pass 1: data sources, Red Hat CPEs, vulnerability details.
  const sources = new Map<string, z.infer<typeof dataSourceSchema>>();
  const cpes = new Map<number, string>();
  const records: VulnerabilityRecord[] = [];
  for (const b of buckets) {
    if (b.name === 'data-source') {
      for (const p of b.pairs) {
        const d = dataSourceSchema.safeParse(p.value);
        if (p.key && d.success) sources.set(p.key, d.data);
        else errors.push(`${b.file}: data-source/${p.key ?? '?'}: ${d.success ? 'no key' : issueText(d.error)}`);
      }
    } else if (b.name === 'Red Hat CPE') {
      for (const sub of b.pairs.filter((p) => p.bucket === 'cpe')) {
        for (const p of sub.pairs ?? []) if (p.key !== undefined && typeof p.value === 'string') cpes.set(Number(p.key), p.value);
      }
    } else if (b.name === 'vulnerability') {
      for (const p of b.pairs) {
        const v = vulnerabilitySchema.safeParse(p.value ?? {});
        if (!p.key || !v.success) {
          errors.push(`${b.file}: vulnerability/${p.key ?? '?'}: ${v.success ? 'no key' : issueText(v.error)}`);
          continue;
        }
        records.push(vulnerabilityRecord(p.key, v.data, (m) => errors.push(`${b.file}: vulnerability/${p.key}: ${m}`)));
      }
    }
  }

  const documents: FixtureDocument[] = [];
  if (records.length > 0) {
    documents.push({ source: { id: 'trivy-vulnerability', name: 'Trivy fixture vulnerability details', url: 'https://github.com/aquasecurity/trivy' }, key: 'vulnerability', vulnerabilities: records, affected: [] });
  }

  // Pass 2: advisories.
  for (const b of buckets) {
    if (b.name === 'data-source' || b.name === 'Red Hat CPE' || b.name === 'vulnerability') continue;
    const isRedHat = b.name === 'Red Hat';
    const namespace = isRedHat ? undefined : trivyNamespace(b.name);
    if (!isRedHat && !namespace) {
      unsupported.add(b.name);
      continue;
    }
    const ds = sources.get(b.name);
    const language = /::/.test(b.name);
    const dsId = ds ? ds.ID || ds.Name.toLowerCase().replace(/[^a-z0-9]+/g, '-') : undefined;
    const sourceId = dsId ? (language ? `${dsId}:${namespace}` : dsId) : isRedHat ? 'redhat' : `trivy:${b.name}`;
    const source: DataSource = { id: sourceId, name: ds?.Name ?? (isRedHat ? 'Red Hat OVAL v2' : b.name), url: ds?.URL ?? '' };
    const affected: AffectedPackage[] = [];
    const bucketErrors: string[] = [];
    for (const pkgNode of b.pairs) {
      if (!pkgNode.bucket) continue;
      let pkgName = pkgNode.bucket;
      let module: string | undefined;
      // Modular packages: `<module>:<stream>::<package>`.
      const mm = /^(.+?:.+?)::(.+)$/.exec(pkgName);
      if (mm && !language) {
        module = mm[1];
        pkgName = mm[2];
      }
      for (const p of pkgNode.pairs ?? []) {
        if (p.key === undefined) continue;
        const where = `${b.file}: ${b.name}/${pkgNode.bucket}/${p.key}`;
        const adv = advisorySchema.safeParse(p.value ?? {});
        if (!adv.success) {
          bucketErrors.push(`${where}: ${issueText(adv.error)}`);
          continue;
        }
        const a = adv.data;
        const base = { vulnerabilityId: p.key, package: namespace === 'pypi' ? pkgName.toLowerCase().replace(/[-_.]+/g, '-') : pkgName, source: sourceId, ...(module ? { module } : {}) };
        if (isRedHat) {
          const rows = redHatRows(base, a, cpes);
          if (typeof rows === 'string') bucketErrors.push(`${where}: ${rows}`);
          else affected.push(...rows);
          continue;
        }
        if (language) {
          const row = languageRow({ ...base, namespace: namespace! }, a);
          if (typeof row === 'string') bucketErrors.push(`${where}: ${row}`);
          else affected.push(row);
          continue;
        }
        affected.push(...osRows({ ...base, namespace: namespace! }, a));
      }
    }
    if (bucketErrors.length > 0) {
      errors.push(...bucketErrors);
      continue;
    }
    // The same bucket in two files is one bucket, as in bolt.
    const same = documents.find((d) => d.key === b.name && d.source.id === source.id);
    if (same) same.affected.push(...affected);
    else documents.push({ source, key: b.name, vulnerabilities: [], affected });
  }
  return { documents, errors, unsupported: [...unsupported] };
}

/** Rows of a distribution bucket: one per entry when the advisory has per-architecture entries. */
function osRows(base: Omit<AffectedPackage, 'status'>, a: z.infer<typeof advisorySchema>): AffectedPackage[] {
  const one = (fixed: string | undefined, arches: string[] | undefined, status: number | undefined): AffectedPackage => {
    const mapped = status !== undefined ? STATUS_NUMBERS[status] : undefined;
    const row: AffectedPackage = { ...base, status: mapped ?? (fixed ? 'fixed' : 'affected') };
    if (fixed) row.fixedVersion = fixed;
    const severity = sev(a.Severity);
    if (severity) row.severity = severity;
    if (arches && arches.length > 0) row.arches = arches;
    // Alpine's AffectedVersion: the version that introduced the issue.
    if (a.AffectedVersion) row.ranges = [{ introduced: a.AffectedVersion, ...(fixed ? { fixed } : {}) }];
    return row;
  };
  if (a.Entries && a.Entries.length > 0) return a.Entries.map((e) => one(e.FixedVersion || undefined, e.Arches, e.Status ?? a.Status));
  return [one(a.FixedVersion || undefined, a.Arches, a.Status)];
}

/** Red Hat OVAL v2 rows: one per entry and CVE, in the namespaces of the entry's CPEs (`redhat:<major>`). */
function redHatRows(base: Omit<AffectedPackage, 'status' | 'namespace'>, a: z.infer<typeof advisorySchema>, cpes: Map<number, string>): AffectedPackage[] | string {
  if (!a.Entries) return 'no Entries';
  const out: AffectedPackage[] = [];
  for (const e of a.Entries) {
    const majors = new Set<string>();
    for (const i of e.Affected ?? []) {
      // Indices without a CPE in "Red Hat CPE" are products the fixture does not describe: no row, as in Trivy.
      const m = /^cpe:\/[ao]:redhat:enterprise_linux:(\d+)/.exec(cpes.get(i) ?? '');
      if (m) majors.add(m[1]);
    }
    const cves = e.Cves && e.Cves.length > 0 ? e.Cves : [{}];
    for (const ns of majors) {
      for (const c of cves as Array<{ ID?: string; Severity?: number }>) {
        const status = e.Status !== undefined ? STATUS_NUMBERS[e.Status] : undefined;
        const row: AffectedPackage = { ...base, vulnerabilityId: c.ID || base.vulnerabilityId, namespace: `redhat:${ns}`, status: status ?? (e.FixedVersion ? 'fixed' : 'affected') };
        if (e.FixedVersion) row.fixedVersion = e.FixedVersion;
        const s = sev(c.Severity);
        if (s) row.severity = s;
        if (e.Arches && e.Arches.length > 0) row.arches = e.Arches;
        out.push(row);
      }
    }
  }
  return out;
}

function vulnerabilityRecord(id: string, v: z.infer<typeof vulnerabilitySchema>, problem: (m: string) => void): VulnerabilityRecord {
  const cvss: CvssScore[] = [];
  for (const [source, c] of Object.entries(v.CVSS ?? {})) {
    for (const vector of [c.V2Vector, c.V3Vector, c.V40Vector]) {
      if (!vector) continue;
      // Trivy writes CVSS 2 vectors without the `CVSS:2.0/` prefix.
      const s = scoreCvss(/^CVSS:/.test(vector) ? vector : `CVSS:2.0/${vector}`, source);
      if (s.ok) cvss.push(s.value);
      else problem(s.message);
    }
  }
  const rec: VulnerabilityRecord = { id, aliases: [], cvss, references: v.References ?? [] };
  if (v.Title) rec.title = v.Title;
  if (v.Description) rec.description = v.Description;
  const overall = v.Severity?.toLowerCase();
  if (overall === 'low' || overall === 'medium' || overall === 'high' || overall === 'critical') rec.severity = overall;
  const vendor: Record<string, Severity> = {};
  for (const [s, n] of Object.entries(v.VendorSeverity ?? {})) {
    const x = sev(n);
    if (x) vendor[s] = x;
  }
  if (Object.keys(vendor).length > 0) rec.vendorSeverity = vendor;
  if (v.CweIDs?.length) rec.cwes = v.CweIDs;
  const published = isoOf(v.PublishedDate);
  const modified = isoOf(v.LastModifiedDate);
  if (published) rec.published = published;
  if (modified) rec.modified = modified;
  return rec;
}

/** Writes the documents through an `AdvisoryWriter` (Palisade's store), one document per bucket. */
export function writeTrivyFixtures(fixtures: TrivyFixtures, writer: AdvisoryWriter, importedAt = '2024-01-01T00:00:00.000Z'): void {
  for (const d of fixtures.documents) {
    writer.replaceDocument(d.source, d.key, { url: `trivy-fixture:${d.key}`, digest: `sha256:${'0'.repeat(64)}`, importedAt, vulnerabilities: d.vulnerabilities.length, affected: d.affected.length }, { vulnerabilities: d.vulnerabilities, affected: d.affected });
  }
}
