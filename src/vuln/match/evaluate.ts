import type { AffectedPackage, AffectedStatus } from '../../model/advisory.js';
import { inRange, type VersionScheme } from '../versioning/index.js';

/** Statuses a finding can have. */
export type FindingStatus = Exclude<AffectedStatus, 'not-affected'>;

/** What one row says of one installed version. */
export type Verdict =
  /** Vulnerable; `fixedVersion` when a fix exists. */
  | { kind: 'vulnerable'; row: AffectedPackage; status: FindingStatus; fixedVersion?: string }
  /** The row's fix is installed, or the version is outside the row's ranges. */
  | { kind: 'safe'; row: AffectedPackage }
  /** The source examined the package and it was never affected. */
  | { kind: 'not-affected'; row: AffectedPackage }
  /** The row cannot be compared (a fixed version the scheme refuses, `fixed` without a version). */
  | { kind: 'unusable'; row: AffectedPackage; reason: string };

/**
 * Whether `v` is comparable under `scheme`. RPM compares any string the way rpm itself does (versions such as
 * `3.10.0-1127.19-1.el7` are real), so only an empty version is refused there; other schemes must accept it.
 */
export function comparable(scheme: VersionScheme, v: string): boolean {
  if (v === '') return false;
  return scheme.id === 'rpm' ? true : scheme.valid(v);
}

function unfixedStatus(row: AffectedPackage): FindingStatus {
  return row.status === 'fixed' || row.status === 'not-affected' ? 'affected' : row.status;
}

/**
 * One row against one installed version:
 * - `not-affected` rows say so;
 * - rows with ranges or explicit versions: vulnerable when the version is listed or inside a range; the fix is
 *   the `fixed` of the range that holds it (none for an open range or one bounded by `lastAffected`);
 * - rows with only a fixed version: vulnerable below it;
 * - rows with neither: vulnerable, unfixed, with the row's status.
 */
export function evaluateRow(row: AffectedPackage, version: string, scheme: VersionScheme): Verdict {
  if (row.status === 'not-affected') return { kind: 'not-affected', row };
  const hasRanges = (row.ranges?.length ?? 0) > 0 || (row.versions?.length ?? 0) > 0;
  if (hasRanges) {
    for (const r of row.ranges ?? []) {
      for (const bound of [r.introduced, r.fixed, r.lastAffected]) {
        if (bound !== undefined && bound !== '0' && !comparable(scheme, bound)) return { kind: 'unusable', row, reason: `range bound "${bound}" is not a valid ${scheme.id} version` };
      }
    }
    const hit = (row.ranges ?? []).find((r) => inRange(scheme, version, r));
    const listed = (row.versions ?? []).some((v) => v === version || (comparable(scheme, v) && scheme.compare(v, version) === 0));
    if (!hit && !listed) return { kind: 'safe', row };
    let fixed = hit?.fixed;
    if (fixed === undefined && !hit && row.fixedVersion && comparable(scheme, row.fixedVersion) && scheme.compare(version, row.fixedVersion) < 0) fixed = row.fixedVersion;
    return fixed !== undefined ? { kind: 'vulnerable', row, status: 'fixed', fixedVersion: fixed } : { kind: 'vulnerable', row, status: unfixedStatus(row) };
  }
  if (row.fixedVersion !== undefined && row.fixedVersion !== '') {
    if (!comparable(scheme, row.fixedVersion)) return { kind: 'unusable', row, reason: `fixed version "${row.fixedVersion}" is not a valid ${scheme.id} version` };
    return scheme.compare(version, row.fixedVersion) < 0 ? { kind: 'vulnerable', row, status: 'fixed', fixedVersion: row.fixedVersion } : { kind: 'safe', row };
  }
  if (row.status === 'fixed') return { kind: 'unusable', row, reason: 'status fixed without a fixed version' };
  return { kind: 'vulnerable', row, status: unfixedStatus(row) };
}

/** More specific unfixed statuses first: a vendor's decision says more than a plain "affected". */
const UNFIXED_ORDER: readonly FindingStatus[] = ['will-not-fix', 'fix-deferred', 'end-of-life', 'under-investigation', 'affected'];

/**
 * What all applicable rows of one vulnerability say of one package, as one verdict:
 * 1. rows with a fix not yet installed win, and the newest such fix is reported (vendors publish a second
 *    erratum when the first fix was incomplete);
 * 2. else, any row whose fix is installed (or whose ranges exclude the version) clears the package, also of
 *    an unfixed row for the same vulnerability (Red Hat keeps a CVE-level "will not fix" row beside the
 *    erratum that later fixed it);
 * 3. else `not-affected` clears it;
 * 4. else the unfixed rows, the most specific status first; dropped when the driver does not report unfixed.
 */
export function combine(verdicts: readonly Verdict[], scheme: VersionScheme, reportsUnfixed: boolean): Extract<Verdict, { kind: 'vulnerable' }> | undefined {
  let best: Extract<Verdict, { kind: 'vulnerable' }> | undefined;
  for (const v of verdicts) {
    if (v.kind !== 'vulnerable' || v.fixedVersion === undefined) continue;
    if (!best || scheme.compare(v.fixedVersion, best.fixedVersion!) > 0) best = v;
  }
  if (best) return best;
  if (verdicts.some((v) => v.kind === 'safe' || v.kind === 'not-affected')) return undefined;
  if (!reportsUnfixed) return undefined;
  const unfixed = verdicts.filter((v): v is Extract<Verdict, { kind: 'vulnerable' }> => v.kind === 'vulnerable');
  unfixed.sort((a, b) => UNFIXED_ORDER.indexOf(a.status) - UNFIXED_ORDER.indexOf(b.status));
  return unfixed[0];
}
