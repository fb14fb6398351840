import type { Severity } from './severity.js';
import type { LayerRef, OsInfo, Package } from './package.js';

/**
 * Advisory data as the vulnerability database holds it, and the vulnerabilities a scan reports.
 *
 * Two kinds of rows, as distribution trackers and OSV both think of them:
 * - a {@link VulnerabilityRecord} says what a vulnerability is (title, CVSS, references), once per id;
 * - an {@link AffectedPackage} says that one package in one namespace (a distribution release, or a language
 *   ecosystem) is or is not affected, and from which version it is fixed.
 */

/**
 * Where an affected-package row applies. Distributions are `<family>:<release>` with the release as the
 * distribution's security tracker keys it (`debian:12`, `ubuntu:22.04`, `alpine:3.19`, `redhat:9`, `amazon:2023`,
 * `wolfi:rolling`); language ecosystems are their OSV name in lower case (`npm`, `pypi`, `go`, `maven`).
 */
export type Namespace = string;

/**
 * What a source says of a package in one namespace.
 * - `fixed`: fixed in `fixedVersion` (or by the ranges), vulnerable before.
 * - `affected`: vulnerable, no fix released yet ("unfixed").
 * - `not-affected`: the source examined the package and it is not vulnerable; never reported.
 * - `will-not-fix`, `fix-deferred`: vendor decided not to fix (yet); reported as unfixed.
 * - `end-of-life`: the release is out of support; reported as unfixed with that status.
 * - `under-investigation`: not yet triaged; reported as unfixed.
 */
export const AFFECTED_STATUSES = ['fixed', 'affected', 'not-affected', 'will-not-fix', 'fix-deferred', 'end-of-life', 'under-investigation'] as const;
export type AffectedStatus = (typeof AFFECTED_STATUSES)[number];

/** One OSV-style range: from `introduced` (inclusive; missing or `"0"` = since the start) to `fixed` (exclusive) or `lastAffected` (inclusive). */
export interface VersionRange {
  introduced?: string;
  fixed?: string;
  lastAffected?: string;
}

/** One package in one namespace as one source describes it for one vulnerability. */
export interface AffectedPackage {
  vulnerabilityId: string;
  namespace: Namespace;
  /** Source package for Debian, Ubuntu and the RPM family (as advisories name it); origin for Alpine; package name for languages. */
  package: string;
  /** RHEL module stream (`nodejs:18`); rows with a module match only packages built from that module. */
  module?: string;
  /**
   * Binary architectures the row applies to (`x86_64`, `aarch64`), when the source fixes each architecture in its
   * own build (Oracle Linux, Rocky Linux and Red Hat errata); absent = every architecture. `noarch` packages and
   * packages of unknown architecture match every row.
   */
  arches?: string[];
  status: AffectedStatus;
  /** First fixed version, in the namespace's own version scheme, where the source gives one. */
  fixedVersion?: string;
  /** Affected ranges, when the source speaks in ranges (OSV); a version in any range is affected. */
  ranges?: VersionRange[];
  /** Explicitly listed affected versions (OSV `versions`), matched exactly. */
  versions?: string[];
  /** The vendor's severity for this package and release, when it differs per namespace (Debian urgency, Red Hat impact). */
  severity?: Severity;
  /** Id of the data source that gave this row (`debian-tracker`, `osv:npm`, `alpine-secdb`...). */
  source: string;
}

/** A CVSS score with the vector it was computed from. */
export interface CvssScore {
  version: '2.0' | '3.0' | '3.1' | '4.0';
  vector: string;
  /** Base score computed from the vector (not trusted from the feed). */
  score: number;
  /** Who gave the vector (`nvd`, `redhat`, `ghsa`...). */
  source: string;
}

