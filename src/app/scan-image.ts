import { existsSync } from 'node:fs';
import { formatPlatform, openImage, resolveSource, type RegistryOptions, type WalkProgress } from '../inputs/image/index.js';
import { looksLikeJsonFile, readSbomFile } from '../inputs/sbom/index.js';
import type { AdvisoryLookup, DataSource, DetectedVulnerability, ImageScanTarget } from '../model/advisory.js';
import { PalisadeError } from '../model/errors.js';
import { IMAGE_SCAN_REPORT_SCHEMA, type AnalysisErrorEntry, type DbInfo, type ImageInventory, type ImageScanReport } from '../model/image-report.js';
import type { OsInfo, Package } from '../model/package.js';
import { SEVERITIES, type Severity } from '../model/severity.js';
import { analyzeFiles, wantedByAny } from '../vuln/analyzers/run.js';
import { applyIgnores } from '../vuln/ignore.js';
import { toolVersion } from './content.js';
import { loadIgnoreFile } from './ignore-file.js';

/** The vulnerability database, opened read-only, as a scan uses it. */
export interface VulnDatabase extends AdvisoryLookup {
  /** ISO time of the last successful update or import; undefined when unknown. */
  updatedAt(): string | undefined;
  /** The data sources it holds. */
  sources(): DataSource[];
  close(): void;
}

/** Where the database and the matcher come from; tests give an in-memory one. */
export interface VulnBackend {
  defaultDbPath(): string;
  /** Opens the database read-only; throws `E_VULN_DB_MISSING` when there is none at `path`. */
  openDb(path: string): VulnDatabase;
  match(os: OsInfo | undefined, packages: Package[], lookup: AdvisoryLookup, opts: { now: Date }): { vulnerabilities: DetectedVulnerability[]; notes: string[] };
}

/** Default `--max-db-age`: a week, as distribution trackers publish daily. */
export const DEFAULT_MAX_DB_AGE_HOURS = 7 * 24;

/** `7d`, `36h`, `2w`, or a number of days -> hours. Throws `E_USAGE` naming the value. */
export function parseDuration(value: string | number, what = '--max-db-age'): number {
  if (typeof value === 'number') {
    if (!(value > 0)) throw new PalisadeError('E_USAGE', `${what}: ${value} is not a positive number of days`);
    return value * 24;
  }
  const m = /^(\d+(?:\.\d+)?)\s*([hdw]?)$/.exec(value.trim());
  if (!m || !(Number(m[1]) > 0)) throw new PalisadeError('E_USAGE', `${what}: "${value}" is not a duration like 7d, 36h or 2w`);
  return Number(m[1]) * ({ h: 1, d: 24, w: 168, '': 24 } as const)[m[2] as 'h' | 'd' | 'w' | ''];
}

/** What is scanned and how it is opened. */
export interface InventoryOptions {
  /** A registry reference, an OCI layout, a `docker save` archive, a root folder, or an SBOM file (`sbom:` forces it). */
  source: string;
  /** `--platform` for multi-platform images (default linux/amd64). */
  platform?: string;
  registry?: RegistryOptions;
  onProgress?: (p: WalkProgress) => void;
}

/** An image's (or SBOM's) OS and packages, with the problems met on the way. */
export interface InventoryResult {
  inventory: ImageInventory;
  errors: AnalysisErrorEntry[];
  warnings: string[];
}

const KIND: Record<'registry' | 'oci-layout' | 'archive' | 'rootfs', ImageScanTarget['kind']> = {
  registry: 'registry',
  'oci-layout': 'oci-layout',
  archive: 'docker-archive',
  rootfs: 'rootfs',
};

/**
 * Finds what is installed: an SBOM is read as it is; an image is opened, its layers are streamed once for
 * the files the analyzers want (each with the layer that wrote it), and the analyzers run on those.
 */
