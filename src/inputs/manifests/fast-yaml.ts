/**
 * A fast path for the YAML that Kubernetes manifests are made of: block mappings and sequences (both
 * `containers:\n  - name: x` and kubectl's `containers:\n- name: x`), plain scalars on one line, quoted
 * scalars on one line without escapes, literal block scalars (`|`, `|-`, `|+`), empty flow collections
 * and comments.
 *
 * It builds exactly the value js-yaml builds for such a document: the same key order, and plain scalars
 * typed by the caller (with the very functions of its js-yaml schema). Anything else (anchors, tags, flow collections
 * with content, folded or multi-line scalars, escapes, duplicate keys, tabs, odd indentation, and every
 * construct js-yaml would reject) makes it answer {@link UNSUPPORTED}, and the caller parses the document
 * with js-yaml, which also produces its error messages. It is about three times faster than js-yaml on
 * manifests because it reads whole lines instead of characters through a general state machine.
 */
/** The answer for documents this parser leaves to js-yaml. */
export const UNSUPPORTED: unique symbol = Symbol('unsupported YAML');

/** Thrown inside the parser to give up; one object, no stack trace. */
const GIVE_UP = { giveUp: true };

/** Anything but printable ASCII and newlines: what makes a text worth the closer checks below. */
const NOT_PLAIN_ASCII = /[^\x20-\x7E\n]/;

/** js-yaml refuses these characters anywhere in the input (its PATTERN_NON_PRINTABLE). */
// eslint-disable-next-line no-control-regex -- control characters are what this looks for
const NON_PRINTABLE = /[\x00-\x08\x0B\x0C\x0E-\x1F\x7F-\x84\x86-\x9F\uFEFF\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?:[^\uD800-\uDBFF]|^)[\uDC00-\uDFFF]/;

/** Types a plain scalar as the schema does (null, bool, int, float, timestamp... or the string itself). */
export type PlainScalar = (text: string) => unknown;

const SPACE = 32;
const HASH = 35;
const COLON = 58;
const DASH = 45;
const DQUOTE = 34;
const SQUOTE = 39;

/** Characters a plain key or value may not start with (YAML indicators); `-`, `?`, `:` are checked apart. */
const BAD_PLAIN_START = new Set([',', '[', ']', '{', '}', '#', '&', '*', '!', '|', '>', "'", '"', '%', '@', '`'].map((c) => c.charCodeAt(0)));

/** True when the text holds only printable ASCII and newlines (see {@link parseFastYaml}'s `plainAscii`). */
export function isPlainAscii(text: string): boolean {
  return !NOT_PLAIN_ASCII.test(text);
}

/**
 * Parses one YAML document (the text between `---` lines). Returns UNSUPPORTED when the document uses
 * anything beyond the subset described above.
 */
export function parseFastYaml(text: string, plain: PlainScalar, maxDepth: number, plainAscii = false): unknown {
  if (text.length === 0) return UNSUPPORTED;
  // Printable ASCII and newlines only (nearly every manifest) needs no closer look; `plainAscii` says
  // that the caller knows so already (the thread that read the file looked).
  if (!plainAscii && NOT_PLAIN_ASCII.test(text) && (text.includes('\t') || text.includes('\r') || NON_PRINTABLE.test(text))) return UNSUPPORTED;
  try {
    return new Parser(text, plain, maxDepth).document();
  } catch (e) {
    if (e === GIVE_UP) return UNSUPPORTED;
    throw e;
  }
}

/** A plain scalar seen before, as a key or as a value: its text, and what it was read as. */
interface Known<T> {
  raw: string;
  value: T;
  next: Known<T> | undefined;
}

/** Plain scalars seen so far, by a hash of their text (chained when hashes collide). */
type KnownTexts<T> = Map<number, Known<T>>;

