import type { AdvisoryLookup, AffectedPackage, DataSource, DetectedVulnerability, VulnerabilityRecord } from '../../model/advisory.js';
import type { OsInfo, Package } from '../../model/package.js';
import { SEVERITIES, type Severity } from '../../model/severity.js';
import { schemeFor, type VersionScheme } from '../versioning/index.js';
import type { DriverContext, NameLookup, OsDriver } from './driver.js';
import { DRIVERS } from './drivers/index.js';
import { eolRelease, isPast, type EolTable } from './eol.js';
import { combine, comparable, evaluateRow, type Verdict } from './evaluate.js';
import { languageName, languageNamespace, LANGUAGE_SCHEMES } from './language.js';
import { findingSeverity, scoredCvss } from './severity.js';

/** Options of {@link matchPackages}. */
export interface MatchOptions {
  /** "Today", for end-of-life decisions (default: now). */
  now?: Date;
  /** The end-of-life table (`content/vuln/eol.yaml`, parsed with `parseEolTable`); without it no EOL notes. */
  eol?: EolTable;
}

/** What {@link matchPackages} found. */
export interface MatchResult {
  vulnerabilities: DetectedVulnerability[];
  /** Things a reader should know about the result (end of life, packages not matched and why). */
  notes: string[];
}

const OS_SCHEMES = new Set(['deb', 'apk', 'rpm']);

function driverFor(os: OsInfo): OsDriver | undefined {
  return DRIVERS.find((d) => d.families.includes(os.family));
}

/** Where a person reads about the vulnerability first. */
function primaryUrl(id: string, source: string, rec: VulnerabilityRecord | undefined): string | undefined {
  if (id.startsWith('GHSA-')) return `https://github.com/advisories/${id}`;
  if (id.startsWith('CVE-')) {
    if (source === 'debian-tracker' || source.startsWith('osv:debian')) return `https://security-tracker.debian.org/tracker/${id}`;
    if (source.startsWith('osv:ubuntu') || source === 'ubuntu') return `https://ubuntu.com/security/${id}`;
    if (source.startsWith('osv:red-hat') || source === 'redhat') return `https://access.redhat.com/security/cve/${id}`;
    return `https://nvd.nist.gov/vuln/detail/${id}`;
  }
  return rec?.references[0] ?? `https://osv.dev/vulnerability/${id}`;
}

/** Ids whose names say more to a reader come first when two ids name one vulnerability. */
function idPreference(id: string): number {
  if (id.startsWith('CVE-')) return 0;
  if (id.startsWith('GHSA-')) return 1;
  return 2;
}

interface Candidate {
  verdict: Extract<Verdict, { kind: 'vulnerable' }>;
  record: VulnerabilityRecord | undefined;
}

/**
 * Matches installed packages against the advisory database. OS packages go through the driver of the OS
 * family (`drivers/`), language packages through their ecosystem's namespace. A package is compared only
 * with its own version scheme; rows are combined per vulnerability (see `combine`); one package reports one
 * vulnerability once, also when two sources name it by different ids that alias each other (the CVE id is
 * kept). The result is sorted by severity (critical first), then id, then package.
 *
 * Pure: everything it knows comes from `db`, `packages`, `os` and `options`.
 */