/** What a vulnerability is, once per id. */
export interface VulnerabilityRecord {
  id: string;
  /** Other ids of the same vulnerability (CVE, GHSA, DSA, RHSA, ALSA...). */
  aliases: string[];
  title?: string;
  description?: string;
  /** Overall severity when a source gives one (NVD, GHSA); namespaces may override with the vendor's. */
  severity?: Severity;
  /** Severity per source id, as each source rated it. */
  vendorSeverity?: Record<string, Severity>;
  cvss: CvssScore[];
  cwes?: string[];
  references: string[];
  published?: string;
  modified?: string;
}

/** A data source the database was built from. */
export interface DataSource {
  id: string;
  name: string;
  url: string;
}

/** One vulnerability found in one installed package: what `palisade scan image` reports. */
export interface DetectedVulnerability {
  id: string;
  aliases: string[];
  /** The installed package, as the analyzers found it. */
  package: Pick<Package, 'name' | 'version' | 'ecosystem' | 'purl'> & Partial<Pick<Package, 'sourceName' | 'sourceVersion' | 'filePath' | 'arch'>>;
  installedVersion: string;
  fixedVersion?: string;
  status: Exclude<AffectedStatus, 'not-affected'>;
  severity: Severity;
  /** Whose severity `severity` is (`debian-tracker`, `nvd`, `ghsa`...). */
  severitySource?: string;
  cvss: CvssScore[];
  title?: string;
  description?: string;
  references: string[];
  /** Link a person opens first (the source's advisory page). */
  primaryUrl?: string;
  published?: string;
  modified?: string;
  dataSource: DataSource;
  /** The image layer that added the package. */
  layer?: LayerRef;
}

/** An image (or file system, or SBOM) and what was found in it. */
export interface ImageScanTarget {
  /** What the user named: a reference, a path. */
  name: string;
  kind: 'registry' | 'oci-layout' | 'docker-archive' | 'rootfs' | 'sbom';
  /** Manifest digest, where there is one. */
  digest?: string;
  /** Image config digest. */
  imageId?: string;
  platform?: string;
  os?: OsInfo;
  layers?: LayerRef[];
  repoTags?: string[];
  repoDigests?: string[];
}

/** Read side of the vulnerability database, as the matcher sees it: no SQL, no I/O in the matcher itself. */
export interface AdvisoryLookup {
  /** Every row for this package in this namespace, from every source. */
  affected(namespace: Namespace, pkg: string): AffectedPackage[];
  /**
   * Optional batch form of `affected`: the rows of many packages of one namespace, by package name, each list
   * in the order `affected` gives it (names without rows may be absent). A database answers it with one query
   * instead of one per package.
   */
  affectedMany?(namespace: Namespace, pkgs: readonly string[]): Map<string, AffectedPackage[]>;
  vulnerability(id: string): VulnerabilityRecord | undefined;
  /** Optional batch form of `vulnerability`: the records of many ids (unknown ids absent), in one query. */
  vulnerabilities?(ids: readonly string[]): Map<string, VulnerabilityRecord>;
  dataSource(id: string): DataSource | undefined;
}

/** What the database remembers of one downloaded feed document, so an update fetches only what changed. */
export interface FeedDocumentState {
  /** Where it was fetched from. */
  url: string;
  etag?: string;
  lastModified?: string;
  /** sha256 of the bytes that were imported (`sha256:<hex>`). */
  digest: string;
  /** ISO time of the import. */
  importedAt: string;
  vulnerabilities: number;
  affected: number;
}

/**
 * Write side of the vulnerability database, as `palisade db update` uses it. A feed document (one OSV archive,
 * one distribution tracker file) is the unit of update: its rows are replaced as a whole in one transaction, so an
 * interrupted update leaves every document either as it was or fully new, and the next run resumes at the first
 * document that did not commit.
 */
export interface AdvisoryWriter {
  documentState(source: string, documentKey: string): FeedDocumentState | undefined;
  replaceDocument(
    source: DataSource,
    documentKey: string,
    state: FeedDocumentState,
    rows: { vulnerabilities: VulnerabilityRecord[]; affected: AffectedPackage[] },
  ): void;
}