/** Keys and values seen so far, for one way of typing scalars. */
interface KnownScalars {
  /** A few hundred distinct keys make up every manifest: most are found without cutting their text out of the line. */
  keys: KnownTexts<string>;
  /**
   * Manifests repeat the same values over and over (pull policies, ports, label values, image names: 230,000
   * scalars of 10,000 generated resources are 20,000 distinct texts); a repeat found here costs neither a
   * new string that lives as long as the scan nor the typing of its text. Never objects (dates).
   */
  values: KnownTexts<unknown>;
}

const knownBy = new WeakMap<PlainScalar, KnownScalars>();

/** Every cache made (the WeakMap of {@link knownBy} cannot be iterated). */
const knownCaches = new Set<KnownScalars>();

/** Bound on the texts remembered of each kind, so that a long-lived process does not grow without end. */
const MAX_KNOWN = 50_000;

/**
 * Forgets the keys and values remembered so far: each read of a scan's files starts afresh, so that what it
 * costs does not depend on what was read before (a scan repeated in one process would otherwise find every
 * value known already).
 */
export function resetParseCaches(): void {
  for (const k of knownCaches) {
    k.keys.clear();
    k.values.clear();
  }
}

/** What the text from `p` to `p + len` of `t` (hashed as `h`) was read as, if it was seen before. */
function recall<T>(known: KnownTexts<T>, h: number, t: string, p: number, len: number): Known<T> | undefined {
  for (let k = known.get(h); k; k = k.next) if (k.raw.length === len && t.startsWith(k.raw, p)) return k;
  return undefined;
}

/** Remembers what `raw` (hashed as `h`, and not a slice of a document: see {@link detached}) was read as. */
function remember<T>(known: KnownTexts<T>, h: number, raw: string, value: T): void {
  if (known.size >= MAX_KNOWN) known.clear();
  known.set(h, { raw, value, next: known.get(h) });
}

/**
 * A copy of a slice of a document that does not hold on to the document: a remembered value outlives
 * the scan, and a slice would keep its whole file's text alive with it.
 */
function detached(s: string): string {
  return (s + ' ').slice(0, -1);
}

function growLineTables(): void {
  const grow = (a: Int32Array) => {
    const b = new Int32Array(a.length * 2);
    b.set(a);
    return b;
  };
  lineStarts = grow(lineStarts);
  lineEnds = grow(lineEnds);
  lineIndents = grow(lineIndents);
}

function giveUp(): never {
  throw GIVE_UP;
}

/**
 * Line tables shared by every parse (documents are parsed one at a time, each to the end), grown as
 * needed: three arrays per document were a good part of what parsing allocated.
 */
let lineStarts = new Int32Array(4096);
let lineEnds = new Int32Array(4096);
let lineIndents = new Int32Array(4096);

class Parser {
  /** Per line: offset of its first character, offset of its end (the `\n` or the end of the text). */
  private readonly starts: Int32Array;
  private readonly ends: Int32Array;
  /** Per line: number of leading spaces; -1 for blank lines (spaces only) and comment lines. */
  private readonly indents: Int32Array;
  private readonly n: number;
  private readonly known: KnownScalars;
  /**
   * Where the last node read ends: `line`, the line after it (block methods); `pos`, the offset after it
   * (key, quoted and flow readers). Kept here rather than returned with the value: a pair per node was
   * most of what parsing allocated.
   */
  private line = 0;
  private pos = 0;

  constructor(
    private readonly t: string,
    private readonly plain: PlainScalar,
    private readonly maxDepth: number,
  ) {
    const len = t.length;
    let pos = 0;
    let n = 0;
    for (;;) {
      let nl = t.indexOf('\n', pos);
      if (nl === -1) nl = len;
      let i = pos;
      while (i < nl && t.charCodeAt(i) === SPACE) i++;
      if (n === lineStarts.length) growLineTables();
      lineStarts[n] = pos;
      lineEnds[n] = nl;
      lineIndents[n] = i === nl || t.charCodeAt(i) === HASH ? -1 : i - pos;
      n++;
      if (nl >= len - 1) break;
      pos = nl + 1;
    }
    this.starts = lineStarts;
    this.ends = lineEnds;
    this.indents = lineIndents;
    // A text that ends without a newline gets one, as js-yaml does: the lines are the same.
    this.n = n;
    let known = knownBy.get(plain);
    if (!known) {
      knownBy.set(plain, (known = { keys: new Map(), values: new Map() }));
      knownCaches.add(known);
    }
    this.known = known;
  }

