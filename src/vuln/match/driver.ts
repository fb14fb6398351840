import type { AffectedPackage } from '../../model/advisory.js';
import type { OsInfo, Package, VersionScheme as SchemeId } from '../../model/package.js';
import type { EolTable } from './eol.js';

/** The OS families of `OsInfo`. */
export type OsFamily = OsInfo['family'];

/** What a driver gets to decide where and how to look. */
export interface DriverContext {
  os: OsInfo;
  now: Date;
  eol?: EolTable;
  /** Adds a note to the match result (deduplicated by the caller). */
  note(text: string): void;
}

/** One name to look up for a package, and the version of that name to compare with. */
export interface NameLookup {
  name: string;
  version: string;
}

/**
 * One distribution family's way of matching, as its security data is written (Trivy's
 * `pkg/detector/ospkg/<distro>` is the model): which namespace the release maps to, which package name the
 * advisories use (source or binary), which rows apply to which build, and whether unfixed rows are reported.
 * Each driver file writes its quirks down in its TSDoc.
 */
export interface OsDriver {
  /** Equal to the file name. */
  id: string;
  /** `OsInfo` families this driver serves. */
  families: readonly OsFamily[];
  /** The version scheme of the packages it matches; packages of another scheme are left alone. */
  scheme: Extract<SchemeId, 'deb' | 'apk' | 'rpm'>;
  /** The family in `content/vuln/eol.yaml`, when the driver's releases have ends of life. */
  eolFamily?(os: OsInfo): string | undefined;
  /**
   * Namespaces to read (`debian:12`), in order; `undefined` when the release cannot be matched (the driver adds
   * a note saying why). `release` is what the end-of-life table is consulted with.
   */
  namespaces(ctx: DriverContext): { namespaces: string[]; release?: string } | undefined;
  /** The names (and versions) the advisories may use for this package. */
  lookups(pkg: Package): NameLookup[];
  /** Why this package is left out, if it is (a third-party build the vendor's data does not describe). */
  skip?(pkg: Package): string | undefined;
  /** Whether a row applies to this package's build (module stream, architecture, ksplice/FIPS variant). */
  applies(row: AffectedPackage, pkg: Package): boolean;
  /** Whether rows without a fixed version (unfixed, will-not-fix...) are reported. */
  reportsUnfixed: boolean;
  /** The fixed version as reports show it. */
  displayFixed?(v: string): string;
}

/** `12.5` -> `12`; `2023.3.20240304` -> `2023`. */
export function major(version: string): string {
  return version.split(/[.\s-]/)[0] ?? '';
}

/** `3.19.1` -> `3.19`; `22.04.3` -> `22.04`. */
export function majorMinor(version: string): string {
  return version.split('.').slice(0, 2).join('.');
}

/** Package and row agree on the RHEL module stream: both none, or the same `name:stream`. */
export function sameModule(row: AffectedPackage, pkg: Package): boolean {
  return (row.module ?? '') === (pkg.module ?? '');
}

/** The row names no architecture, the package's is unknown or `noarch`, or the row lists it. */
export function archMatches(row: AffectedPackage, pkg: Package): boolean {
  if (!row.arches || row.arches.length === 0) return true;
  if (!pkg.arch || pkg.arch === 'noarch') return true;
  return row.arches.includes(pkg.arch);
}

/** Binary name and version first, then the source package when it differs (for trackers keyed by source RPM). */
export function binaryThenSource(pkg: Package): NameLookup[] {
  const out: NameLookup[] = [{ name: pkg.name, version: pkg.version }];
  if (pkg.sourceName && pkg.sourceName !== pkg.name) out.push({ name: pkg.sourceName, version: pkg.sourceVersion ?? pkg.version });
  return out;
}

/** An RPM epoch of 0 is the same as none; reports leave it out (`0:1.2-3` -> `1.2-3`). */
export function dropZeroEpoch(v: string): string {
  return v.startsWith('0:') ? v.slice(2) : v;
}

/** The usual RPM-family driver: binary and source names, module streams and architectures respected. */
export function rpmDriver(over: Pick<OsDriver, 'id' | 'families' | 'namespaces'> & Partial<OsDriver>): OsDriver {
  return {
    scheme: 'rpm',
    lookups: binaryThenSource,
    applies: (row, pkg) => sameModule(row, pkg) && archMatches(row, pkg),
    reportsUnfixed: true,
    displayFixed: dropZeroEpoch,
    ...over,
  };
}
