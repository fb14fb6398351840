import { compareDigits, compareStrings, type VersionScheme } from './scheme.js';

/**
 * Python package versions, ordered by PEP 440 (as `packaging.version.Version`, which pip uses, orders them):
 * `[N!]N(.N)*[{a|b|rc}N][.postN][.devN][+local]`.
 *
 * - The epoch (`1!2.0`) outranks everything; release numbers compare numerically with trailing zeros ignored
 *   (`1.0` == `1.0.0`).
 * - For one release: `1.0.dev0` < `1.0a1.dev0` < `1.0a1` < `1.0a1.post1.dev0` < `1.0a1.post1` < `1.0b1` < `1.0rc1`
 *   < `1.0` < `1.0.post1.dev0` < `1.0.post1`.
 * - A local version (`+ubuntu.1`) is newer than the same public version; its segments compare numerically when
 *   numeric, as lower-case text otherwise, text before numbers.
 * - Spelling variants normalise as PEP 440 says: case, a leading `v`, `alpha`/`beta`/`c`/`pre`/`preview`,
 *   `-`/`_`/`.` separators or none, `rev`/`r`/`-N` for post-releases, implicit numbers (`1.0a` is `1.0a0`).
 *
 * `valid` accepts exactly what `packaging` accepts (legacy, non-PEP 440 versions are invalid, as in pip 22.3 and
 * later). `compare` orders invalid versions before all valid ones, and by plain text among themselves.
 */
export const pep440 = {
  id: 'pep440',
  valid(v: string): boolean {
    return parsePep440(v) !== undefined;
  },
  compare(a: string, b: string): number {
    const x = parsePep440(a);
    const y = parsePep440(b);
    if (x && y) return comparePep440(x, y);
    if (x) return 1;
    if (y) return -1;
    return compareStrings(a, b);
  },
} satisfies VersionScheme;

/** A parsed PEP 440 version; numbers are kept as digit strings so they may be of any size. */
export interface Pep440Version {
  epoch: string;
  release: string[];
  pre?: { phase: 'a' | 'b' | 'rc'; n: string };
  post?: string;
  dev?: string;
  /** Local segments, lower-cased. */
  local?: string[];
}

// PEP 440 appendix B's pattern, written out; applied case-insensitively to the trimmed string.
const PATTERN = new RegExp(
  '^v?' +
    '(?:([0-9]+)!)?' + // epoch
    '([0-9]+(?:\\.[0-9]+)*)' + // release
    '(?:[-_.]?(alpha|a|beta|b|preview|pre|c|rc)[-_.]?([0-9]+)?)?' + // pre-release
    '(?:-([0-9]+)|[-_.]?(post|rev|r)[-_.]?([0-9]+)?)?' + // post-release
    '(?:[-_.]?(dev)[-_.]?([0-9]+)?)?' + // development release
    '(?:\\+([a-z0-9]+(?:[-_.][a-z0-9]+)*))?$', // local version
  'i',
);

const PHASES: Record<string, 'a' | 'b' | 'rc'> = { a: 'a', alpha: 'a', b: 'b', beta: 'b', c: 'rc', rc: 'rc', pre: 'rc', preview: 'rc' };

/** Parses a PEP 440 version, or `undefined` when it is not one. */
export function parsePep440(input: string): Pep440Version | undefined {
  const m = PATTERN.exec(input.trim());
  if (!m) return undefined;
  const [, epoch, release, preL, preN, postN1, postL, postN2, devL, devN, local] = m;
  const v: Pep440Version = { epoch: epoch ?? '0', release: release.split('.') };
  if (preL !== undefined) v.pre = { phase: PHASES[preL.toLowerCase()], n: preN ?? '0' };
  if (postN1 !== undefined) v.post = postN1;
  else if (postL !== undefined) v.post = postN2 ?? '0';
  if (devL !== undefined) v.dev = devN ?? '0';
  if (local !== undefined) v.local = local.toLowerCase().split(/[-_.]/);
  return v;
}

/** The normalised spelling of a PEP 440 version (`1.0-Alpha_1` -> `1.0a1`), or `undefined` when it is not one. */
export function normalizePep440(input: string): string | undefined {
  const v = parsePep440(input);
  if (!v) return undefined;
  const num = (s: string) => s.replace(/^0+(?=[0-9])/, '');
  let out = num(v.epoch) === '0' ? '' : `${num(v.epoch)}!`;
  out += v.release.map(num).join('.');
  if (v.pre) out += `${v.pre.phase}${num(v.pre.n)}`;
  if (v.post !== undefined) out += `.post${num(v.post)}`;
  if (v.dev !== undefined) out += `.dev${num(v.dev)}`;
  if (v.local) out += `+${v.local.map((s) => (/^[0-9]+$/.test(s) ? num(s) : s)).join('.')}`;
  return out;
}

const PHASE_RANK = { a: 0, b: 1, rc: 2 } as const;

/** PEP 440 ordering of two parsed versions. */
export function comparePep440(x: Pep440Version, y: Pep440Version): number {
  return (
    compareDigits(x.epoch, y.epoch) ||
    compareRelease(x.release, y.release) ||
    comparePre(x, y) ||
    compareOptional(x.post, y.post, -1) ||
    compareOptional(x.dev, y.dev, 1) ||
    compareLocal(x.local, y.local)
  );
}

/** Release numbers, with missing trailing components read as zero (`1.0` == `1`). */
function compareRelease(a: string[], b: string[]): number {
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const r = compareDigits(a[i] ?? '0', b[i] ?? '0');
    if (r !== 0) return r;
  }
  return 0;
}

/** Where a version stands among the pre-releases of its release: a bare dev release is older than every pre-release. */
function preKey(v: Pep440Version): [number, string] {
  if (v.pre) return [PHASE_RANK[v.pre.phase], v.pre.n];
  if (v.post === undefined && v.dev !== undefined) return [-1, '0'];
  return [3, '0'];
}

function comparePre(x: Pep440Version, y: Pep440Version): number {
  const [px, nx] = preKey(x);
  const [py, ny] = preKey(y);
  return px !== py ? px - py : compareDigits(nx, ny);
}

/** Compares optional numbers; `absent` is where a missing one sorts (-1 before all numbers, 1 after). */
function compareOptional(a: string | undefined, b: string | undefined, absent: -1 | 1): number {
  if (a === undefined && b === undefined) return 0;
  if (a === undefined) return absent;
  if (b === undefined) return -absent;
  return compareDigits(a, b);
}

function compareLocal(a: string[] | undefined, b: string[] | undefined): number {
  if (a === undefined || b === undefined) return a === b ? 0 : a === undefined ? -1 : 1;
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    const na = /^[0-9]+$/.test(a[i]);
    const nb = /^[0-9]+$/.test(b[i]);
    // Alphanumeric segments sort before numeric ones.
    if (na !== nb) return na ? 1 : -1;
    const r = na ? compareDigits(a[i], b[i]) : compareStrings(a[i], b[i]);
    if (r !== 0) return r;
  }
  return a.length - b.length;
}