  document(): unknown {
    const i = this.content(0);
    if (i === this.n) giveUp(); // comments only: js-yaml decides between null and undefined
    const value = this.block(i, this.indents[i]!, 1);
    if (this.content(this.line) !== this.n) giveUp();
    return value;
  }

  /** The first line at or after i that is neither blank nor a comment. */
  private content(i: number): number {
    while (i < this.n && this.indents[i] === -1) i++;
    return i;
  }

  /** Is line i, at column `col`, a sequence entry (`-` then a space or the end of the line)? */
  private isDash(i: number, col: number): boolean {
    const p = this.starts[i]! + col;
    if (this.t.charCodeAt(p) !== DASH) return false;
    return p + 1 === this.ends[i] || this.t.charCodeAt(p + 1) === SPACE;
  }

  /** A block collection starting on line i at exactly `indent`. */
  private block(i: number, indent: number, depth: number): unknown {
    if (depth > this.maxDepth - 5) giveUp();
    return this.isDash(i, indent) ? this.sequence(i, indent, depth) : this.mapping(i, indent, indent, depth);
  }

  /**
   * A block mapping whose entries sit at column `col`; its first entry starts on line i at that column
   * (which is after a `- ` when the mapping is a sequence entry).
   */
  private mapping(i: number, col: number, lineIndent: number, depth: number): unknown {
    const obj: Record<string, unknown> = {};
    let first = true;
    for (;;) {
      let at: number;
      if (first) {
        at = this.starts[i]! + col;
        if (lineIndent !== col && lineIndent !== -2) giveUp();
      } else {
        i = this.content(i);
        if (i >= this.n) break;
        const ind = this.indents[i]!;
        if (ind < col) break;
        if (ind > col) giveUp();
        if (this.isDash(i, col)) giveUp(); // a sequence entry among mapping keys
        at = this.starts[i]! + col;
      }
      first = false;
      const end = this.ends[i]!;
      const key = this.key(at, end);
      const value = this.value(i, this.pos, col, depth);
      if (key === '__proto__' || Object.hasOwn(obj, key)) giveUp();
      obj[key] = value;
      i = this.line;
    }
    this.line = i;
    return obj;
  }

  /** A block sequence whose `-` sit at column `indent`, from line i. */
  private sequence(i: number, indent: number, depth: number): unknown {
    const arr: unknown[] = [];
    for (;;) {
      i = this.content(i);
      if (i >= this.n || this.indents[i]! < indent) break;
      if (this.indents[i]! > indent) giveUp();
      if (!this.isDash(i, indent)) break;
      const t = this.t;
      const end = this.ends[i]!;
      let p = this.starts[i]! + indent + 1;
      while (p < end && t.charCodeAt(p) === SPACE) p++;
      if (p === end || t.charCodeAt(p) === HASH) {
        // `-` alone: the entry is the block below it, or null.
        const j = this.content(i + 1);
        if (j < this.n && this.indents[j]! > indent) {
          arr.push(this.block(j, this.indents[j]!, depth + 1));
          i = this.line;
        } else {
          arr.push(null);
          i = i + 1;
        }
        continue;
      }
      const col = p - this.starts[i]!;
      if (this.isDash(i, col)) giveUp(); // `- - x`
      arr.push(this.looksLikeKey(p, end) ? this.mapping(i, col, -2, depth + 1) : this.inline(i, p, indent, depth + 1));
      i = this.line;
    }
    this.line = i;
    return arr;
  }

