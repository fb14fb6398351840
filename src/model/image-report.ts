import { z } from 'zod';
import { AFFECTED_STATUSES, type DetectedVulnerability, type ImageScanTarget } from './advisory.js';
import { ECOSYSTEMS, VERSION_SCHEMES, type OsInfo, type Package } from './package.js';
import { SEVERITIES, severitySchema, type Severity } from './severity.js';

/** Version of the `palisade scan image -o json` document; bumped on any breaking change. */
export const IMAGE_SCAN_REPORT_SCHEMA = 'palisade.dev/image-scan-report/v1';

/** An image layer (see `LayerRef`). */
export const layerRefSchema = z
  .object({ digest: z.string(), diffId: z.string().optional(), createdBy: z.string().optional(), index: z.number().int().min(0) })
  .strict();

const OS_FAMILIES = [
  'debian', 'ubuntu', 'alpine', 'wolfi', 'chainguard', 'redhat', 'rocky', 'alma', 'centos', 'oracle', 'amazon', 'fedora',
  'sles', 'sle-micro', 'opensuse-leap', 'opensuse-tumbleweed', 'photon', 'azurelinux', 'distroless', 'unknown',
] as const;

/** The operating system of an image (see `OsInfo`). */
export const osInfoSchema = z
  .object({
    family: z.enum(OS_FAMILIES),
    version: z.string(),
    codename: z.string().optional(),
    prettyName: z.string().optional(),
    distroless: z.boolean().optional(),
    repositoryRelease: z.string().optional(),
  })
  .strict();

/** One installed package (see `Package`). */
export const packageSchema = z
  .object({
    ecosystem: z.enum(ECOSYSTEMS),
    scheme: z.enum(VERSION_SCHEMES),
    name: z.string(),
    version: z.string(),
    sourceName: z.string().optional(),
    sourceVersion: z.string().optional(),
    arch: z.string().optional(),
    module: z.string().optional(),
    purl: z.string(),
    filePath: z.string().optional(),
    licenses: z.array(z.string()).optional(),
    layer: layerRefSchema.optional(),
  })
  .strict();

const cvssSchema = z
  .object({ version: z.enum(['2.0', '3.0', '3.1', '4.0']), vector: z.string(), score: z.number().min(0).max(10), source: z.string() })
  .strict();

const dataSourceSchema = z.object({ id: z.string(), name: z.string(), url: z.string() }).strict();

/** One vulnerability in one installed package (see `DetectedVulnerability`). */
export const detectedVulnerabilitySchema = z
  .object({
    id: z.string().min(1),
    aliases: z.array(z.string()),
    package: z
      .object({
        name: z.string(),
        version: z.string(),
        ecosystem: z.enum(ECOSYSTEMS),
        purl: z.string(),
        sourceName: z.string().optional(),
        sourceVersion: z.string().optional(),
        filePath: z.string().optional(),
        arch: z.string().optional(),
      })
      .strict(),
    installedVersion: z.string(),
    fixedVersion: z.string().optional(),
    status: z.enum(AFFECTED_STATUSES).exclude(['not-affected']),
    severity: severitySchema,
    severitySource: z.string().optional(),
    cvss: z.array(cvssSchema),
    title: z.string().optional(),
    description: z.string().optional(),
    references: z.array(z.string()),
    primaryUrl: z.string().optional(),
    published: z.string().optional(),
    modified: z.string().optional(),
    dataSource: dataSourceSchema,
    layer: layerRefSchema.optional(),
  })
  .strict();

/** What was scanned (see `ImageScanTarget`). */
export const imageScanTargetSchema = z
  .object({
    name: z.string(),
    kind: z.enum(['registry', 'oci-layout', 'docker-archive', 'rootfs', 'sbom']),
    digest: z.string().optional(),
    imageId: z.string().optional(),
    platform: z.string().optional(),
    os: osInfoSchema.optional(),
    layers: z.array(layerRefSchema).optional(),
    repoTags: z.array(z.string()).optional(),
    repoDigests: z.array(z.string()).optional(),
  })
  .strict();

/** An entry of the ignore file, as written there, with where it is written. */
export const appliedIgnoreSchema = z
  .object({
    id: z.string(),
    package: z.string().optional(),
    reason: z.string(),
    expires: z.string().optional(),
    /** `.palisadeignore.yaml:4` */
    source: z.string(),
  })
  .strict();

/** A vulnerability that an ignore entry suppressed: kept in the report, never dropped. */
export const ignoredVulnerabilitySchema = detectedVulnerabilitySchema.extend({ ignore: appliedIgnoreSchema }).strict();

