import type { VersionScheme as VersionSchemeName } from '../../model/package.js';

/** The id of a version scheme (`deb`, `apk`, `rpm`, `semver`, `pep440`, `go`, `maven`), as packages carry it. */
export type VersionSchemeId = VersionSchemeName;

/**
 * How one packaging world orders its versions. One module per scheme; a package is only ever compared with the
 * scheme its own ecosystem uses, because the same string orders differently under different schemes
 * (`1.0~rc1` is older than `1.0` for dpkg and rpm, `1.0-rc1` is older than `1.0` for semver, Maven and PEP 440, but
 * newer for dpkg).
 */
export interface VersionScheme {
  id: VersionSchemeId;
  /**
   * True when the package manager itself would accept `v` as a version. A vulnerability matcher should not claim a
   * package is (or is not) affected on the strength of a version that fails this test.
   */
  valid(v: string): boolean;
  /**
   * Orders two versions: negative when `a` is older than `b`, zero when the package manager treats them as the same
   * version, positive when `a` is newer. Total and never throws: versions that fail `valid` are still ordered, by a
   * fallback each module documents (usually the package manager's own behaviour on malformed input).
   */
  compare(a: string, b: string): number;
}

/** -1, 0 or 1 for any number, so results can be compared across schemes and in tests. */
export function sign(n: number): -1 | 0 | 1 {
  return n < 0 ? -1 : n > 0 ? 1 : 0;
}

/** Plain code-unit order of two strings (what C `strcmp` and Java `String.compareTo` give on ASCII), as -1, 0, 1. */
export function compareStrings(a: string, b: string): -1 | 0 | 1 {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * Compares two strings of ASCII digits as unbounded non-negative integers (`007` equals `7`), so version components
 * longer than a double can hold (dates, build stamps, git-describe counters) still order correctly.
 */
export function compareDigits(a: string, b: string): -1 | 0 | 1 {
  const x = stripZeros(a);
  const y = stripZeros(b);
  if (x.length !== y.length) return x.length < y.length ? -1 : 1;
  return compareStrings(x, y);
}

function stripZeros(s: string): string {
  let i = 0;
  while (i < s.length && s.charCodeAt(i) === 48) i++;
  return s.slice(i);
}

/** ASCII digit test on one UTF-16 code unit (`undefined` past the end of a string is not a digit). */
export function isDigitCode(c: number): boolean {
  return c >= 48 && c <= 57;
}

/** ASCII letter test on one UTF-16 code unit. */
export function isAlphaCode(c: number): boolean {
  return (c >= 65 && c <= 90) || (c >= 97 && c <= 122);
}
