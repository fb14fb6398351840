import { isMap, isScalar, isSeq, LineCounter, parseDocument, type Node as YamlNode } from 'yaml';
import type { FieldPath, Segment } from '../../model/path.js';

const NO_PREFIX: FieldPath = [];

/** Line and column (1-based, relative to the document text) plus how much of the path exists. */
export interface DocPosition {
  line: number;
  column: number;
  /** Number of leading path segments that were found. */
  depth: number;
}

/**
 * Fields of one region in {@link DocumentLocator}'s region stack: a run of lines and the position reached
 * when entering it.
 */
const R_VIRT = 0; // index of a virtual line read before `start` (the rest of a `- ` line), or -1
const R_START = 1;
const R_END = 2;
const R_LINE = 3;
const R_COLUMN = 4;
const R_STRIDE = 5;

/** Fields of one line in {@link DocumentLocator}'s table (stride 4). */
const START = 0; // offset of the content after the indentation
const END = 1; // offset where the line ends, without `\r`
const INDENT = 2;
const NUM = 3; // 0-based line number inside the document
const STRIDE = 4;

/**
 * Finds the line of a field inside one YAML (or JSON) document, without building a syntax tree.
 *
 * Scanning with `yaml`'s full Document API for every document costs about 8 times a plain parse, and
 * findings only need the lines of a few fields, so the common case (block-style Kubernetes YAML) is
 * answered by walking indentation; anything unusual (flow collections spanning lines, anchors, tags,
 * complex keys, JSON) falls back to the `yaml` library on that document only, once.
 *
 * Lines are kept as offsets into the document text (no string per line), in one typed array.
 */
export class DocumentLocator {
  /** Kept lines (blank and comment lines dropped), then virtual lines; undefined until first needed. */
  private table: Int32Array | undefined;
  /** Tells this locator's regions apart in the shared region stack. */
  private readonly id = ++locatorIds;
  /** Where the skip entries start in the table: skip[k] is `table[skipBase + k]` (see scanLines). */
  private skipBase = 0;
  /** Number of real lines in the table. */
  private lineCount = 0;
  /** Entries of the table in use (real and virtual lines). */
  private used = 0;
  /** Number of real lines that start with `-` (each may get one virtual line). */
  private dashes = 0;
  /** Dash line index -> index of its virtual line. */
  private virtuals: Map<number, number> | undefined;
  private unsupported = false;
  private tree: { doc: ReturnType<typeof parseDocument>; counter: LineCounter } | undefined;
  private useTree = false;

  constructor(private readonly text: string) {}

  /** Where `path` is, or `prefix` followed by `path` when a prefix is given. */
  locate(path: FieldPath, prefix: FieldPath = NO_PREFIX): DocPosition {
    if (!this.useTree) {
      const fast = this.locateByIndent(prefix, path);
      if (fast) return fast;
      this.useTree = true;
    }
    return this.locateByTree(prefix.length > 0 ? [...prefix, ...path] : path);
  }

  /**
   * Scans the lines into the shared scratch table. Returns the number of kept lines, or -1 when the
   * document uses syntax the indentation walk does not model (then `unsupported` is set). `firstOnly`
   * stops at the first kept line (the document's own line needs no more).
   */
  private scan(firstOnly = false): number {
    const t = this.text;
    const len = t.length;
    let tab = scratch;
    let used = 0;
    let dashes = 0;
    let pos = 0;
    let n = 0;
    lines: for (;;) {
      let nl = t.indexOf('\n', pos);
      if (nl === -1) nl = len;
      let end = nl;
      if (end > pos && t.charCodeAt(end - 1) === 13 /* \r */) end--;
      let i = pos;
      while (i < end && t.charCodeAt(i) === 32) i++;
      if (i < end) {
        const c = t.charCodeAt(i);
        if (c !== 35 /* # */) {
          // Tab, flow style, complex keys, anchors, tags, directives: let the real parser handle this document.
          if (unmodelledStart(c)) {
            if (used === 0 || c !== 9) {
              this.unsupported = true;
              return -1;
            }
          }
          if (used + STRIDE > tab.length) {
            const bigger = new Int32Array(tab.length * 2);
            bigger.set(tab);
            scratch = tab = bigger;
          }
          tab[used] = i;
          tab[used + 1] = end;
          tab[used + 2] = i - pos;
          tab[used + 3] = n;
          used += STRIDE;
          if (c === 45 /* - */) dashes++;
          if (firstOnly) break lines;
        }
      }
      if (nl === len) break;
      pos = nl + 1;
      n++;
    }
    this.dashes = dashes;
    return used / STRIDE;
  }

