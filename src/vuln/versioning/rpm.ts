import { compareDigits, compareStrings, isAlphaCode, isDigitCode, type VersionScheme } from './scheme.js';

/**
 * RPM versions (`[epoch:]version[-release]`), ordered as rpm 4.18 orders them (`rpm.vercmp` in rpm's Lua, which
 * is also what `rpm -q --qf` consumers and dnf compare with):
 *
 * 1. The epoch (digits before a `:`) compares numerically; a missing or empty epoch is 0.
 * 2. The version compares with {@link rpmvercmp}.
 * 3. The release (after the last `-`) compares with {@link rpmvercmp} when both have one; when only one of them has
 *    a release, that one is newer (`1.0-0` > `1.0`).
 *
 * `valid` accepts what rpmbuild accepts: a version and an optional release made of letters, digits and `._+~^`
 * (no `-` inside either), each holding at least one letter or digit, and an all-digit epoch.
 *
 * `compare` never throws: it splits any string the way rpm does (an epoch only when the text before the first `:`
 * is all digits; the release after the last `-`) and compares the parts, so `""` sorts before every other version.
 */
export const rpm = {
  id: 'rpm',
  valid(v: string): boolean {
    const m = /^(?:([0-9]+):)?([A-Za-z0-9._+~^]+)(?:-([A-Za-z0-9._+~^]+))?$/.exec(v);
    return m !== null && /[A-Za-z0-9]/.test(m[2]) && (m[3] === undefined || /[A-Za-z0-9]/.test(m[3]));
  },
  compare(a: string, b: string): number {
    const x = parseEvr(a);
    const y = parseEvr(b);
    const e = compareDigits(x.epoch, y.epoch);
    if (e !== 0) return e;
    const v = rpmvercmp(x.version, y.version);
    if (v !== 0) return v;
    if (x.release !== undefined && y.release !== undefined) return rpmvercmp(x.release, y.release);
    if (x.release !== undefined) return 1;
    if (y.release !== undefined) return -1;
    return 0;
  },
} satisfies VersionScheme;

/** Epoch, version and release of an RPM version string; `release` is undefined when there is no `-`. */
export interface Evr {
  epoch: string;
  version: string;
  release?: string;
}

/** Splits `[epoch:]version[-release]` as rpm's `rpmverParse` does. */
export function parseEvr(evr: string): Evr {
  let epoch = '0';
  let rest = evr;
  const m = /^([0-9]*):/.exec(evr);
  if (m) {
    if (m[1] !== '') epoch = m[1];
    rest = evr.slice(m[0].length);
  }
  const dash = rest.lastIndexOf('-');
  return dash >= 0 ? { epoch, version: rest.slice(0, dash), release: rest.slice(dash + 1) } : { epoch, version: rest };
}

function isAlnumCode(c: number): boolean {
  return isDigitCode(c) || isAlphaCode(c);
}

/**
 * rpm's segmented comparison of one version or release string (`rpmvercmp`): separators are skipped, alphabetic
 * and numeric segments alternate, numbers compare numerically and beat letters, letters compare as ASCII text, `~`
 * sorts before anything (even the end: `1.0~rc1` < `1.0`) and `^` after the end but before anything else
 * (`1.0` < `1.0^git1` < `1.0.1`). When all segments tie, the string with segments left over is newer.
 */
export function rpmvercmp(a: string, b: string): -1 | 0 | 1 {
  if (a === b) return 0;
  let i = 0;
  let j = 0;
  const isSep = (s: string, k: number) => {
    const c = s.charCodeAt(k);
    return !isAlnumCode(c) && c !== 126 /* ~ */ && c !== 94 /* ^ */;
  };
  while (i < a.length || j < b.length) {
    while (i < a.length && isSep(a, i)) i++;
    while (j < b.length && isSep(b, j)) j++;

    // `~` sorts before everything else, including the end of the string.
    if (a[i] === '~' || b[j] === '~') {
      if (a[i] !== '~') return 1;
      if (b[j] !== '~') return -1;
      i++;
      j++;
      continue;
    }
    // `^` sorts after the end of the string but before any other segment.
    if (a[i] === '^' || b[j] === '^') {
      if (i >= a.length) return -1;
      if (j >= b.length) return 1;
      if (a[i] !== '^') return 1;
      if (b[j] !== '^') return -1;
      i++;
      j++;
      continue;
    }
    if (i >= a.length || j >= b.length) break;

    const si = i;
    const sj = j;
    const numeric = isDigitCode(a.charCodeAt(i));
    const inSegment = numeric ? isDigitCode : isAlphaCode;
    while (i < a.length && inSegment(a.charCodeAt(i))) i++;
    while (j < b.length && inSegment(b.charCodeAt(j))) j++;
    // Segments of different types: the numeric one is newer.
    if (j === sj) return numeric ? 1 : -1;
    const r = numeric ? compareDigits(a.slice(si, i), b.slice(sj, j)) : compareStrings(a.slice(si, i), b.slice(sj, j));
    if (r !== 0) return r;
  }
  if (i >= a.length && j >= b.length) return 0;
  return i >= a.length ? -1 : 1;
}