  /** Does the text from p start a mapping entry (`key:` followed by a space or the end of the line)? */
  private looksLikeKey(p: number, end: number): boolean {
    const t = this.t;
    const c = t.charCodeAt(p);
    if (c === DQUOTE || c === SQUOTE) {
      const close = t.indexOf(String.fromCharCode(c), p + 1);
      // A quote that is followed by `:` and a space, on this line.
      return close !== -1 && close < end && t.charCodeAt(close + 1) === COLON && (close + 2 === end || t.charCodeAt(close + 2) === SPACE);
    }
    for (let q = p; q < end; q++) {
      const ch = t.charCodeAt(q);
      if (ch === COLON && (q + 1 === end || t.charCodeAt(q + 1) === SPACE)) return true;
      if (ch === HASH && q > p && t.charCodeAt(q - 1) === SPACE) return false;
    }
    return false;
  }

  /** Reads the key of the entry at p: the key; `pos` is then the offset just after its `:`. */
  private key(p: number, end: number): string {
    const t = this.t;
    const c = t.charCodeAt(p);
    if (c === DQUOTE || c === SQUOTE) {
      const s = this.quoted(p, end);
      const after = this.pos;
      if (t.charCodeAt(after) !== COLON || (after + 1 !== end && t.charCodeAt(after + 1) !== SPACE)) giveUp();
      this.pos = after + 1;
      return s;
    }
    if (BAD_PLAIN_START.has(c) || c === DASH || c === 63 /* ? */ || c === COLON) giveUp();
    // `<<` merges another mapping in.
    if (c === 60 && t.charCodeAt(p + 1) === 60 && t.charCodeAt(p + 2) === COLON) giveUp();
    let h = 0;
    for (let q = p; q < end; q++) {
      const ch = t.charCodeAt(q);
      if (ch === COLON && (q + 1 === end || t.charCodeAt(q + 1) === SPACE)) {
        if (t.charCodeAt(q - 1) === SPACE || q - p > 1000) giveUp();
        this.pos = q + 1;
        return this.keyText(p, q, h);
      }
      if (ch === HASH && t.charCodeAt(q - 1) === SPACE) giveUp();
      h = (Math.imul(h, 31) + ch) | 0;
    }
    return giveUp();
  }

  /**
   * The plain key written from p to q (`h` hashes its text) as js-yaml stores it: typed like any plain
   * scalar, then turned into its string form (`1`, `true`, `null`).
   */
  private keyText(p: number, q: number, h: number): string {
    const len = q - p;
    const seen = recall(this.known.keys, h, this.t, p, len);
    if (seen) return seen.value;
    const raw = detached(this.t.slice(p, q));
    const key = String(this.plain(raw));
    remember(this.known.keys, h, raw, key);
    return key;
  }

  /** The plain scalar written from p to q (`h` hashes its text), typed; repeats share one value. */
  private plainValue(p: number, q: number, h: number): unknown {
    const seen = recall(this.known.values, h, this.t, p, q - p);
    if (seen) return seen.value;
    const raw = detached(this.t.slice(p, q));
    const value = this.plain(raw);
    // Objects (timestamps become dates) are each their own: only immutable values are shared.
    if (typeof value !== 'object' || value === null) remember(this.known.values, h, raw, value);
    return value;
  }

  /** The value after `key:` on line i (from offset p), for a mapping whose keys sit at column col. */
  private value(i: number, p: number, col: number, depth: number): unknown {
    const t = this.t;
    const end = this.ends[i]!;
    let v = p;
    while (v < end && t.charCodeAt(v) === SPACE) v++;
    if (v === end || (t.charCodeAt(v) === HASH && v > p)) {
      // Nothing on the line: the block below, a sequence at the key's own column, or null.
      const j = this.content(i + 1);
      if (j < this.n) {
        const ind = this.indents[j]!;
        if (ind > col) return this.block(j, ind, depth + 1);
        if (ind === col && this.isDash(j, col)) return this.sequence(j, col, depth + 1);
      }
      this.line = i + 1;
      return null;
    }
    if (v === p) giveUp(); // `key:value` is not an entry
    return this.inline(i, v, col, depth + 1);
  }