  /**
   * Builds the line table; false when the document uses syntax the indentation walk does not model.
   * The table is a typed array (kept out of the garbage-collected heap), with room for one virtual line
   * per `-` line.
   */
  private scanLines(): boolean {
    if (this.table) return true;
    if (this.unsupported) return false;
    const count = this.scan();
    if (count === -1) return false;
    // Lines, room for the virtual lines, then skip[k]: the next line no deeper than line k, so that a walk
    // steps over whole subtrees at once (a lookup then costs the siblings on its way, not every line above
    // the field). One array per document: typed arrays are costly to create by the ten thousand.
    const skipBase = (count + this.dashes) * STRIDE;
    const tab = new Int32Array(skipBase + count);
    tab.set(scratch.subarray(0, count * STRIDE));
    this.table = tab;
    this.skipBase = skipBase;
    if (stack.length < count) stack = new Int32Array(Math.max(count, stack.length * 2));
    let top = 0;
    for (let k = count - 1; k >= 0; k--) {
      const indent = tab[k * STRIDE + INDENT]!;
      while (top > 0 && tab[stack[top - 1]! * STRIDE + INDENT]! > indent) top--;
      tab[skipBase + k] = top > 0 ? stack[top - 1]! : count;
      stack[top++] = k;
    }
    this.lineCount = count;
    this.used = count * STRIDE;
    return true;
  }

  /**
   * The document's first line (what the empty path locates: every resource's own line, asked while
   * parsing). Found without building the line table, which waits for a finding to need it: in a large
   * scan most resources have none.
   */
  private firstLine(): DocPosition | undefined {
    if (!this.table && !this.unsupported) {
      // The scan up to the first kept line only (which it leaves in the scratch table).
      const kept = this.scan(true);
      if (kept <= 0) return undefined;
      return { line: scratch[NUM]! + 1, column: scratch[INDENT]! + 1, depth: 0 };
    }
    if (!this.scanLines() || this.lineCount === 0) return undefined;
    return { line: this.table![NUM]! + 1, column: this.table![INDENT]! + 1, depth: 0 };
  }

  /** `-` or `- ...` */
  private isDash(k: number): boolean {
    const tab = this.table!;
    const s = tab[k * STRIDE + START]!;
    const e = tab[k * STRIDE + END]!;
    return this.text.charCodeAt(s) === 45 && (e - s === 1 || this.text.charCodeAt(s + 1) === 32);
  }

  /** Offset just after `key:` at the start of line k (plain, double- or single-quoted key), or -1. */
  private keyEnd(k: number, key: string): number {
    // The first character tells the form: a quote starts a quoted key, anything else a plain one.
    const c = this.text.charCodeAt(this.table![k * STRIDE + START]!);
    if (c === 34 || c === 39) {
      const r = this.keyEndQuoted(k, key, c);
      // A plain key may itself start with a quote character only if the quoted reading fails.
      return r !== -1 ? r : this.keyEndQuoted(k, key, 0);
    }
    return this.keyEndQuoted(k, key, 0);
  }

  private keyEndQuoted(k: number, key: string, q: number): number {
    const t = this.text;
    const tab = this.table!;
    const e = tab[k * STRIDE + END]!;
    let i = tab[k * STRIDE + START]!;
    if (q !== 0) {
      if (t.charCodeAt(i) !== q) return -1;
      i++;
    }
    if (!t.startsWith(key, i)) return -1;
    i += key.length;
    if (q !== 0) {
      if (t.charCodeAt(i) !== q) return -1;
      i++;
    }
    if (i > e) return -1;
    while (i < e && t.charCodeAt(i) === 32) i++;
    if (i < e && t.charCodeAt(i) === 58 /* : */ && (i + 1 === e || t.charCodeAt(i + 1) === 32 || t.charCodeAt(i + 1) === 9)) return i + 1;
    return -1;
  }

