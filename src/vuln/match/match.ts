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

/** How one package is matched: its scheme, the names it is looked up by, the driver's rules. */
interface PackagePlan {
  pkg: Package;
  scheme: VersionScheme;
  /** The names it is looked up by, each with whether its version is comparable under `scheme`. */
  lookups: Array<{ namespace: string; lookup: NameLookup; comparable: boolean }>;
  applies: (row: AffectedPackage) => boolean;
  reportsUnfixed: boolean;
  display: (v: string) => string;
}

/**
 * The rows of one name in one namespace. With a database that reads in batches, the rows of every comparable
 * lookup of every package are read up front, one query per namespace instead of one per name.
 */
function affectedReader(db: AdvisoryLookup, plans: readonly PackagePlan[]): (namespace: string, name: string) => AffectedPackage[] {
  if (!db.affectedMany) return (namespace, name) => db.affected(namespace, name);
  const names = new Map<string, Set<string>>();
  for (const { lookups } of plans) {
    for (const { namespace, lookup, comparable: ok } of lookups) {
      if (!ok) continue;
      let set = names.get(namespace);
      if (!set) names.set(namespace, (set = new Set()));
      set.add(lookup.name);
    }
  }
  const rows = new Map<string, Map<string, AffectedPackage[]>>();
  for (const [namespace, set] of names) rows.set(namespace, db.affectedMany(namespace, [...set]));
  // Two packages of one name share the rows: the matcher only reads them.
  return (namespace, name) => rows.get(namespace)?.get(name) ?? [];
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

  // First every package's plan, so that the rows of all packages of one namespace can be read at once.
  const plans: PackagePlan[] = [];
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
    // Whether each version is comparable, decided once: it gates both the batch read and the evaluation.
    const lookups = plan.map((p) => ({ ...p, comparable: comparable(scheme, p.lookup.version) }));
    plans.push({ pkg, scheme, lookups, applies, reportsUnfixed, display });
  }
  const rowsOf = affectedReader(db, plans);

  // Then each package's verdicts, one per vulnerability.
  const verdictsOf: Array<Array<Extract<Verdict, { kind: 'vulnerable' }>>> = [];
  // Verdicts by row list (shared by every lookup of one name when read in a batch) and version: the binary
  // packages of one Debian source, or two copies of one npm package, judge the same rows against the same version.
  const judged = new WeakMap<AffectedPackage[], Map<string, Array<Verdict | undefined>>>();
  for (const { scheme, lookups, applies, reportsUnfixed } of plans) {
    // Every applicable row per vulnerability id, each judged against the version of the name it was found by.
    const byId = new Map<string, Verdict[]>();
    let invalidVersion = false;
    for (const { namespace, lookup, comparable: ok } of lookups) {
      if (!ok) {
        invalidVersion = true;
        continue;
      }
      const rows = rowsOf(namespace, lookup.name);
      let byVersion = judged.get(rows);
      if (!byVersion) judged.set(rows, (byVersion = new Map()));
      const versionKey = `${scheme.id}\u0000${lookup.version}`;
      let verdicts = byVersion.get(versionKey);
      if (!verdicts) byVersion.set(versionKey, (verdicts = []));
      for (let i = 0; i < rows.length; i++) {
        const row = rows[i];
        if (!applies(row)) continue;
        const v = (verdicts[i] ??= evaluateRow(row, lookup.version, scheme));
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
    const vulnerable: Array<Extract<Verdict, { kind: 'vulnerable' }>> = [];
    for (const verdicts of byId.values()) {
      const v = combine(verdicts, scheme, reportsUnfixed);
      if (v) vulnerable.push(v);
    }
    verdictsOf.push(vulnerable);
  }

  // The records of every vulnerability found, in one batch when the database can.
  if (db.vulnerabilities) {
    const ids = new Set<string>();
    for (const list of verdictsOf) for (const v of list) ids.add(v.row.vulnerabilityId);
    const got = db.vulnerabilities([...ids]);
    for (const id of ids) records.set(id, got.get(id));
  }

  plans.forEach(({ pkg, display }, i) => {
    const found: Candidate[] = verdictsOf[i].map((v) => ({ verdict: v, record: record(v.row.vulnerabilityId) }));
    for (const c of dedupeAliases(found)) out.push(finding(pkg, c, display, dataSource));
  });

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
  // The members of each group in `found` order, gathered once: a package with hundreds of advisories would
  // otherwise filter the whole list once per kept finding.
  const members = new Map<string, Candidate[]>();
  for (const c of found) {
    const r = rep(c.verdict.row.vulnerabilityId);
    const list = members.get(r);
    if (list) list.push(c);
    else members.set(r, [c]);
  }
  // Carry the dropped ids as aliases of the kept finding.
  return kept.map((k) => {
    const r = rep(k.verdict.row.vulnerabilityId);
    const others = members.get(r)!.filter((c) => c !== k).map((c) => c.verdict.row.vulnerabilityId);
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