  /**
   * A scalar or empty flow collection written on line i from offset v, as the value of a node whose parent
   * sits at column `parent` (the block scalar's content must be indented more).
   */
  private inline(i: number, v: number, parent: number, depth: number): unknown {
    if (depth > this.maxDepth - 5) giveUp();
    const t = this.t;
    const end = this.ends[i]!;
    const c = t.charCodeAt(v);
    let value: unknown;
    let rest: number;
    if (c === DQUOTE || c === SQUOTE) {
      value = this.quoted(v, end);
      rest = this.pos;
    } else if (c === 124 /* | */) {
      return this.literal(i, v, parent);
    } else if (c === 123 /* { */ && t.charCodeAt(v + 1) === 125) {
      value = {};
      rest = v + 2;
    } else if (c === 91 /* [ */) {
      value = this.flowSequence(v, end);
      rest = this.pos;
    } else {
      if (BAD_PLAIN_START.has(c)) giveUp();
      if ((c === DASH || c === 63 /* ? */ || c === COLON) && (v + 1 === end || t.charCodeAt(v + 1) === SPACE)) giveUp();
      let e = end;
      // Hash of the text up to its last character that is not a space (the value without trailing spaces).
      let h = 0;
      let trimmed = 0;
      for (let q = v; q < end; q++) {
        const ch = t.charCodeAt(q);
        if (ch === HASH && t.charCodeAt(q - 1) === SPACE) {
          e = q;
          break;
        }
        // `a: b` inside a value, or a value ending with `:`, is something else in YAML.
        if (ch === COLON && (q + 1 === end || t.charCodeAt(q + 1) === SPACE)) giveUp();
        h = (Math.imul(h, 31) + ch) | 0;
        if (ch !== SPACE) trimmed = h;
      }
      while (e > v && t.charCodeAt(e - 1) === SPACE) e--;
      value = this.plainValue(v, e, trimmed);
      rest = end;
    }
    // After a quoted scalar or `[]`/`{}`: only spaces, or spaces and a comment.
    if (rest < end) {
      let q = rest;
      while (q < end && t.charCodeAt(q) === SPACE) q++;
      if (q < end && !(t.charCodeAt(q) === HASH && q > rest)) giveUp();
    }
    // A more indented line below would continue a multi-line scalar (or be an error).
    const j = this.content(i + 1);
    if (j < this.n && this.indents[j]! > parent) giveUp();
    this.line = i + 1;
    return value;
  }

  /**
   * A flow sequence of scalars on one line (`[get, list, "watch"]`, `[]`): its value and the offset after
   * its `]`. Nested collections, pairs, empty entries and trailing commas are left to js-yaml.
   */
  private flowSequence(v: number, end: number): unknown[] {
    const t = this.t;
    const out: unknown[] = [];
    let p = v + 1;
    const skip = () => {
      while (p < end && t.charCodeAt(p) === SPACE) p++;
    };
    skip();
    if (t.charCodeAt(p) === 93 /* ] */) {
      this.pos = p + 1;
      return out;
    }
    for (;;) {
      skip();
      const c = t.charCodeAt(p);
      if (c === DQUOTE || c === SQUOTE) {
        out.push(this.quoted(p, end));
        p = this.pos;
      } else {
        if (p >= end || BAD_PLAIN_START.has(c) || ((c === DASH || c === 63 /* ? */) && t.charCodeAt(p + 1) === SPACE)) giveUp();
        let e = p;
        for (; e < end; e++) {
          const ch = t.charCodeAt(e);
          if (ch === 44 /* , */ || ch === 93 /* ] */) break;
          // Pairs, nested collections and comments are js-yaml's.
          if (ch === COLON || ch === 91 || ch === 123 || ch === 125 || (ch === HASH && t.charCodeAt(e - 1) === SPACE)) giveUp();
        }
        let q = e;
        while (q > p && t.charCodeAt(q - 1) === SPACE) q--;
        if (q === p) giveUp();
        out.push(this.plain(t.slice(p, q)));
        p = e;
      }
      skip();
      const sep = t.charCodeAt(p);
      if (sep === 93 /* ] */) {
        this.pos = p + 1;
        return out;
      }
      if (sep !== 44 /* , */) giveUp();
      p++;
      skip();
      if (t.charCodeAt(p) === 93 /* ] */ || p >= end) giveUp(); // a trailing comma
    }
  }