  /**
   * What follows a key's colon, trimmed: '' when nothing (or only spaces), else the first character, or
   * the whole trimmed text when unusual whitespace makes the first character ambiguous.
   */
  private valueStart(from: number, e: number): string {
    const t = this.text;
    let j = from;
    while (j < e && (t.charCodeAt(j) === 32 || t.charCodeAt(j) === 9)) j++;
    if (j === e) return '';
    const c = t.charCodeAt(j);
    if (c < 33 || c >= 128) return t.slice(from, e).trim();
    return t[j]!;
  }

  /** A mapping key line whose value starts on the next line (`key:` or `key:  # comment`). */
  private endsWithColon(k: number): boolean {
    const t = this.text;
    const tab = this.table!;
    const s = tab[k * STRIDE + START]!;
    let e = tab[k * STRIDE + END]!;
    for (let i = s; i + 1 < e; i++) {
      if (t.charCodeAt(i) === 32 && t.charCodeAt(i + 1) === 35 /* # */) {
        e = i;
        break;
      }
    }
    while (e > s && (t.charCodeAt(e - 1) === 32 || t.charCodeAt(e - 1) === 9)) e--;
    return e > s && t.charCodeAt(e - 1) === 58 /* : */;
  }

  /** The virtual line holding what follows `- ` on dash line k (starting at offset `from`). */
  private virtualLine(k: number, from: number): number {
    const virtuals = (this.virtuals ??= new Map());
    let v = virtuals.get(k);
    if (v === undefined) {
      const tab = this.table!;
      const s = tab[k * STRIDE + START]!;
      const at = this.used;
      v = at / STRIDE;
      tab[at + START] = from;
      tab[at + END] = tab[k * STRIDE + END]!;
      tab[at + INDENT] = tab[k * STRIDE + INDENT]! + (from - s);
      tab[at + NUM] = tab[k * STRIDE + NUM]!;
      this.used = at + STRIDE;
      virtuals.set(k, v);
    }
    return v;
  }

