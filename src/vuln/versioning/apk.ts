import { compareDigits, compareStrings, type VersionScheme } from './scheme.js';

/**
 * Alpine (and Wolfi, Chainguard) package versions, ordered as current apk-tools orders them:
 * `digits{.digits}...{letter}{_suffix{digits}}...{~commithash}{-rN}`.
 *
 * - Components compare left to right: the first number numerically; later dotted numbers numerically, except
 *   that when either has a leading zero both compare as text (`1.01` < `1.1`, as Gentoo does).
 * - One optional lowercase letter may follow the numbers (`1.2.3b`), compared by character.
 * - Suffixes order `_alpha` < `_beta` < `_pre` < `_rc` < (no suffix) < `_cvs` < `_svn` < `_git` < `_hg` < `_p`,
 *   each optionally numbered (`_rc2`); only those words are suffixes.
 * - `~hash` (hex) compares as text; `-rN` is the package revision, compared numerically.
 * - When one version runs out first, the other is newer unless its next part is a pre-release suffix
 *   (`1.0_rc1` < `1.0` < `1.0_p1` < `1.0-r1` < `1.0.1`).
 *
 * `valid` is apk's own validation. `compare` is apk's comparison, which is defined for malformed versions too:
 * tokens compare as far as both versions are well-formed, and at the first token that is malformed in one version
 * only, that version is the older (`1.0bc` is invalid, yet newer than `1.0` because the letter `b` is read before
 * the second letter breaks it).
 */
export const apk = {
  id: 'apk',
  valid(v: string): boolean {
    const t = new Tokens(v);
    while (t.kind < END) t.next();
    return t.kind === END;
  },
  compare(a: string, b: string): number {
    const ta = new Tokens(a);
    const tb = new Tokens(b);
    while (ta.kind === tb.kind && ta.kind < END) {
      const r = compareToken(ta, tb);
      if (r !== 0) return r;
      ta.next();
      tb.next();
    }
    if (ta.kind === tb.kind) return 0;
    // Equal so far: the longer version is newer, unless what it has next is a pre-release suffix.
    if (ta.kind === SUFFIX && ta.suffix < SUFFIX_NONE) return -1;
    if (tb.kind === SUFFIX && tb.suffix < SUFFIX_NONE) return 1;
    return ta.kind > tb.kind ? -1 : 1;
  },
} satisfies VersionScheme;

// Token kinds, in the order apk-tools numbers them: a later kind may only follow an earlier one, and when one
// version has ended (END) or broken (INVALID) the higher kind number is the older version.
const INITIAL_DIGIT = 0;
const DIGIT = 1;
const LETTER = 2;
const SUFFIX = 3;
const SUFFIX_NO = 4;
const COMMIT_HASH = 5;
const REVISION_NO = 6;
const END = 7;
const INVALID = 8;

/** Suffix words by rank; pre-release ones rank below SUFFIX_NONE. */
const SUFFIXES = new Map<string, number>([
  ['alpha', 0], ['beta', 1], ['pre', 2], ['rc', 3], ['cvs', 5], ['svn', 6], ['git', 7], ['hg', 8], ['p', 9],
]);
const SUFFIX_NONE = 4;

/** A cursor over one version string, positioned on one token at a time. */
class Tokens {
  kind: number = INITIAL_DIGIT;
  /** The token's text (digits, letter, suffix word or hash). */
  text = '';
  suffix = SUFFIX_NONE;
  private pos = 0;

  constructor(private readonly s: string) {
    this.digits();
  }

  /** Reads a run of digits as the current token's text; none at all breaks the version. */
  private digits(): void {
    const m = /^[0-9]*/.exec(this.s.slice(this.pos))![0];
    this.text = m;
    this.pos += m.length;
    if (m === '') this.kind = INVALID;
  }

  private spanAt(re: RegExp): string {
    const m = re.exec(this.s.slice(this.pos));
    const text = m ? m[0] : '';
    this.pos += text.length;
    return text;
  }

  /** Advances to the next token, checking it may follow the current one. */
  next(): void {
    if (this.pos >= this.s.length) {
      this.kind = END;
      return;
    }
    const c = this.s[this.pos];
    const k = this.kind;
    if (c >= 'a' && c <= 'z') {
      if (k > DIGIT) return this.invalid();
      this.text = c;
      this.kind = LETTER;
      this.pos++;
    } else if (c === '.' || (c >= '0' && c <= '9')) {
      if (c === '.') {
        if (k > DIGIT) return this.invalid();
        this.pos++;
      }
      if (k === INITIAL_DIGIT || k === DIGIT) this.kind = DIGIT;
      else if (k === SUFFIX) this.kind = SUFFIX_NO;
      else return this.invalid();
      this.digits();
    } else if (c === '_') {
      if (k > SUFFIX_NO) return this.invalid();
      this.pos++;
      this.text = this.spanAt(/^[a-z]*/);
      const rank = SUFFIXES.get(this.text);
      if (rank === undefined) return this.invalid();
      this.suffix = rank;
      this.kind = SUFFIX;
    } else if (c === '~') {
      if (k >= COMMIT_HASH) return this.invalid();
      this.pos++;
      this.text = this.spanAt(/^[0-9a-f]*/);
      if (this.text === '') return this.invalid();
      this.kind = COMMIT_HASH;
    } else if (c === '-') {
      if (k >= REVISION_NO || this.s[this.pos + 1] !== 'r') return this.invalid();
      this.pos += 2;
      this.kind = REVISION_NO;
      this.digits();
    } else {
      this.invalid();
    }
  }

  private invalid(): void {
    this.kind = INVALID;
  }
}

/** Compares two tokens of the same kind. */
function compareToken(a: Tokens, b: Tokens): number {
  switch (a.kind) {
    case DIGIT:
      // A leading zero makes both compare as text (`1.01` < `1.1`), as in Gentoo's rules.
      if (a.text[0] === '0' || b.text[0] === '0') return compareStrings(a.text, b.text);
      return compareDigits(a.text, b.text);
    case INITIAL_DIGIT:
    case SUFFIX_NO:
    case REVISION_NO:
      return compareDigits(a.text, b.text);
    case SUFFIX:
      return a.suffix - b.suffix;
    default:
      // LETTER and COMMIT_HASH
      return compareStrings(a.text, b.text);
  }
}
