import { compareDigits, compareStrings, isDigitCode, sign, type VersionScheme } from './scheme.js';

/**
 * Maven artifact versions, ordered as Maven 3.9's `ComparableVersion` orders them (the "version order
 * specification" of the POM reference):
 *
 * - The version is lower-cased and split into items at `.`, at `-`, and where digits meet letters. A `-` (and a
 *   digit/letter transition) opens a nested list, so `1-1` is `[1, [1]]`; a qualifier after a `.` is treated like
 *   one after a `-` (`1.0.RC1` == `1.0-RC1`).
 * - Numbers compare numerically. Qualifiers order `alpha` < `beta` < `milestone` < `rc` = `cr` < `snapshot` <
 *   (nothing) = `ga` = `final` = `release` < `sp` < any other word (those in alphabetical order); `a1`, `b1`, `m1`
 *   mean `alpha-1`, `beta-1`, `milestone-1` when a number follows directly.
 * - A number outranks a nested list, which outranks a qualifier: `1-sp` < `1-1` < `1.1`.
 * - Trailing "null" items (`0`, empty qualifiers, empty lists) are dropped, so `1.0.0` == `1` == `1-ga`.
 *
 * Maven itself accepts any string; `valid` is stricter so that placeholders and ranges are not taken for versions:
 * it asks for letters, digits and `._+~-` only, starting with a letter or digit and containing a digit (so
 * `${project.version}`, `[1.0,2.0)` and `LATEST` are invalid). `compare` orders any string, as Maven does, with
 * one simplification: only ASCII digits count as digits (Java's `Character.isDigit` also takes other scripts' digits).
 */
export const maven = {
  id: 'maven',
  valid(v: string): boolean {
    return /^[A-Za-z0-9][A-Za-z0-9._+~-]*$/.test(v) && /[0-9]/.test(v);
  },
  compare(a: string, b: string): number {
    return sign(compareItems(parseMaven(a), parseMaven(b)));
  },
} satisfies VersionScheme;

/** One item of a parsed Maven version: a number (digits without leading zeros), a qualifier, or a nested list. */
export type MavenItem = { kind: 'number'; digits: string } | { kind: 'qualifier'; value: string } | MavenList;
/** A list of items; the whole version is one. */
export interface MavenList {
  kind: 'list';
  items: MavenItem[];
}

const QUALIFIERS = ['alpha', 'beta', 'milestone', 'rc', 'snapshot', '', 'sp'];
const ALIASES: Record<string, string> = { ga: '', final: '', release: '', cr: 'rc' };
const SHORT_FORMS: Record<string, string> = { a: 'alpha', b: 'beta', m: 'milestone' };
// Where the release itself (an empty qualifier) ranks.
const RELEASE_RANK = String(QUALIFIERS.indexOf(''));

function numberItem(text: string): MavenItem {
  return { kind: 'number', digits: text.replace(/^0+/, '') || '0' };
}

function qualifierItem(text: string, followedByDigit: boolean): MavenItem {
  let value = text;
  if (followedByDigit && value.length === 1) {
    // a1 = alpha-1, b1 = beta-1, m1 = milestone-1
    if (Object.hasOwn(SHORT_FORMS, value)) value = SHORT_FORMS[value];
  }
  if (Object.hasOwn(ALIASES, value)) value = ALIASES[value];
  return { kind: 'qualifier', value };
}

/** Parses a version into Maven's item tree, normalised (trailing null items removed). */
export function parseMaven(version: string): MavenList {
  const v = version.toLowerCase();
  const root: MavenList = { kind: 'list', items: [] };
  let list = root;
  const opened: MavenList[] = [root];
  const open = () => {
    const sub: MavenList = { kind: 'list', items: [] };
    list.items.push(sub);
    list = sub;
    opened.push(sub);
  };
  const item = (digit: boolean, text: string) => (digit ? numberItem(text) : qualifierItem(text, false));

  let isDigit = false;
  let start = 0;
  for (let i = 0; i < v.length; i++) {
    const c = v[i];
    if (c === '.' || c === '-') {
      list.items.push(i === start ? numberItem('0') : item(isDigit, v.slice(start, i)));
      start = i + 1;
      if (c === '-') open();
    } else if (isDigitCode(v.charCodeAt(i))) {
      if (!isDigit && i > start) {
        // A qualifier after a dot behaves as one after a hyphen: 1.0.X1 < 1.0-X2 would otherwise break.
        if (list.items.length > 0) open();
        list.items.push(qualifierItem(v.slice(start, i), true));
        start = i;
        open();
      }
      isDigit = true;
    } else {
      if (isDigit && i > start) {
        list.items.push(numberItem(v.slice(start, i)));
        start = i;
        open();
      }
      isDigit = false;
    }
  }
  if (v.length > start) {
    if (!isDigit && list.items.length > 0) open();
    list.items.push(item(isDigit, v.slice(start)));
  }
  // Innermost lists first, so a list emptied by normalisation counts as null in its parent.
  for (let k = opened.length - 1; k >= 0; k--) normalize(opened[k]);
  return root;
}

function isNull(item: MavenItem): boolean {
  switch (item.kind) {
    case 'number':
      return item.digits === '0';
    case 'qualifier':
      return rank(item.value) === RELEASE_RANK;
    case 'list':
      return item.items.length === 0;
  }
}

/** Drops trailing null items, looking through (non-null) nested lists at the end. */
function normalize(list: MavenList): void {
  for (let i = list.items.length - 1; i >= 0; i--) {
    const last = list.items[i];
    if (isNull(last)) list.items.splice(i, 1);
    else if (last.kind !== 'list') break;
  }
}

/** A string that sorts qualifiers: known ones by their index, unknown ones after them, alphabetically. */
function rank(qualifier: string): string {
  const i = QUALIFIERS.indexOf(qualifier);
  return i === -1 ? `${QUALIFIERS.length}-${qualifier}` : String(i);
}

/** Compares an item with another or with nothing (`undefined`, the padding of a shorter list). */
function compareItems(a: MavenItem, b: MavenItem | undefined): number {
  switch (a.kind) {
    case 'number':
      if (b === undefined) return a.digits === '0' ? 0 : 1; // 1.0 == 1, 1.1 > 1
      if (b.kind === 'number') return compareDigits(a.digits, b.digits);
      return 1; // 1.1 > 1-sp, 1.1 > 1-1
    case 'qualifier':
      if (b === undefined) return compareStrings(rank(a.value), RELEASE_RANK); // 1-rc < 1, 1-sp > 1
      if (b.kind === 'qualifier') return compareStrings(rank(a.value), rank(b.value));
      return -1; // 1.any < 1.1, 1.any < 1-1
    case 'list':
      if (b === undefined) {
        for (const item of a.items) {
          const r = compareItems(item, undefined);
          if (r !== 0) return r;
        }
        return 0;
      }
      if (b.kind === 'number') return -1; // 1-1 < 1.1
      if (b.kind === 'qualifier') return 1; // 1-1 > 1-sp
      for (let i = 0; i < Math.max(a.items.length, b.items.length); i++) {
        const l = a.items[i];
        const r = b.items[i];
        const c = l === undefined ? (r === undefined ? 0 : -compareItems(r, undefined)) : compareItems(l, r);
        if (c !== 0) return c;
      }
      return 0;
  }
}