export function matchPackages(os: OsInfo | undefined, packages: Package[], db: AdvisoryLookup, options: MatchOptions = {}): MatchResult {
  const now = options.now ?? new Date();
  const notes = new Set<string>();
  const note = (t: string) => void notes.add(t);
  const records = new Map<string, VulnerabilityRecord | undefined>();
  const record = (id: string) => {
    if (!records.has(id)) records.set(id, db.vulnerability(id));
    return records.get(id);
  };
  const sources = new Map<string, DataSource>();
  const dataSource = (id: string): DataSource => {
    let s = sources.get(id);
    if (!s) sources.set(id, (s = db.dataSource(id) ?? { id, name: id, url: '' }));
    return s;
  };

  // The OS side: one driver, its namespaces, the end-of-life note.
  const driver = os ? driverFor(os) : undefined;
  let osNamespaces: string[] | undefined;
  if (os && driver) {
    const ctx: DriverContext = { os, now, eol: options.eol, note };
    const ns = driver.namespaces(ctx);
    osNamespaces = ns?.namespaces;
    const eolFamily = driver.eolFamily?.(os);
    if (ns?.release && eolFamily && options.eol) {
      const row = eolRelease(options.eol, eolFamily, ns.release);
      if (!row) note(`${eolFamily} ${ns.release} is not in the end-of-life table (too new, or unknown); matched as usual`);
      else if (isPast(row.eol, now)) {
        const ext = row.extendedEol && !isPast(row.extendedEol, now) ? ` (extended support until ${row.extendedEol})` : '';
        note(`${eolFamily} ${ns.release}${row.codename ? ` (${row.codename})` : ''} reached its end of life on ${row.eol}${ext}: its advisories are no longer updated, so findings may be incomplete`);
      }
    }
  }

  let unmatchedOs = 0;
  let skippedVersion = 0;
  const skipReasons = new Map<string, number>();
  const unusable = new Set<string>();
  const out: DetectedVulnerability[] = [];

  for (const pkg of packages) {
    let scheme: VersionScheme;
    let plan: Array<{ namespace: string; lookup: NameLookup }>;
    let applies: (row: AffectedPackage) => boolean = () => true;
    let reportsUnfixed = true;
    let display: (v: string) => string = (v) => v;
    if (OS_SCHEMES.has(pkg.scheme)) {
      if (!driver || !osNamespaces || driver.scheme !== pkg.scheme) {
        unmatchedOs++;
        continue;
      }
      const why = driver.skip?.(pkg);
      if (why) {
        skipReasons.set(why, (skipReasons.get(why) ?? 0) + 1);
        continue;
      }
      scheme = schemeFor(driver.scheme);
      plan = osNamespaces.flatMap((namespace) => driver.lookups(pkg).map((lookup) => ({ namespace, lookup })));
      applies = (row) => driver.applies(row, pkg);
      reportsUnfixed = driver.reportsUnfixed;
      if (driver.displayFixed) display = driver.displayFixed;
    } else if ((LANGUAGE_SCHEMES as readonly string[]).includes(pkg.scheme)) {
      scheme = schemeFor(pkg.scheme);
      plan = [{ namespace: languageNamespace(pkg), lookup: { name: languageName(pkg), version: pkg.version } }];
    } else {
      continue;
    }

    // Every applicable row per vulnerability id, each judged against the version of the name it was found by.
    const byId = new Map<string, Verdict[]>();
    let invalidVersion = false;
    for (const { namespace, lookup } of plan) {
      if (!comparable(scheme, lookup.version)) {
        invalidVersion = true;
        continue;
      }
      for (const row of db.affected(namespace, lookup.name)) {
        if (!applies(row)) continue;
        const v = evaluateRow(row, lookup.version, scheme);
        if (v.kind === 'unusable') {
          unusable.add(`${row.vulnerabilityId} (${row.source}, ${namespace}/${row.package}): ${v.reason}`);
          continue;
        }
        const list = byId.get(row.vulnerabilityId);
        if (list) list.push(v);
        else byId.set(row.vulnerabilityId, [v]);
      }
    }
    if (invalidVersion && byId.size === 0) skippedVersion++;

    const found: Candidate[] = [];
    for (const verdicts of byId.values()) {
      const v = combine(verdicts, scheme, reportsUnfixed);
      if (v) found.push({ verdict: v, record: record(v.row.vulnerabilityId) });
    }
    for (const c of dedupeAliases(found)) out.push(finding(pkg, c, display, dataSource));
  }

  if (unmatchedOs > 0) {
    const why = !os ? 'no operating system was identified' : !driver ? `Palisade has no advisory data for ${os.family}` : !osNamespaces ? `${os.family} ${os.version} could not be mapped to a release` : `their package format is not ${os.family}'s`;
    note(`${unmatchedOs} OS package${unmatchedOs === 1 ? '' : 's'} not matched: ${why}`);
  }
  if (skippedVersion > 0) note(`${skippedVersion} package${skippedVersion === 1 ? '' : 's'} not matched: version not valid for its scheme`);
  for (const [why, n] of skipReasons) note(`${n} package${n === 1 ? '' : 's'} skipped: ${why}`);
  for (const u of [...unusable].slice(0, 20)) note(`advisory row ignored: ${u}`);

  return { vulnerabilities: sortFindings(dedupeFindings(out)), notes: [...notes] };
}

