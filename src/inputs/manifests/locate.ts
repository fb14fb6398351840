import { isMap, isScalar, isSeq, LineCounter, parseDocument, type Node as YamlNode } from 'yaml';
import type { FieldPath } from '../../model/path.js';

/** Line and column (1-based, relative to the document text) plus how much of the path exists. */
export interface DocPosition {
  line: number;
  column: number;
  /** Number of leading path segments that were found. */
  depth: number;
}

interface Line {
  indent: number;
  /** Content after the indentation, comments not stripped. */
  text: string;
  /** 0-based line number inside the document. */
  n: number;
}

/**
 * Finds the line of a field inside one YAML (or JSON) document, without building a syntax tree.
 *
 * Scanning with `yaml`'s full Document API for every document costs about 8 times a plain parse, and
 * findings only need the lines of a few fields, so the common case (block-style Kubernetes YAML) is
 * answered by walking indentation; anything unusual (flow collections spanning lines, anchors, tags,
 * complex keys, JSON) falls back to the `yaml` library on that document only, once.
 */
export class DocumentLocator {
  private lines: Line[] | undefined;
  private tree: { doc: ReturnType<typeof parseDocument>; counter: LineCounter } | undefined;
  private useTree = false;

  constructor(private readonly text: string) {}

  locate(path: FieldPath): DocPosition {
    if (!this.useTree) {
      const fast = this.locateByIndent(path);
      if (fast) return fast;
      this.useTree = true;
    }
    return this.locateByTree(path);
  }

  private getLines(): Line[] | undefined {
    if (this.lines) return this.lines;
    const out: Line[] = [];
    const raw = this.text.split('\n');
    for (let n = 0; n < raw.length; n++) {
      let s = raw[n]!;
      if (s.endsWith('\r')) s = s.slice(0, -1);
      let i = 0;
      while (i < s.length && s.charCodeAt(i) === 32) i++;
      if (i === s.length) continue;
      const c = s[i];
      if (c === '#') continue;
      if (c === '\t' || c === '{' || c === '[' || c === '?' || c === '&' || c === '!' || c === '%') {
        // Flow style, tags, anchors, directives: let the real parser handle this document.
        if (out.length === 0 || c !== '\t') return undefined;
      }
      out.push({ indent: i, text: s.slice(i), n });
    }
    this.lines = out;
    return out;
  }

  /** Returns undefined when the document uses syntax this scanner does not model. */
  private locateByIndent(path: FieldPath): DocPosition | undefined {
    const all = this.getLines();
    if (!all || all.length === 0) return undefined;
    let region: Line[] = all;
    let pos: DocPosition = { line: all[0]!.n + 1, column: all[0]!.indent + 1, depth: 0 };
    for (let d = 0; d < path.length; d++) {
      const seg = path[d]!;
      if (region.length === 0) return pos;
      const childIndent = region[0]!.indent;
      if (typeof seg === 'number') {
        // The i-th `-` entry at the child indent.
        let count = -1;
        let start = -1;
        for (let i = 0; i < region.length; i++) {
          const l = region[i]!;
          if (l.indent < childIndent) break;
          if (l.indent !== childIndent) continue;
          if (!(l.text === '-' || l.text.startsWith('- '))) return count === -1 ? undefined : pos;
          count++;
          if (count === seg) {
            start = i;
            break;
          }
        }
        if (start === -1) return pos;
        const dash = region[start]!;
        pos = { line: dash.n + 1, column: dash.indent + 1, depth: d + 1 };
        // Item body: the rest of the dash line (as a virtual line) plus the deeper lines after it.
        const body: Line[] = [];
        const rest = dash.text.slice(1).replace(/^ +/, '');
        if (rest !== '' && !rest.startsWith('#')) {
          if (/^[[{&!*|>'"-]/.test(rest) && !/^['"][^'"]*['"]\s*:(\s|$)/.test(rest)) {
            // Flow or block scalar or nested sequence on the dash line: the item is on this line.
            if (d === path.length - 1) return pos;
            if (rest.startsWith('- ') || rest.startsWith('&') || rest.startsWith('!')) return undefined;
            return pos;
          }
          body.push({ indent: dash.text.length - rest.length + dash.indent, text: rest, n: dash.n });
        }
        for (let i = start + 1; i < region.length; i++) {
          const l = region[i]!;
          if (l.indent <= childIndent) break;
          body.push(l);
        }
        region = body;
        continue;
      }
      // A mapping key at the child indent.
      let found = -1;
      for (let i = 0; i < region.length; i++) {
        const l = region[i]!;
        if (l.indent < childIndent) break;
        if (l.indent !== childIndent) continue;
        if (l.text.startsWith('- ') || l.text === '-') return undefined; // a sequence where a mapping was expected
        if (keyMatches(l.text, seg)) {
          found = i;
          break;
        }
        if (l.text.startsWith('<<')) return undefined; // merge keys: values may live elsewhere
      }
      if (found === -1) return pos;
      const keyLine = region[found]!;
      pos = { line: keyLine.n + 1, column: keyLine.indent + 1, depth: d + 1 };
      const afterColon = valueAfterKey(keyLine.text, seg);
      if (afterColon !== '' && !afterColon.startsWith('#')) {
        // Scalar, flow collection or block scalar header on the key line: nothing below to descend into
        // except block scalar lines, and paths never go inside scalars.
        if (/^[&!*]/.test(afterColon) && d < path.length - 1) return undefined;
        return pos;
      }
      const body: Line[] = [];
      for (let i = found + 1; i < region.length; i++) {
        const l = region[i]!;
        // A sequence may sit at the same indent as its key (`containers:\n- name: x`).
        if (l.indent < childIndent) break;
        if (l.indent === childIndent && !(l.text === '-' || l.text.startsWith('- '))) break;
        if (l.indent === childIndent && body.length > 0 && body[0]!.indent > childIndent) break;
        body.push(l);
      }
      region = body;
    }
    return pos;
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

function keyMatches(text: string, key: string): boolean {
  const k = keyPrefixLength(text, key);
  return k !== -1;
}

/** Length of `key:` at the start of `text` (plain, single- or double-quoted), or -1. */
function keyPrefixLength(text: string, key: string): number {
  for (const form of [key, `"${key}"`, `'${key}'`]) {
    if (text.startsWith(form)) {
      let i = form.length;
      while (text[i] === ' ') i++;
      if (text[i] === ':' && (i + 1 === text.length || text[i + 1] === ' ' || text[i + 1] === '\t')) return i + 1;
    }
  }
  return -1;
}

function valueAfterKey(text: string, key: string): string {
  const k = keyPrefixLength(text, key);
  return text.slice(k).trim();
}