export async function inventoryImage(opts: InventoryOptions): Promise<InventoryResult> {
  let sbomPath: string | undefined;
  if (opts.source.startsWith('sbom:')) sbomPath = opts.source.slice('sbom:'.length);
  else if (existsSync(opts.source) && (await looksLikeJsonFile(opts.source))) sbomPath = opts.source;
  if (sbomPath !== undefined) {
    const sbom = await readSbomFile(sbomPath);
    return { inventory: { target: sbom.target, os: sbom.os, packages: sbom.packages }, errors: [], warnings: sbom.warnings };
  }

  const warnings: string[] = [];
  const resolved = await resolveSource(opts.source);
  const img = await openImage(resolved, { platform: opts.platform, registry: opts.registry, onWarning: (m) => warnings.push(m), onProgress: opts.onProgress });
  try {
    const files = await img.walk((p) => wantedByAny(p));
    const analysis = await analyzeFiles(files.map((f) => ({ path: f.path, content: f.content, layer: f.layer })));
    const target: ImageScanTarget = { name: img.ref, kind: KIND[resolved.kind], platform: formatPlatform(img.platform), layers: img.layers };
    if (img.digest) target.digest = img.digest;
    if (analysis.os) target.os = analysis.os;
    return {
      inventory: { target, os: analysis.os, packages: analysis.packages },
      errors: analysis.errors.map((e) => ({ analyzer: e.analyzer, path: e.path, message: e.message })),
      warnings,
    };
  } finally {
    await img.close();
  }
}

/** Options of `palisade scan image`. */
export interface ScanImageOptions extends InventoryOptions {
  /** `--db`; default: the backend's default path. */
  dbPath?: string;
  /** `--max-db-age` in hours (parse with `parseDuration`); default 7 days. */
  maxDbAgeHours?: number;
  /** `--ignore-file`; default `.palisadeignore.yaml` in `cwd` when present. */
  ignoreFile?: string;
  cwd?: string;
  /** `--severity`: report only these. */
  severities?: Severity[];
  /** `--ignore-unfixed`: leave out vulnerabilities that have no fixed version. */
  ignoreUnfixed?: boolean;
  now?: Date;
}

/** A scan's report, and the inventory the SBOM formats render. */
export interface ImageScanResult {
  report: ImageScanReport;
  inventory: ImageInventory;
}

/** The installed-package fields a report keeps of each vulnerable package. */
function reportedPackage(p: DetectedVulnerability['package']): DetectedVulnerability['package'] {
  const out: DetectedVulnerability['package'] = { name: p.name, version: p.version, ecosystem: p.ecosystem, purl: p.purl };
  if (p.sourceName !== undefined) out.sourceName = p.sourceName;
  if (p.sourceVersion !== undefined) out.sourceVersion = p.sourceVersion;
  if (p.filePath !== undefined) out.filePath = p.filePath;
  if (p.arch !== undefined) out.arch = p.arch;
  return out;
}

/** Most severe first, then package, then id: the order every format lists vulnerabilities in. */
export function compareVulnerabilities(a: DetectedVulnerability, b: DetectedVulnerability): number {
  return (
    SEVERITIES.indexOf(a.severity) - SEVERITIES.indexOf(b.severity) ||
    a.package.name.localeCompare(b.package.name) ||
    a.installedVersion.localeCompare(b.installedVersion) ||
    (a.package.filePath ?? '').localeCompare(b.package.filePath ?? '') ||
    a.id.localeCompare(b.id)
  );
}

/**
 * `palisade scan image`: opens the database read-only (before any layer is downloaded, so a missing
 * database fails fast), inventories the image or SBOM, matches the packages, applies the ignore file and
 * then the severity and unfixed filters, and assembles the report.
 */
