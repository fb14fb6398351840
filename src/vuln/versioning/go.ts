import { compareDigits, compareStrings, type VersionScheme } from './scheme.js';

/**
 * Go module versions, ordered as the go command orders them (`golang.org/x/mod/semver`): semantic versions with a
 * `v` prefix (`v1.2.3`, `v2.0.0-rc.1`).
 *
 * - Pseudo-versions (`v0.0.0-20191109021931-daa7c04131f5`, `v1.2.4-0.20191109021931-daa7c04131f5`) are ordinary
 *   pre-releases, so they order by their timestamp and before the release they precede.
 * - `+incompatible` (a v2+ module without a go.mod) is build metadata and ignored by ordering, as is any build suffix.
 * - The shorthands `v1` and `v1.2` mean `v1.0.0` and `v1.2.0`, as in the go command.
 *
 * The `v` is optional here because vulnerability databases (OSV, the Go vulnerability database) write Go versions
 * without it; `1.2.3` and `v1.2.3` are the same version. `valid` requires canonical numbers (no leading zeros, no
 * empty identifiers). `compare` orders invalid versions before all valid ones, and by plain text among themselves
 * (the go command treats them all as equal, which would make distinct strings indistinguishable).
 */
export const go = {
  id: 'go',
  valid(v: string): boolean {
    return parseGo(v) !== undefined;
  },
  compare(a: string, b: string): number {
    const x = parseGo(a);
    const y = parseGo(b);
    if (x && y) {
      return (
        compareDigits(x.major, y.major) ||
        compareDigits(x.minor, y.minor) ||
        compareDigits(x.patch, y.patch) ||
        comparePrerelease(x.prerelease, y.prerelease)
      );
    }
    if (x) return 1;
    if (y) return -1;
    return compareStrings(a, b);
  },
} satisfies VersionScheme;

/** A parsed Go module version; `prerelease` and `build` keep their leading `-` / `+` (or are empty). */
export interface GoVersion {
  major: string;
  minor: string;
  patch: string;
  prerelease: string;
  build: string;
}

const NUM = '(0|[1-9][0-9]*)';
const IDENT = '[0-9A-Za-z-]+';
const FULL = new RegExp(`^v?${NUM}\\.${NUM}\\.${NUM}((?:-${IDENT}(?:\\.${IDENT})*)?)((?:\\+${IDENT}(?:\\.${IDENT})*)?)$`);
// `v1` and `v1.2` are accepted only bare: the go command rejects `v1.2-pre` and `v1+meta`.
const SHORT = new RegExp(`^v?${NUM}(?:\\.${NUM})?$`);

/** Parses a Go module version (with or without its `v`), or `undefined` when the go command would reject it. */
export function parseGo(v: string): GoVersion | undefined {
  const m = FULL.exec(v);
  if (m) {
    const prerelease = m[4];
    // Numeric pre-release identifiers must not have leading zeros (`-01` is invalid, `-0a` is fine).
    if (prerelease.slice(1).split('.').some((id) => /^0[0-9]+$/.test(id))) return undefined;
    return { major: m[1], minor: m[2], patch: m[3], prerelease, build: m[5] };
  }
  const s = SHORT.exec(v);
  if (s) return { major: s[1], minor: s[2] ?? '0', patch: '0', prerelease: '', build: '' };
  return undefined;
}

/** SemVer 2.0.0 pre-release precedence; the strings include their leading `-` or are empty (a release). */
function comparePrerelease(x: string, y: string): number {
  if (x === y) return 0;
  if (x === '') return 1;
  if (y === '') return -1;
  const xs = x.slice(1).split('.');
  const ys = y.slice(1).split('.');
  for (let i = 0; i < xs.length && i < ys.length; i++) {
    const dx = xs[i];
    const dy = ys[i];
    if (dx === dy) continue;
    const nx = /^[0-9]+$/.test(dx);
    const ny = /^[0-9]+$/.test(dy);
    // Numeric identifiers sort before alphanumeric ones.
    if (nx !== ny) return nx ? -1 : 1;
    return nx ? compareDigits(dx, dy) : compareStrings(dx, dy);
  }
  return xs.length - ys.length;
}