  /** A quoted scalar on one line, without escapes: its value; `pos` is then the offset after the closing quote. */
  private quoted(p: number, end: number): string {
    const t = this.t;
    const q = t.charCodeAt(p);
    if (q === DQUOTE) {
      const close = t.indexOf('"', p + 1);
      if (close === -1 || close >= end) giveUp();
      const s = t.slice(p + 1, close);
      if (s.includes('\\')) giveUp();
      this.pos = close + 1;
      return s;
    }
    let out = '';
    let from = p + 1;
    for (;;) {
      const close = t.indexOf("'", from);
      if (close === -1 || close >= end) giveUp();
      if (t.charCodeAt(close + 1) === SQUOTE) {
        out += t.slice(from, close + 1);
        from = close + 2;
        continue;
      }
      this.pos = close + 1;
      return out + t.slice(from, close);
    }
  }

  /**
   * A literal block scalar whose header (`|`, `|-`, `|+`) is at offset v of line i, for a node whose parent
   * sits at column `parent`. Follows js-yaml's readBlockScalar line by line.
   */
  private literal(i: number, v: number, parent: number): unknown {
    const t = this.t;
    const end = this.ends[i]!;
    let p = v + 1;
    let chomping: 'clip' | 'strip' | 'keep' = 'clip';
    const h = t.charCodeAt(p);
    if (h === DASH || h === 43 /* + */) {
      chomping = h === DASH ? 'strip' : 'keep';
      p++;
    }
    // Explicit indentation, a second indicator, or text after the header: js-yaml's business.
    if (p < end) {
      if (t.charCodeAt(p) !== SPACE) giveUp();
      while (p < end && t.charCodeAt(p) === SPACE) p++;
      if (p < end && t.charCodeAt(p) !== HASH) giveUp();
    }
    let textIndent = parent + 1;
    let detected = false;
    let didRead = false;
    let emptyLines = 0;
    const parts: string[] = [];
    let line = i + 1;
    for (;; line++) {
      // Past the last line js-yaml sees its terminator: a non-empty line at indent 0.
      if (line >= this.n) {
        this.chomp(parts, chomping, didRead, emptyLines);
        break;
      }
      const s = this.starts[line]!;
      const e = this.ends[line]!;
      let indent = 0;
      while (s + indent < e && (!detected || indent < textIndent) && t.charCodeAt(s + indent) === SPACE) indent++;
      if (!detected && indent > textIndent) textIndent = indent;
      if (s + indent === e) {
        emptyLines++;
        continue;
      }
      if (indent < textIndent) {
        this.chomp(parts, chomping, didRead, emptyLines);
        break;
      }
      parts.push('\n'.repeat(didRead ? 1 + emptyLines : emptyLines));
      didRead = true;
      detected = true;
      emptyLines = 0;
      parts.push(t.slice(s + indent, e));
    }
    // The line that ended the scalar belongs to the parent; it must not be indented more than that.
    const j = this.content(line);
    if (j < this.n && this.indents[j]! > parent) giveUp();
    this.line = line;
    return parts.join('');
  }

  private chomp(parts: string[], chomping: 'clip' | 'strip' | 'keep', didRead: boolean, emptyLines: number): void {
    if (chomping === 'keep') parts.push('\n'.repeat(didRead ? 1 + emptyLines : emptyLines));
    else if (chomping === 'clip' && didRead) parts.push('\n');
  }
}