  /**
   * Returns undefined when the document uses syntax this scanner does not model. The path is `prefix`
   * followed by `path` (a resource inside a `kind: List` sits under `items[i]`), read without joining them.
   *
   * A region is a run of lines `start..end`, optionally preceded by a virtual line (what follows the
   * `- ` of a sequence item). Successive queries on one document usually share a prefix (the findings of
   * one container), so the regions of the last query are kept and the next one resumes where they part.
   * Regions and the last path live in arrays reused from query to query: tens of thousands of findings
   * are located in a large scan, and an object per path segment made much of what it allocated.
   */
  private locateByIndent(prefix: FieldPath, path: FieldPath): DocPosition | undefined {
    const pl = prefix.length;
    const total = pl + path.length;
    if (total === 0) return this.firstLine();
    if (!this.scanLines() || this.lineCount === 0) return undefined;
    const tab = this.table!;
    const sb = this.skipBase;
    const t = this.text;
    if (regionOwner !== this.id) {
      regionOwner = this.id;
      lastLength = -1;
    }
    const st = regions;
    const last = lastPath;
    let d = 0;
    if (lastLength >= 0) {
      const max = Math.min(total, lastLength);
      while (d < max && (d < pl ? prefix[d] : path[d - pl]) === last[d]) d++;
    } else {
      st[0 + R_VIRT] = -1;
      st[0 + R_START] = 0;
      st[0 + R_END] = this.lineCount;
      st[0 + R_LINE] = tab[NUM]! + 1;
      st[0 + R_COLUMN] = tab[INDENT]! + 1;
    }
    // Remember this path (regions are pushed below as its segments are found).
    for (let i = 0; i < total; i++) last[i] = i < pl ? prefix[i]! : path[i - pl]!;
    last.length = total;
    lastLength = d;
    let virt = st[d * R_STRIDE + R_VIRT]!;
    let rStart = st[d * R_STRIDE + R_START]!;
    let rEnd = st[d * R_STRIDE + R_END]!;
    let line = st[d * R_STRIDE + R_LINE]!;
    let column = st[d * R_STRIDE + R_COLUMN]!;
    for (; d < total; d++) {
      const seg = d < pl ? prefix[d]! : path[d - pl]!;
      // Region iteration: index rStart - 1 stands for the virtual line when there is one.
      const first = virt !== -1 ? rStart - 1 : rStart;
      if (first >= rEnd) return { line, column, depth: d };
      const childIndent = tab[(virt !== -1 ? virt : rStart) * STRIDE + INDENT]!;
      if (typeof seg === 'number') {
        // The i-th `-` entry at the child indent.
        let count = -1;
        let found = -2;
        for (let i = first; i < rEnd; ) {
          const k = i < rStart ? virt : i;
          const indent = tab[k * STRIDE + INDENT]!;
          if (indent < childIndent) break;
          // Deeper lines (only real lines are: the virtual line sets the child indent) are stepped over.
          if (indent !== childIndent) {
            i = tab[sb + i]!;
            continue;
          }
          if (!this.isDash(k)) return count === -1 ? undefined : { line, column, depth: d };
          count++;
          if (count === seg) {
            found = i;
            break;
          }
          i = k === virt ? rStart : tab[sb + k]!;
        }
        if (found === -2) return { line, column, depth: d };
        // A virtual line never starts with `-`, so the item is a real line.
        const base = found * STRIDE;
        line = tab[base + NUM]! + 1;
        column = tab[base + INDENT]! + 1;
        // Item body: the rest of the dash line (as a virtual line) plus the deeper lines after it.
        const e = tab[base + END]!;
        let j = tab[base + START]! + 1;
        while (j < e && t.charCodeAt(j) === 32) j++;
        let nextVirt = -1;
        if (j < e && t.charCodeAt(j) !== 35 /* # */) {
          const c = t[j]!;
          if ('[{&!*|>\'"-'.includes(c) && !((c === "'" || c === '"') && /^['"][^'"]*['"]\s*:(\s|$)/.test(t.slice(j, e)))) {
            // Flow or block scalar or nested sequence on the dash line: the item is on this line.
            if (d === total - 1) return { line, column, depth: d + 1 };
            if ((c === '-' && t.charCodeAt(j + 1) === 32 && j + 1 < e) || c === '&' || c === '!') return undefined;
            return { line, column, depth: d + 1 };
          }
          nextVirt = this.virtualLine(found, j);
        }
        const m = Math.min(tab[sb + found]!, rEnd);
        virt = nextVirt;
        rStart = found + 1;
        rEnd = m;
        pushRegion(d + 1, virt, rStart, rEnd, line, column);
        continue;
      }
      // A mapping key at the child indent.
      let found = -2;
      let keyEnd = -1;
      // The last key line seen at the child indent: after a key with nothing after its colon, a sequence
      // may follow at the key's own indent (`containers:\n- name: x`, the style kubectl writes).
      let lastKey = -2;
      for (let i = first; i < rEnd; ) {
        const k = i < rStart ? virt : i;
        const indent = tab[k * STRIDE + INDENT]!;
        if (indent < childIndent) break;
        if (indent !== childIndent) {
          i = tab[sb + i]!;
          continue;
        }
        // The next line at (or above) the child indent.
        i = k === virt ? rStart : tab[sb + k]!;
        if (this.isDash(k)) {
          if (lastKey !== -2 && this.endsWithColon(lastKey)) continue;
          return undefined; // a sequence where a mapping was expected
        }
        lastKey = k;
        keyEnd = this.keyEnd(k, seg);
        if (keyEnd !== -1) {
          found = k === virt ? rStart - 1 : k;
          break;
        }
        const s = tab[k * STRIDE + START]!;
        if (t.charCodeAt(s) === 60 && t.charCodeAt(s + 1) === 60 && s + 1 < tab[k * STRIDE + END]!) return undefined; // merge keys (`<<`): values may live elsewhere
      }
      if (found === -2) return { line, column, depth: d };
      const kl = (found < rStart ? virt : found) * STRIDE;
      line = tab[kl + NUM]! + 1;
      column = tab[kl + INDENT]! + 1;
      const after = this.valueStart(keyEnd, tab[kl + END]!);
      if (after !== '' && !after.startsWith('#')) {
        // Scalar, flow collection or block scalar header on the key line: nothing below to descend into
        // except block scalar lines, and paths never go inside scalars.
        if ((after[0] === '&' || after[0] === '!' || after[0] === '*') && d < total - 1) return undefined;
        return { line, column, depth: d + 1 };
      }
      const bodyStart = found < rStart ? rStart : found + 1;
      let j = bodyStart;
      while (j < rEnd) {
        const indent = tab[j * STRIDE + INDENT]!;
        if (indent > childIndent) {
          j = tab[sb + j]!;
          continue;
        }
        // A sequence may sit at the same indent as its key (`containers:\n- name: x`).
        if (indent < childIndent) break;
        if (!this.isDash(j)) break;
        if (j > bodyStart && tab[bodyStart * STRIDE + INDENT]! > childIndent) break;
        j++;
      }
      virt = -1;
      rStart = bodyStart;
      rEnd = j;
      pushRegion(d + 1, virt, rStart, rEnd, line, column);
    }
    return { line, column, depth: total };
  }

