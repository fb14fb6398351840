import { compareDigits, isAlphaCode, isDigitCode, sign, type VersionScheme } from './scheme.js';

/**
 * Debian package versions, ordered as dpkg orders them: `[epoch:]upstream_version[-debian_revision]`.
 *
 * - The epoch is a plain non-negative integer; a missing epoch is 0.
 * - The revision is everything after the last hyphen; a missing revision compares equal to `0` (and to an empty one).
 * - Upstream and revision are compared by dpkg's `verrevcmp`: alternating runs of non-digits and digits. Non-digit
 *   runs compare character by character with `~` before everything (even the end of the string), then the end of
 *   the string, then letters (in ASCII order), then every other character (`+`, `-`, `.`, `:`, in ASCII order).
 *   Digit runs compare numerically, so `16.04` equals `16.4`.
 *
 * `valid` follows dpkg's parser: errors (empty version, bad or empty epoch, nothing after the colon, empty
 * revision, embedded blanks) and the warnings dpkg raises for an upstream version that does not start with a digit
 * or holds a character outside `[A-Za-z0-9.+~:-]`, or a revision outside `[A-Za-z0-9.+~]`, all make a version
 * invalid. One deliberate allowance: `_`, which dpkg only warns about, is accepted in both parts because
 * third-party packages (`6.0-4.el6.x86_64`) use it and dpkg installs them.
 *
 * `compare` never throws: on malformed input it reads the epoch only when it is all digits and otherwise orders
 * the text as dpkg would after its warning.
 */
export const deb = {
  id: 'deb',
  valid(v: string): boolean {
    return parseStrict(v) !== undefined;
  },
  compare(a: string, b: string): number {
    const x = parseLenient(a);
    const y = parseLenient(b);
    return (
      compareDigits(x.epoch, y.epoch) ||
      sign(verrevcmp(x.upstream, y.upstream)) ||
      sign(verrevcmp(x.revision, y.revision))
    );
  },
} satisfies VersionScheme;

/** The three parts of a dpkg version; the epoch is kept as a digit string so huge values still compare. */
export interface DebVersion {
  epoch: string;
  upstream: string;
  revision: string;
}

// dpkg stores epochs in an int and refuses anything larger.
const INT_MAX = 2147483647n;

/** Parses a version the way dpkg's `parseversion` does, or `undefined` when dpkg reports an error or a warning. */
export function parseDebVersion(v: string): DebVersion | undefined {
  return parseStrict(v);
}

function parseStrict(input: string): DebVersion | undefined {
  const v = input.trim();
  if (v === '' || /\s/.test(v)) return undefined;
  let epoch = '0';
  let rest = v;
  const colon = v.indexOf(':');
  if (colon >= 0) {
    epoch = v.slice(0, colon);
    if (!/^[0-9]+$/.test(epoch) || BigInt(epoch) > INT_MAX) return undefined;
    rest = v.slice(colon + 1);
    if (rest === '') return undefined;
  }
  let upstream = rest;
  let revision = '';
  const hyphen = rest.lastIndexOf('-');
  if (hyphen >= 0) {
    upstream = rest.slice(0, hyphen);
    revision = rest.slice(hyphen + 1);
    if (revision === '') return undefined;
  }
  if (upstream === '' || !isDigitCode(upstream.charCodeAt(0))) return undefined;
  if (!/^[A-Za-z0-9.+~:_-]+$/.test(upstream)) return undefined;
  if (revision !== '' && !/^[A-Za-z0-9.+~_]+$/.test(revision)) return undefined;
  return { epoch, upstream, revision };
}

function parseLenient(input: string): DebVersion {
  const v = input.trim();
  let epoch = '0';
  let rest = v;
  const colon = v.indexOf(':');
  if (colon > 0 && /^[0-9]+$/.test(v.slice(0, colon))) {
    epoch = v.slice(0, colon);
    rest = v.slice(colon + 1);
  }
  const hyphen = rest.lastIndexOf('-');
  return hyphen >= 0
    ? { epoch, upstream: rest.slice(0, hyphen), revision: rest.slice(hyphen + 1) }
    : { epoch, upstream: rest, revision: '' };
}

/** dpkg's weight of one character inside a non-digit run; `NaN` (past the end) weighs like the end of the string. */
function order(c: number): number {
  if (Number.isNaN(c) || isDigitCode(c)) return 0;
  if (isAlphaCode(c)) return c;
  if (c === 126 /* ~ */) return -1;
  return c + 256;
}

/** dpkg's `verrevcmp`: compares one upstream version or revision. */
export function verrevcmp(a: string, b: string): number {
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    // A non-digit run, character by character (an exhausted side weighs 0, like dpkg's NUL).
    while ((i < a.length && !isDigitCode(a.charCodeAt(i))) || (j < b.length && !isDigitCode(b.charCodeAt(j)))) {
      const ac = order(a.charCodeAt(i));
      const bc = order(b.charCodeAt(j));
      if (ac !== bc) return ac - bc;
      i++;
      j++;
    }
    // A digit run, compared as a number of any length.
    const si = i;
    const sj = j;
    while (i < a.length && isDigitCode(a.charCodeAt(i))) i++;
    while (j < b.length && isDigitCode(b.charCodeAt(j))) j++;
    const d = compareDigits(a.slice(si, i), b.slice(sj, j));
    if (d !== 0) return d;
  }
  return 0;
}