export async function scanImage(opts: ScanImageOptions, backend: VulnBackend): Promise<ImageScanResult> {
  const now = opts.now ?? new Date();
  const dbPath = opts.dbPath ?? backend.defaultDbPath();
  const maxAgeHours = opts.maxDbAgeHours ?? DEFAULT_MAX_DB_AGE_HOURS;
  // Read the ignore file first too: a typo in it should not cost an image download.
  const ignores = loadIgnoreFile(opts.ignoreFile, opts.cwd);
  const db = backend.openDb(dbPath);
  try {
    const warnings: string[] = [];
    const updatedAt = db.updatedAt();
    const dbInfo: DbInfo = { path: dbPath, maxAgeHours, stale: true };
    if (updatedAt) {
      dbInfo.updatedAt = updatedAt;
      dbInfo.ageHours = Math.max(0, Math.round(((now.getTime() - Date.parse(updatedAt)) / 3_600_000) * 10) / 10);
      dbInfo.stale = dbInfo.ageHours > maxAgeHours;
      if (dbInfo.stale) warnings.push(`vulnerability database ${dbPath} was last updated ${updatedAt.slice(0, 10)} (${formatAge(dbInfo.ageHours)} ago, over the ${formatAge(maxAgeHours)} allowed by --max-db-age): run \`palisade db update\``);
    } else {
      warnings.push(`vulnerability database ${dbPath} does not say when it was last updated: run \`palisade db update\``);
    }
    const sources = db.sources();
    if (sources.length) dbInfo.sources = sources;

    const inv = await inventoryImage(opts);
    warnings.push(...inv.warnings);
    const { os, packages } = inv.inventory;
    if (!os && packages.some((p) => p.scheme === 'deb' || p.scheme === 'apk' || p.scheme === 'rpm')) {
      warnings.push('the operating system was not recognised; its packages cannot be matched against distribution advisories');
    }
    const matched = backend.match(os, packages, db, { now });
    warnings.push(...matched.notes);
    const found = matched.vulnerabilities.map((v) => ({ ...v, package: reportedPackage(v.package) }));

    const outcome = applyIgnores(found, ignores.rules, now);
    const wanted = opts.severities && opts.severities.length ? new Set(opts.severities) : undefined;
    const keep = (v: DetectedVulnerability): boolean => (!wanted || wanted.has(v.severity)) && (!opts.ignoreUnfixed || v.fixedVersion !== undefined);
    const vulnerabilities = outcome.kept.filter(keep).sort(compareVulnerabilities);
    const ignored = outcome.ignored.sort(compareVulnerabilities);

    const bySeverity = Object.fromEntries(SEVERITIES.map((s) => [s, 0])) as Record<Severity, number>;
    for (const v of vulnerabilities) bySeverity[v.severity]++;
    const report: ImageScanReport = {
      schema: IMAGE_SCAN_REPORT_SCHEMA,
      tool: { name: 'palisade', version: toolVersion() },
      generatedAt: now.toISOString(),
      target: inv.inventory.target,
      ...(os ? { os } : {}),
      filters: { ...(wanted ? { severities: SEVERITIES.filter((s) => wanted.has(s)) } : {}), ignoreUnfixed: opts.ignoreUnfixed === true },
      summary: {
        packages: packages.length,
        vulnerabilities: vulnerabilities.length,
        bySeverity,
        fixable: vulnerabilities.filter((v) => v.fixedVersion !== undefined).length,
        vulnerablePackages: new Set(vulnerabilities.map((v) => `${v.package.purl}|${v.package.filePath ?? ''}`)).size,
        ignored: ignored.length,
        ignoreIssues: outcome.issues.length,
        filtered: outcome.kept.length - vulnerabilities.length,
        errors: inv.errors.length,
        warnings: warnings.length,
      },
      vulnerabilities,
      ignored,
      ignoreIssues: outcome.issues,
      ...(ignores.file ? { ignoreFile: ignores.file } : {}),
      errors: inv.errors,
      warnings,
      db: dbInfo,
    };
    return { report, inventory: inv.inventory };
  } finally {
    db.close();
  }
}

/** `36h`, `9d`: short ages for messages. */
export function formatAge(hours: number): string {
  return hours < 48 ? `${Math.round(hours)}h` : `${Math.round(hours / 24)}d`;
}
