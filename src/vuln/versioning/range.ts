import type { VersionScheme } from './scheme.js';

/**
 * One affected range in OSV terms: from `introduced` (inclusive) up to `fixed` (exclusive) or `lastAffected`
 * (inclusive). A missing `introduced`, or the OSV value `"0"`, means "since the first version".
 */
export interface AffectedRange {
  introduced?: string;
  fixed?: string;
  lastAffected?: string;
}

/**
 * True when `version` falls in `range` under `scheme`, following OSV's event semantics: `introduced <= version`,
 * and `version < fixed` when a fix is known, and `version <= lastAffected` when the last affected version is known.
 * A range with neither `fixed` nor `lastAffected` covers every version from `introduced` on.
 *
 * The ordering is the scheme's, including its fallback for malformed versions; a caller that must not guess checks
 * `scheme.valid(version)` first.
 */
export function inRange(scheme: VersionScheme, version: string, range: AffectedRange): boolean {
  const { introduced, fixed, lastAffected } = range;
  if (introduced !== undefined && introduced !== '0' && scheme.compare(version, introduced) < 0) return false;
  if (fixed !== undefined && scheme.compare(version, fixed) >= 0) return false;
  if (lastAffected !== undefined && scheme.compare(version, lastAffected) > 0) return false;
  return true;
}