/** An ignore entry that did not apply as written. */
export const ignoreIssueSchema = z
  .object({
    kind: z.enum(['expired', 'unmatched']),
    message: z.string(),
  })
  .extend(appliedIgnoreSchema.shape)
  .strict();

/** A file an analyzer could not read (the rest of the image was still scanned). */
export const analysisErrorSchema = z.object({ analyzer: z.string().optional(), path: z.string(), message: z.string() }).strict();

/** The vulnerability database a scan used. */
export const dbInfoSchema = z
  .object({
    path: z.string(),
    /** ISO time of the last successful update or import. */
    updatedAt: z.string().optional(),
    /** Hours between `updatedAt` and the scan. */
    ageHours: z.number().optional(),
    maxAgeHours: z.number(),
    /** True when older than `maxAgeHours` (or when the update time is unknown). */
    stale: z.boolean(),
    sources: z.array(dataSourceSchema).optional(),
  })
  .strict();

const bySeveritySchema = z.object(Object.fromEntries(SEVERITIES.map((s) => [s, z.number().int().min(0)])) as Record<Severity, z.ZodNumber>).strict();

/** `palisade.dev/image-scan-report/v1`: the one result of `palisade scan image`, rendered by every output format. */
export const imageScanReportSchema = z
  .object({
    schema: z.literal(IMAGE_SCAN_REPORT_SCHEMA),
    tool: z.object({ name: z.literal('palisade'), version: z.string() }).strict(),
    generatedAt: z.string(),
    target: imageScanTargetSchema,
    os: osInfoSchema.optional(),
    filters: z
      .object({
        /** Only these severities are reported (`--severity`); absent: all. */
        severities: z.array(severitySchema).optional(),
        /** `--ignore-unfixed`: vulnerabilities without a fixed version are left out. */
        ignoreUnfixed: z.boolean(),
      })
      .strict(),
    summary: z
      .object({
        packages: z.number().int().min(0),
        vulnerabilities: z.number().int().min(0),
        bySeverity: bySeveritySchema,
        /** Vulnerabilities with a fixed version. */
        fixable: z.number().int().min(0),
        /** Distinct packages with at least one reported vulnerability. */
        vulnerablePackages: z.number().int().min(0),
        ignored: z.number().int().min(0),
        ignoreIssues: z.number().int().min(0),
        /** Left out by `--severity` or `--ignore-unfixed` (not listed). */
        filtered: z.number().int().min(0),
        errors: z.number().int().min(0),
        warnings: z.number().int().min(0),
      })
      .strict(),
    vulnerabilities: z.array(detectedVulnerabilitySchema),
    ignored: z.array(ignoredVulnerabilitySchema),
    ignoreIssues: z.array(ignoreIssueSchema),
    /** Ignore file that was read, if any. */
    ignoreFile: z.string().optional(),
    errors: z.array(analysisErrorSchema),
    warnings: z.array(z.string()),
    /** Absent for `palisade sbom`, which needs no database. */
    db: dbInfoSchema.optional(),
  })
  .strict();

export type AppliedIgnore = z.infer<typeof appliedIgnoreSchema>;
export type IgnoredVulnerability = z.infer<typeof ignoredVulnerabilitySchema>;
export type IgnoreIssue = z.infer<typeof ignoreIssueSchema>;
export type AnalysisErrorEntry = z.infer<typeof analysisErrorSchema>;
export type DbInfo = z.infer<typeof dbInfoSchema>;
export type ImageScanReport = z.infer<typeof imageScanReportSchema>;

/** What an image (or SBOM) holds: the input of the SBOM renderers. */
export interface ImageInventory {
  target: ImageScanTarget;
  os?: OsInfo;
  packages: Package[];
}

// The schemas above describe the shared model types; these lines stop the two from drifting apart.
type Mutual<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
/** Mutually assignable with the same keys (optional fields included). */
type Same<A, B> = Mutual<A, B> extends true ? Mutual<keyof A, keyof B> : false;
const sameVulnerability: Same<z.infer<typeof detectedVulnerabilitySchema>, DetectedVulnerability> = true;
const sameVulnerablePackage: Same<z.infer<typeof detectedVulnerabilitySchema>['package'], DetectedVulnerability['package']> = true;
const sameTarget: Same<z.infer<typeof imageScanTargetSchema>, ImageScanTarget> = true;
const samePackage: Same<z.infer<typeof packageSchema>, Package> = true;
const sameOs: Same<z.infer<typeof osInfoSchema>, OsInfo> = true;
void [sameVulnerability, sameVulnerablePackage, sameTarget, samePackage, sameOs];