/** Within one package, ids that alias each other are one vulnerability: keep the CVE id, keep every alias. */
function dedupeAliases(found: Candidate[]): Candidate[] {
  if (found.length < 2) return found;
  const ids = new Set(found.map((c) => c.verdict.row.vulnerabilityId));
  const group = new Map<string, string>(); // id -> representative
  const rep = (id: string): string => {
    let r = id;
    while (group.get(r) && group.get(r) !== r) r = group.get(r)!;
    return r;
  };
  for (const id of ids) group.set(id, id);
  for (const c of found) {
    const id = c.verdict.row.vulnerabilityId;
    for (const a of c.record?.aliases ?? []) {
      if (!ids.has(a)) continue;
      const ra = rep(a);
      const rb = rep(id);
      if (ra !== rb) group.set(ra, rb);
    }
  }
  const best = new Map<string, Candidate>();
  for (const c of found) {
    const r = rep(c.verdict.row.vulnerabilityId);
    const cur = best.get(r);
    if (!cur || better(c, cur)) best.set(r, c);
  }
  const kept = [...best.values()];
  // Carry the dropped ids as aliases of the kept finding.
  return kept.map((k) => {
    const r = rep(k.verdict.row.vulnerabilityId);
    const others = found.filter((c) => c !== k && rep(c.verdict.row.vulnerabilityId) === r).map((c) => c.verdict.row.vulnerabilityId);
    if (others.length === 0) return k;
    const aliases = [...new Set([...(k.record?.aliases ?? []), ...others])].sort();
    return { verdict: k.verdict, record: k.record ? { ...k.record, aliases } : { id: k.verdict.row.vulnerabilityId, aliases, cvss: [], references: [] } };
  });
}

function better(a: Candidate, b: Candidate): boolean {
  const pa = idPreference(a.verdict.row.vulnerabilityId);
  const pb = idPreference(b.verdict.row.vulnerabilityId);
  if (pa !== pb) return pa < pb;
  const fa = a.verdict.fixedVersion !== undefined ? 0 : 1;
  const fb = b.verdict.fixedVersion !== undefined ? 0 : 1;
  if (fa !== fb) return fa < fb;
  return a.verdict.row.vulnerabilityId < b.verdict.row.vulnerabilityId;
}

function finding(pkg: Package, c: Candidate, display: (v: string) => string, dataSource: (id: string) => DataSource): DetectedVulnerability {
  const { verdict, record: rec } = c;
  const row = verdict.row;
  const cvss = scoredCvss(rec?.cvss ?? []);
  const sev = findingSeverity(row, rec, cvss);
  const d: DetectedVulnerability = {
    id: row.vulnerabilityId,
    aliases: rec?.aliases ?? [],
    package: { name: pkg.name, version: pkg.version, ecosystem: pkg.ecosystem, purl: pkg.purl },
    installedVersion: pkg.version,
    status: verdict.status,
    severity: sev.severity,
    cvss,
    references: rec?.references ?? [],
    dataSource: dataSource(row.source),
  };
  if (pkg.sourceName !== undefined) d.package.sourceName = pkg.sourceName;
  if (pkg.sourceVersion !== undefined) d.package.sourceVersion = pkg.sourceVersion;
  if (pkg.filePath !== undefined) d.package.filePath = pkg.filePath;
  if (pkg.arch !== undefined) d.package.arch = pkg.arch;
  if (verdict.fixedVersion !== undefined) d.fixedVersion = display(verdict.fixedVersion);
  if (sev.source !== undefined) d.severitySource = sev.source;
  if (rec?.title) d.title = rec.title;
  if (rec?.description) d.description = rec.description;
  const url = primaryUrl(row.vulnerabilityId, row.source, rec);
  if (url) d.primaryUrl = url;
  if (rec?.published) d.published = rec.published;
  if (rec?.modified) d.modified = rec.modified;
  if (pkg.layer) d.layer = pkg.layer;
  return d;
}

/** One finding per installed package (name, version, architecture, file) and vulnerability id. */
function dedupeFindings(list: DetectedVulnerability[]): DetectedVulnerability[] {
  const seen = new Set<string>();
  return list.filter((d) => {
    const key = [d.id, d.package.name, d.package.version, d.package.arch ?? '', d.package.filePath ?? '', d.package.ecosystem].join('\u0000');
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

const RANK = new Map<Severity, number>(SEVERITIES.map((s, i) => [s, i]));

function sortFindings(list: DetectedVulnerability[]): DetectedVulnerability[] {
  return list.sort(
    (a, b) =>
      RANK.get(a.severity)! - RANK.get(b.severity)! ||
      (a.id < b.id ? -1 : a.id > b.id ? 1 : 0) ||
      (a.package.name < b.package.name ? -1 : a.package.name > b.package.name ? 1 : 0) ||
      (a.package.version < b.package.version ? -1 : a.package.version > b.package.version ? 1 : 0) ||
      ((a.package.arch ?? '') < (b.package.arch ?? '') ? -1 : (a.package.arch ?? '') > (b.package.arch ?? '') ? 1 : 0),
  );
}