  private locateByTree(path: FieldPath): DocPosition {
    if (!this.tree) {
      const counter = new LineCounter();
      const doc = parseDocument(this.text, { lineCounter: counter, uniqueKeys: false, strict: false });
      this.tree = { doc, counter };
    }
    const { doc, counter } = this.tree;
    let node: unknown = doc.contents;
    let offset = (doc.contents as YamlNode | null)?.range?.[0] ?? 0;
    let depth = 0;
    for (const seg of path) {
      if (isMap(node)) {
        const pair = node.items.find((p) => isScalar(p.key) && String(p.key.value) === String(seg));
        if (!pair) break;
        offset = (pair.key as YamlNode).range?.[0] ?? offset;
        node = pair.value;
      } else if (isSeq(node) && typeof seg === 'number' && seg < node.items.length) {
        const item = node.items[seg] as YamlNode;
        offset = item?.range?.[0] ?? offset;
        node = item;
      } else break;
      depth++;
    }
    const lp = counter.linePos(offset);
    return { line: lp.line, column: lp.col, depth };
  }
}

/**
 * Regions of the last query's path prefixes (stride R_STRIDE), for the locator that made it: region d is
 * where segment d is looked up. Valid up to `lastLength`, the number of leading segments of `lastPath`
 * whose regions are known. One stack for all locators (the findings of a resource are located one after
 * the other): kept per document, it was an allocation for each of tens of thousands.
 */
let regions = new Int32Array(16 * R_STRIDE);
const lastPath: Segment[] = [];
let lastLength = -1;
/** The id of the locator the regions belong to. */
let regionOwner = 0;
let locatorIds = 0;

/** Records the region where segment `depth` is looked up, which the next query may resume from. */
function pushRegion(depth: number, virt: number, start: number, end: number, line: number, column: number): void {
  const o = depth * R_STRIDE;
  if (o + R_STRIDE > regions.length) {
    const bigger = new Int32Array(regions.length * 2);
    bigger.set(regions);
    regions = bigger;
  }
  regions[o + R_VIRT] = virt;
  regions[o + R_START] = start;
  regions[o + R_END] = end;
  regions[o + R_LINE] = line;
  regions[o + R_COLUMN] = column;
  lastLength = depth;
}

/**
 * First characters of a line the indentation walk does not model: tab, flow collections, complex keys,
 * anchors, tags, directives (a tab is allowed past the first line, as indentation of nothing).
 */
function unmodelledStart(c: number): boolean {
  return c === 9 || c === 123 || c === 91 || c === 63 || c === 38 || c === 33 || c === 37;
}

/** Scratch stack of scanLines, shared like the line table. */
let stack = new Int32Array(1024);

/** Scratch line table shared by all locators (documents are scanned one at a time), grown as needed. */
let scratch = new Int32Array(1024 * STRIDE);
