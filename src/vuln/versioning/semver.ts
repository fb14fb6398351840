import nodeSemver from 'semver';
import { compareStrings, type VersionScheme } from './scheme.js';

/**
 * npm package versions: Semantic Versioning 2.0.0 as npm's own `semver` library implements it (the library is used
 * rather than a re-implementation so that ordering and range matching agree with npm exactly).
 *
 * - `major.minor.patch`, numeric; a pre-release (`-beta.1`) is older than its release, and pre-release identifiers
 *   compare numerically when both are numbers, as text otherwise, numbers before text (`1.0.0-2` < `1.0.0-alpha`).
 * - Build metadata (`+build.5`) is ignored by ordering.
 *
 * `valid` is strict (what the npm registry accepts, with an optional leading `v`). `compare` also reads versions in
 * node-semver's loose mode (`=1.2.3`, `v 1.2.3`, `1.2.3beta`), and orders anything unreadable before every readable
 * version, by plain text among themselves.
 */
export const semver = {
  id: 'semver',
  valid(v: string): boolean {
    return nodeSemver.valid(v) !== null;
  },
  compare(a: string, b: string): number {
    const x = read(a);
    const y = read(b);
    if (x && y) return nodeSemver.compare(x, y);
    if (x) return 1;
    if (y) return -1;
    return compareStrings(a, b);
  },
} satisfies VersionScheme;

function read(v: string): nodeSemver.SemVer | null {
  return nodeSemver.parse(v) ?? nodeSemver.parse(v, { loose: true });
}

/** Options of npm range matching: `loose` reads sloppy versions and ranges, `includePrerelease` lets `^1.0.0` match `1.1.0-rc.1`. */
export interface SemverRangeOptions {
  loose?: boolean;
  includePrerelease?: boolean;
}

/**
 * True when `version` satisfies the npm range `range` (`^1.2.3`, `>=1.0.0 <2.0.0 || 3.x`, `1.2.3 - 2.3.4`, `~1.2`),
 * with npm's rule that a pre-release version only matches a comparator that names a pre-release of the same
 * `major.minor.patch` unless `includePrerelease` is set. False for an unreadable version or range.
 */
export function satisfies(version: string, range: string, options: SemverRangeOptions = {}): boolean {
  try {
    return nodeSemver.satisfies(version, range, options);
  } catch {
    return false;
  }
}

/** True when `range` is a readable npm range. */
export function validRange(range: string, options: SemverRangeOptions = {}): boolean {
  try {
    return nodeSemver.validRange(range, options) !== null;
  } catch {
    return false;
  }
}
