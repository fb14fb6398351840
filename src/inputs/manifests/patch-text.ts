import { isDeepStrictEqual } from 'node:util';
import {
  Document, isAlias, isCollection, isMap, isPair, isScalar, isSeq, parseDocument, Scalar, visit,
  type DocumentOptions, type Node as YamlNode, type ParseOptions, type Pair, type SchemaOptions, type ToStringOptions, type YAMLMap, type YAMLSeq,
} from 'yaml';
import type { PatchOperation } from '../../model/finding.js';
import type { FieldPath, Segment } from '../../model/path.js';
import { applyOperation, PatchError, planFixes, shiftsIndices } from './patch-ops.js';
import { splitDocuments } from './parse.js';

/** One fix to apply to one document of a file. */
export interface TextPatch {
  /** Index of the document in the file, as numbered by the manifest parser (`ResourceSource.documentIndex`). */
  documentIndex: number;
  /** Operations with paths from the document root (a List item's `pathPrefix` already prepended). */
  operations: readonly PatchOperation[];
}

/** What happened to one patch. */
export type TextPatchStatus =
  | { status: 'applied' }
  /** The document is already in the state the patch asks for. */
  | { status: 'unchanged' }
  /** Overlaps the patch at index `with` (same field, or one inside the other); retry after re-evaluating. */
  | { status: 'conflict'; with: number }
  | { status: 'failed'; reason: string };

export interface PatchTextResult {
  /** The new file text; the original when nothing applied. */
  text: string;
  /** One status per patch, in input order. */
  statuses: TextPatchStatus[];
  /** Set when the file cannot be edited at all (a document that fails to parse); `text` is then the original. */
  error?: { line?: number; message: string };
  /** Indexes of documents that had to be re-serialised as a whole because a local edit was not possible. */
  reformatted: number[];
}

const PARSE_OPTIONS: ParseOptions & DocumentOptions & SchemaOptions = { merge: true, uniqueKeys: false, strict: false, prettyErrors: true };

/** Same test as the manifest parser: text that starts like JSON is JSON. */
export function isJsonText(text: string): boolean {
  const t = text.trimStart();
  return t.startsWith('{') || t.startsWith('[');
}

/**
 * Applies fixes to a manifest file's text, keeping everything else as it was.
 *
 * YAML: only the documents that fixes touch are edited, each with local text edits located through the
 * `yaml` library's syntax tree (a changed scalar is replaced in place, a new field is inserted at the
 * indentation of its siblings, a removed field takes its lines with it), so comments, key order,
 * quoting, blank lines and indentation survive. Each edited document is re-parsed and compared with
 * the expected object; if a local edit is not possible (anchors, unusual layout) the document is
 * re-serialised by the `yaml` library instead, and if that does not give the expected object either,
 * the fixes of that document fail rather than write something else. Other documents stay byte-identical.
 *
 * JSON: the object is rewritten with the file's own indentation and line endings.
 */
export function patchManifestText(text: string, patches: readonly TextPatch[]): PatchTextResult {
  if (isJsonText(text)) return patchJson(text, patches);
  const statuses: TextPatchStatus[] = patches.map(() => ({ status: 'unchanged' }));
  const reformatted: number[] = [];
  const byDoc = new Map<number, number[]>();
  patches.forEach((p, i) => {
    const l = byDoc.get(p.documentIndex);
    if (l) l.push(i);
    else byDoc.set(p.documentIndex, [i]);
  });
  const docs = splitDocuments(text);
  const lineStarts = lineOffsets(text);
  const edits: Array<{ start: number; end: number; text: string }> = [];
  for (const [index, members] of byDoc) {
    const raw = docs.find((d) => d.index === index);
    if (!raw) {
      for (const i of members) statuses[i] = { status: 'failed', reason: `the file has no document ${index + 1}` };
      continue;
    }
    const start = documentOffset(text, raw.text, lineStarts[raw.startLine - 1] ?? 0);
    const doc = parseDocument(raw.text, PARSE_OPTIONS);
    if (doc.errors.length > 0) {
      const e = doc.errors[0]!;
      return { text, statuses: patches.map(() => ({ status: 'failed', reason: 'the file does not parse' })), reformatted: [], error: { line: raw.startLine + (e.linePos?.[0].line ?? 1) - 1, message: `document ${index + 1}: ${e.message.split('\n')[0]}` } };
    }
    const original = doc.toJS({ maxAliasCount: -1 }) as unknown;
    const plan = planFixes(original, members.map((i) => patches[i]!.operations));
    plan.statuses.forEach((s, k) => {
      const i = members[k]!;
      statuses[i] = s.status === 'apply' ? { status: 'applied' } : s.status === 'conflict' ? { status: 'conflict', with: members[s.with]! } : s;
    });
    if (plan.operations.length === 0 || isDeepStrictEqual(plan.expected, original)) continue;
    const edited = editDocument(raw.text, doc, plan.operations, plan.expected);
    if (edited.ok) {
      if (edited.reformatted) reformatted.push(index);
      edits.push({ start, end: start + raw.text.length, text: edited.text });
    } else {
      for (const k of members.keys()) {
        if (plan.statuses[k]!.status === 'apply') statuses[members[k]!] = { status: 'failed', reason: edited.reason };
      }
    }
  }
  edits.sort((a, b) => b.start - a.start);
  let out = text;
  for (const e of edits) out = out.slice(0, e.start) + e.text + out.slice(e.end);
  return { text: out, statuses, reformatted };
}

function lineOffsets(text: string): number[] {
  const out = [0];
  for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) out.push(i + 1);
  return out;
}

/** Where a document's text starts: the splitter keeps exact slices, starting on (or after `---` on) its first line. */
function documentOffset(text: string, docText: string, lineStart: number): number {
  if (text.startsWith(docText, lineStart)) return lineStart;
  const at = text.indexOf(docText, lineStart);
  if (at === -1) throw new Error('document text not found in its file');
  return at;
}

// ---------------------------------------------------------------------------------------------------
// JSON

function patchJson(text: string, patches: readonly TextPatch[]): PatchTextResult {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    return { text, statuses: patches.map(() => ({ status: 'failed', reason: 'the file does not parse' })), reformatted: [], error: { message: `invalid JSON: ${(e as Error).message}` } };
  }
  const statuses: TextPatchStatus[] = patches.map((p) => (p.documentIndex === 0 ? { status: 'unchanged' } : { status: 'failed', reason: `a JSON file has one document, not ${p.documentIndex + 1}` }));
  const members = patches.map((p, i) => (p.documentIndex === 0 ? i : -1)).filter((i) => i >= 0);
  const plan = planFixes(value, members.map((i) => patches[i]!.operations));
  plan.statuses.forEach((s, k) => {
    const i = members[k]!;
    statuses[i] = s.status === 'apply' ? { status: 'applied' } : s.status === 'conflict' ? { status: 'conflict', with: members[s.with]! } : s;
  });
  if (isDeepStrictEqual(plan.expected, value)) return { text, statuses, reformatted: [] };
  const eol = text.includes('\r\n') ? '\r\n' : '\n';
  const body = JSON.stringify(plan.expected, null, jsonIndent(text));
  const lead = text.slice(0, text.length - text.trimStart().length);
  const trail = /\s*$/.exec(text)![0];
  return { text: lead + (eol === '\n' ? body : body.replace(/\n/g, eol)) + trail, statuses, reformatted: [] };
}

/** The indentation a JSON file uses: the whitespace before its first indented line (none when on one line). */
function jsonIndent(text: string): string | number {
  const m = /\n([ \t]+)\S/.exec(text);
  return m ? m[1]! : 0;
}

// ---------------------------------------------------------------------------------------------------
// YAML documents

type EditResult = { ok: true; text: string; reformatted: boolean } | { ok: false; reason: string };

/** Raised when a local text edit is not possible; the document is then re-serialised instead. */
class Unsupported extends Error {}

function editDocument(docText: string, doc: Document.Parsed, ops: readonly PatchOperation[], expected: unknown): EditResult {
  const style = detectStyle(docText, doc);
  const matches = (t: string) => {
    const d = parseDocument(t, PARSE_OPTIONS);
    return d.errors.length === 0 && isDeepStrictEqual(d.toJS({ maxAliasCount: -1 }), expected);
  };
  try {
    const t = applyLocalEdits(docText, ops, style);
    if (matches(t)) return { ok: true, text: t, reformatted: false };
  } catch {
    // Any surprise in the local edit (unusual layout, aliases) falls back to printing the tree; the
    // result is compared with the expected object either way, so nothing unchecked is ever written.
  }
  // Fallback: edit the syntax tree and print the whole document.
  try {
    const d = parseDocument(docText, PARSE_OPTIONS);
    for (const op of ops) editTree(d, op);
    let t = d.toString(toStringOptions(style));
    if (!docText.endsWith('\n')) t = t.replace(/\n$/, '');
    if (style.eol !== '\n') t = t.replace(/\r?\n/g, style.eol);
    if (matches(t)) return { ok: true, text: t, reformatted: true };
  } catch {
    // Reported below as a failed fix.
  }
  return { ok: false, reason: 'the document could not be edited without changing other fields (anchors, aliases or merge keys on the fixed path?)' };
}

/**
 * Applies operations in order with local edits. Consecutive operations whose edits are computed on the
 * same parse and touch well-separated parts of the text are applied together (they cannot see each
 * other's changes); the first one that touches or borders an edit of the batch starts a new batch on the
 * re-parsed text. The order, and with it the meaning of sequence indices, is the same as one at a time.
 */
function applyLocalEdits(docText: string, ops: readonly PatchOperation[], style: Style): string {
  let t = docText;
  let i = 0;
  while (i < ops.length) {
    const doc = parseDocument(t, PARSE_OPTIONS);
    if (doc.errors.length > 0) throw new Unsupported('intermediate text does not parse');
    const batch: Edit[] = [];
    for (; i < ops.length; i++) {
      const e = editFor(t, doc, ops[i]!, style);
      if (!e) continue;
      const clashes = batch.filter((b) => !(e.end < b.start || b.end < e.start));
      if (clashes.length === 0) {
        batch.push(e);
        continue;
      }
      // New entries appended to the same collection follow one another, in order (new keys only).
      const b = clashes[0]!;
      const appendable = clashes.length === 1 && e.appendTo && b.appendTo?.node === e.appendTo.node && b.start === e.start && b.end === e.start && e.end === e.start;
      if (!appendable) break;
      const into = b.appendTo!;
      for (const entry of e.appendTo!.entries) {
        const same = entry.key !== undefined ? into.entries.find((x) => x.key === entry.key) : undefined;
        if (same) same.value = mergeValues(same.value, entry.value);
        else into.entries.push({ ...entry });
      }
      b.text = into.render(into.entries);
    }
    batch.sort((a, b) => b.start - a.start);
    for (const e of batch) t = t.slice(0, e.start) + e.text + t.slice(e.end);
  }
  return t;
}

/** How the document is written, so that inserted text looks like its neighbours. */
interface Style {
  indent: number;
  indentSeq: boolean;
  /** Column of an item's first key relative to its dash (`- name` is 2, `-   name` is 4). */
  itemOffset: number;
  flowPadding: boolean;
  stringType: Scalar.Type;
  eol: string;
}

function toStringOptions(s: Style): ToStringOptions {
  return {
    indent: s.indent,
    indentSeq: s.indentSeq,
    lineWidth: 0,
    minContentWidth: 0,
    flowCollectionPadding: s.flowPadding,
    defaultStringType: s.stringType as ToStringOptions['defaultStringType'],
    defaultKeyType: 'PLAIN',
    blockQuote: false,
  };
}

function mostCommon<T>(counts: Map<T, number>, fallback: T): T {
  let best = fallback;
  let n = 0;
  for (const [k, c] of counts) if (c > n) [best, n] = [k, c];
  return best;
}

function bump<T>(m: Map<T, number>, k: T): void {
  m.set(k, (m.get(k) ?? 0) + 1);
}

function detectStyle(text: string, doc: Document.Parsed): Style {
  const indents = new Map<number, number>();
  const seqs = new Map<boolean, number>();
  const pads = new Map<boolean, number>();
  const strings = new Map<Scalar.Type, number>();
  const offsets = new Map<number, number>();
  visit(doc, {
    Pair(_, pair) {
      const k = pair.key as YamlNode | null;
      const v = pair.value as YamlNode | null;
      if (!k?.range || !v) return;
      const kc = column(text, k.range[0]);
      if (isMap(v) && !v.flow && v.items.length > 0) {
        const first = (v.items[0]!.key as YamlNode | null)?.range?.[0];
        if (first !== undefined) {
          const d = column(text, first) - kc;
          if (d > 0) bump(indents, d);
        }
      } else if (isSeq(v) && !v.flow && v.range) {
        bump(seqs, column(text, v.range[0]) > kc);
      } else if (isScalar(v) && typeof v.value === 'string' && v.type) {
        bump(strings, v.type === 'PLAIN' || v.type === 'QUOTE_DOUBLE' || v.type === 'QUOTE_SINGLE' ? v.type : 'PLAIN');
      }
    },
    Map(_, m) {
      if (m.flow && m.items.length > 0 && m.range) bump(pads, text[m.range[0] + 1] === ' ');
    },
    Seq(_, s) {
      if (s.flow && s.items.length > 0 && s.range) bump(pads, text[s.range[0] + 1] === ' ');
      if (!s.flow && s.range) {
        for (const item of s.items) {
          const first = isMap(item) && !item.flow ? (item.items[0]?.key as YamlNode | undefined)?.range?.[0] : undefined;
          if (first === undefined) continue;
          let dash = first - 1;
          while (dash >= 0 && text[dash] === ' ') dash--;
          if (text[dash] === '-' && first - dash >= 2) bump(offsets, first - dash);
        }
      }
    },
  });
  // A quoting style is followed only when it clearly dominates; plain is the default.
  const plain = strings.get('PLAIN') ?? 0;
  let stringType: Scalar.Type = 'PLAIN';
  for (const t of ['QUOTE_DOUBLE', 'QUOTE_SINGLE'] as const) if ((strings.get(t) ?? 0) > plain * 2 && (strings.get(t) ?? 0) >= 2) stringType = t;
  return {
    indent: mostCommon(indents, 2),
    indentSeq: mostCommon(seqs, true),
    itemOffset: mostCommon(offsets, 2),
    flowPadding: mostCommon(pads, false),
    stringType,
    eol: text.includes('\r\n') ? '\r\n' : '\n',
  };
}

// --- text helpers ---------------------------------------------------------------------------------

function lineStart(t: string, off: number): number {
  return t.lastIndexOf('\n', off - 1) + 1;
}

function column(t: string, off: number): number {
  return off - lineStart(t, off);
}

/** Offset just after the end of the line holding `off` (or `off` itself when it already starts a line). */
function afterLine(t: string, off: number): number {
  if (off > 0 && t[off - 1] === '\n') return off;
  const nl = t.indexOf('\n', off);
  return nl === -1 ? t.length : nl + 1;
}

function range(n: YamlNode): [number, number, number] {
  if (!n.range) throw new Unsupported('node without source range');
  return n.range;
}

/** End of the last character that belongs to a node's content (trailing comments and blank lines excluded). */
function contentEnd(n: YamlNode | null | undefined, fallback: number): number {
  if (!n) return fallback;
  if (isCollection(n) && !n.flow) {
    const last = n.items[n.items.length - 1] as Pair<YamlNode, YamlNode | null> | YamlNode | undefined;
    if (!last) return range(n)[1];
    if (isPair(last)) return contentEnd(last.value as YamlNode | null, range(last.key as YamlNode)[1]);
    return contentEnd(last, range(n)[1]);
  }
  return range(n)[1];
}

function render(value: unknown, style: Style, flow = false): string {
  const d = new Document(value);
  if (flow && isCollection(d.contents)) d.contents.flow = true;
  return d.toString(toStringOptions(style));
}

/** One value on one line: a scalar (multi-line strings double-quoted), or an empty `{}` / `[]`. */
function inlineValue(value: unknown, style: Style): string | undefined {
  if (value !== null && typeof value === 'object' && Object.keys(value).length > 0) return undefined;
  return render(value, style, true).replace(/\n$/, '');
}

function renderKey(key: string, style: Style): string {
  return render(key, { ...style, stringType: 'PLAIN' }).replace(/\n$/, '');
}

const pad = (n: number) => ' '.repeat(n);

/**
 * Block YAML for a new value, laid out like the document: its indentation step, whether sequences are
 * indented under their key, and where the first key of a sequence item starts after its dash.
 */
function pairLines(key: string, value: unknown, col: number, style: Style): string[] {
  const k = `${pad(col)}${renderKey(key, style)}:`;
  const inline = inlineValue(value, style);
  if (inline !== undefined) return [`${k} ${inline}`];
  return [k, ...valueLines(value, col, style)];
}

/** The lines of a non-empty collection that is the value of a key at column `col`. */
function valueLines(value: unknown, col: number, style: Style): string[] {
  if (Array.isArray(value)) return value.flatMap((item) => itemLines(item, col + (style.indentSeq ? style.indent : 0), style));
  return Object.entries(value as Record<string, unknown>).flatMap(([k, v]) => pairLines(k, v, col + style.indent, style));
}

/** The lines of one sequence item whose dash is at column `col`. */
function itemLines(item: unknown, col: number, style: Style): string[] {
  const inline = inlineValue(item, style);
  if (inline !== undefined) return [`${pad(col)}- ${inline}`];
  const offset = Array.isArray(item) ? 2 : style.itemOffset;
  const lines = Array.isArray(item)
    ? item.flatMap((x) => itemLines(x, col + offset, style))
    : Object.entries(item as Record<string, unknown>).flatMap(([k, v]) => pairLines(k, v, col + offset, style));
  lines[0] = `${pad(col)}-${pad(offset - 1)}${lines[0]!.slice(col + offset)}`;
  return lines;
}

const joinLines = (lines: string[]) => (lines.length === 0 ? '' : `${lines.join('\n')}\n`);

/** `value` as a key's value: what follows the colon on the key line, and the lines below it. */
function renderAfterKey(value: unknown, col: number, style: Style): { inline: string; block: string } {
  const inline = inlineValue(value, style);
  if (inline !== undefined) return { inline: ` ${inline}`, block: '' };
  return { inline: '', block: joinLines(valueLines(value, col, style)) };
}

/** `value` as a sequence item whose dash is at column `col`: what follows the dash, and the lines below it. */
function renderAfterDash(value: unknown, col: number, style: Style): { inline: string; block: string } {
  const lines = itemLines(value, col, style);
  return { inline: lines[0]!.slice(col + 1), block: joinLines(lines.slice(1)) };
}

/** A scalar rendered for in-place replacement, keeping the quoting style of the value it replaces. */
function renderScalar(value: unknown, old: Scalar, style: Style): string | undefined {
  const d = new Document(value);
  if (isScalar(d.contents) && typeof value === 'string' && typeof old.value === 'string' && (old.type === 'QUOTE_DOUBLE' || old.type === 'QUOTE_SINGLE' || old.type === 'PLAIN')) {
    d.contents.type = old.type;
  }
  const s = d.toString(toStringOptions(style)).replace(/\n$/, '');
  return s.includes('\n') ? undefined : s;
}

function withEol(s: string, style: Style): string {
  return style.eol === '\n' ? s : s.replace(/\r?\n/g, style.eol);
}

/** Replace [start, end) of the text with `text`. */
interface Edit {
  start: number;
  end: number;
  text: string;
  /**
   * Set on insertions after the last entry of a collection: several of them share the position, and a
   * key added twice (`securityContext` created by two fixes) is added once with both values merged.
   */
  appendTo?: { node: YamlNode; entries: Array<{ key?: string; value: unknown }>; render: (entries: Array<{ key?: string; value: unknown }>) => string };
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** `b` laid over `a`: what setting b's leaves one by one after `a` gives. */
function mergeValues(a: unknown, b: unknown): unknown {
  if (!isPlainObject(a) || !isPlainObject(b)) return b;
  const out: Record<string, unknown> = { ...a };
  for (const [k, v] of Object.entries(b)) out[k] = k in out ? mergeValues(out[k], v) : v;
  return out;
}

function splice(start: number, end: number, insert: string, style: Style): Edit {
  return { start, end, text: withEol(insert, style) };
}

// --- locating --------------------------------------------------------------------------------------

/** How a node hangs from its parent: as the value of a mapping pair, or as a sequence item. */
type Slot =
  | { kind: 'pair'; map: YAMLMap; pair: Pair<YamlNode, YamlNode | null> }
  | { kind: 'item'; seq: YAMLSeq; index: number };

interface Walk {
  /** Slots of the path segments that exist, outermost first. */
  slots: Slot[];
  /** The node at the end of `slots` (the root when none). */
  node: YamlNode | null;
}

function slotValue(s: Slot): YamlNode | null {
  return s.kind === 'pair' ? (s.pair.value as YamlNode | null) : (s.seq.items[s.index] as YamlNode | null);
}

function findPair(map: YAMLMap, key: string): Pair<YamlNode, YamlNode | null> | undefined {
  // The last one wins, as for the parsers that produced the scanned object.
  for (let i = map.items.length - 1; i >= 0; i--) {
    const p = map.items[i] as Pair<YamlNode, YamlNode | null>;
    if (isScalar(p.key) && String(p.key.value) === key) return p;
  }
  return undefined;
}

function walk(doc: Document.Parsed, path: FieldPath): Walk {
  let node = doc.contents as YamlNode | null;
  const slots: Slot[] = [];
  for (const seg of path) {
    if (isAlias(node)) throw new Unsupported('alias on the path');
    if (isMap(node) && typeof seg === 'string') {
      const pair = findPair(node, seg);
      if (!pair) break;
      slots.push({ kind: 'pair', map: node, pair });
      node = pair.value as YamlNode | null;
    } else if (isSeq(node) && typeof seg === 'number' && seg < node.items.length) {
      slots.push({ kind: 'item', seq: node, index: seg });
      node = node.items[seg] as YamlNode | null;
    } else break;
  }
  if (isAlias(node)) throw new Unsupported('alias on the path');
  return { slots, node };
}

/** The value a missing path will hold: `{a: {b: value}}` for the remaining segments `a.b`. */
function nest(rest: readonly Segment[], value: unknown): unknown {
  let v = value;
  for (let i = rest.length - 1; i >= 0; i--) {
    const seg = rest[i]!;
    if (typeof seg === 'number' || seg === '-') {
      if (seg !== 0 && seg !== '-') throw new Unsupported('index into a missing sequence');
      v = [v];
    } else v = { [seg]: v };
  }
  return v;
}

// --- edits -----------------------------------------------------------------------------------------

/** The local text edit that applies one operation to a document (null when there is nothing to do). */
function editFor(t: string, doc: Document.Parsed, op: PatchOperation, style: Style): Edit | null {
  const path = op.path;
  const { slots, node } = walk(doc, path);

  // Inside a flow collection (`securityContext: {privileged: true}`): rewrite the outermost one.
  let flowAt = slots.findIndex((s) => (s.kind === 'pair' ? s.map.flow : s.seq.flow));
  if (flowAt === -1 && slots.length < path.length && isCollection(node) && node.flow && node.items.length > 0) flowAt = slots.length;
  if (flowAt !== -1) {
    const holder = flowAt === 0 ? (doc.contents as YamlNode) : slotValue(slots[flowAt - 1]!)!;
    const sub: PatchOperation = op.op === 'remove' ? { op: 'remove', path: path.slice(flowAt) } : { op: op.op, path: path.slice(flowAt), value: op.value };
    const value = holder.toJSON() as unknown;
    applyOperation(value, sub);
    const [s, e] = range(holder);
    const flow = render(value, quotingOf(holder, style), true).replace(/\n$/, '');
    if (flow.includes('\n')) throw new Unsupported('flow collection too complex to print on one line');
    return splice(s, e, flow, style);
  }

  if (op.op === 'remove') {
    if (slots.length < path.length) return null; // already absent
    return removeSlot(t, slots, style);
  }
  if (slots.length < path.length) return setMissing(t, slots, node, path, op.value, style);
  const target = slots[slots.length - 1]!;
  if (op.op === 'add' && shiftsIndices(op) && target.kind === 'item') return insertItem(t, target.seq, target.index, op.value, style);
  return replaceValue(t, target, op.value, style);
}

/** Sets a path whose tail does not exist yet: into the deepest existing collection, or over a null value. */
function setMissing(t: string, slots: Slot[], node: YamlNode | null, path: FieldPath, value: unknown, style: Style): Edit {
  const rest = path.slice(slots.length);
  const holderSlot = slots[slots.length - 1];
  const emptyHolder = node === null || (isScalar(node) && node.value === null) || (isCollection(node) && node.items.length === 0);
  if (emptyHolder) {
    if (!holderSlot) throw new Unsupported('empty document');
    return replaceValue(t, holderSlot, nest(rest, value), style);
  }
  if (isMap(node) && typeof rest[0] === 'string') return insertPair(t, node, rest[0], nest(rest.slice(1), value), style);
  if (isSeq(node) && (rest[0] === node.items.length || rest[0] === '-')) return insertItem(t, node, node.items.length, nest(rest.slice(1), value), style);
  throw new Unsupported('path runs through a scalar');
}

function isObjectValue(v: unknown): boolean {
  return v !== null && typeof v === 'object';
}

/** The quoting of the strings inside a replaced collection, when they all share one (`drop: ["ALL"]`). */
function quotingOf(node: YamlNode | null, style: Style): Style {
  if (!node || !isCollection(node)) return style;
  const types = new Set<string>();
  visit(node, {
    Scalar(_, sc) {
      if (typeof sc.value === 'string' && sc.type) types.add(sc.type);
    },
    Pair(_, pair) {
      // Keys keep their own (plain) style; only values are counted.
      if (isScalar(pair.value) && typeof pair.value.value === 'string' && pair.value.type) types.add(pair.value.type);
      if (isCollection(pair.value)) return undefined;
      return visit.SKIP;
    },
  });
  const only = types.size === 1 ? [...types][0] : undefined;
  return only === 'QUOTE_DOUBLE' || only === 'QUOTE_SINGLE' ? { ...style, stringType: only } : style;
}

/** Replaces the value held by a slot (a mapping pair's value or a sequence item). */
function replaceValue(t: string, slot: Slot, value: unknown, baseStyle: Style): Edit {
  const v = slotValue(slot);
  const style = quotingOf(v, baseStyle);
  let anchorEnd: number; // just after the colon or the dash
  let col: number; // column of the key or the dash
  let rendered: { inline: string; block: string };
  if (slot.kind === 'pair') {
    const [ks, ke] = range(slot.pair.key as YamlNode);
    const colon = t.indexOf(':', ke);
    if (colon === -1 || (v?.range && colon > v.range[0])) throw new Unsupported('no colon after key');
    anchorEnd = colon + 1;
    col = column(t, ks);
    rendered = renderAfterKey(value, col, style);
  } else {
    if (!v) throw new Unsupported('missing item');
    const dash = dashOf(t, v, true);
    anchorEnd = dash + 1;
    col = column(t, dash);
    rendered = renderAfterDash(value, col, style);
  }
  if (v && (v.anchor || v.tag)) throw new Unsupported('anchor or tag on the replaced value');
  if (v && v.range && !t.slice(anchorEnd, v.range[0]).includes('\n')) {
    // Same-line values: a scalar keeps its quoting, a flow collection stays a flow collection.
    const [vs, ve] = v.range;
    if (isScalar(v) && ve > vs && !isObjectValue(value) && v.type !== 'BLOCK_FOLDED' && v.type !== 'BLOCK_LITERAL') {
      const s = renderScalar(value, v, style);
      if (s !== undefined) return splice(vs, ve, s, style);
    }
    if (isCollection(v) && v.flow && v.items.length > 0 && isObjectValue(value)) {
      const flow = render(value, style, true).replace(/\n$/, '');
      if (!flow.includes('\n')) return splice(vs, ve, flow, style);
    }
  }
  const block = rendered.block;
  const empty = !v || (isScalar(v) && v.value === null && range(v)[1] === range(v)[0]);
  const [vs, ve] = v ? range(v) : [anchorEnd, anchorEnd];
  const sameLine = empty || !t.slice(anchorEnd, vs).includes('\n');
  // The part of the old text the new value replaces: from the colon/dash to the end of the value's last line.
  let end: number;
  if (empty) end = anchorEnd;
  else if (sameLine && !(isCollection(v) && !v!.flow) && !(t[ve - 1] === '\n')) end = ve;
  else end = afterLine(t, contentEnd(v, ve));
  let comment = '';
  if (end > anchorEnd && t[end - 1] === '\n' && !sameLine) {
    // A comment on the key line survives the replacement of the block below it.
    const keyLineEnd = t.indexOf('\n', anchorEnd);
    const keyTail = t.slice(anchorEnd, keyLineEnd).replace(/\r$/, '');
    if (/^\s*#/.test(keyTail)) comment = keyTail;
  }
  if (end > anchorEnd && t[end - 1] === '\n') {
    // The old value ran to the end of its line (block collection, block scalar, value below the key).
    return splice(anchorEnd, end, rendered.inline + comment + '\n' + block, style);
  }
  // The old value ends mid-line: keep the rest of that line (a comment) and put the block below it.
  const eolAt = afterLine(t, end);
  const tail = t.slice(end, eolAt);
  const nl = block !== '' && eolAt === t.length && !t.endsWith('\n') ? '\n' : '';
  return splice(anchorEnd, eolAt, rendered.inline + tail + nl + block, style);
}

/** Text to insert at `pos`, keeping a file that does not end with a newline that way. */
function insertion(t: string, pos: number, lines: string): string {
  if (pos === t.length && t !== '' && !t.endsWith('\n')) return '\n' + lines.replace(/\n$/, '');
  return lines;
}

/** Adds a key to a block mapping, after its last entry, at its entries' indentation. */
function insertPair(t: string, map: YAMLMap, key: string, value: unknown, style: Style): Edit {
  if (map.flow) throw new Unsupported('flow mapping');
  const firstKey = map.items[0]!.key as YamlNode;
  const col = column(t, range(firstKey)[0]);
  const at = afterLine(t, contentEnd(map, range(map)[1]));
  const render = (entries: Array<{ key?: string; value: unknown }>) => withEol(insertion(t, at, joinLines(entries.flatMap((e) => pairLines(e.key!, e.value, col, style)))), style);
  const entries = [{ key, value }];
  return { start: at, end: at, text: render(entries), appendTo: { node: map, entries, render } };
}

/** Offset of the dash that introduces a sequence item; with `shared`, the dash may follow other text on its line. */
function dashOf(t: string, item: YamlNode, shared = false): number {
  let dash = range(item)[0] - 1;
  while (dash >= 0 && (t[dash] === ' ' || t[dash] === '\t')) dash--;
  if (t[dash] !== '-') throw new Unsupported('item without dash');
  if (!shared && t.slice(lineStart(t, dash), dash).trim() !== '') throw new Unsupported('item shares its line');
  return dash;
}

/** Inserts an item into a block sequence before item `at` (or after the last). */
function insertItem(t: string, seq: YAMLSeq, at: number, value: unknown, style: Style): Edit {
  if (seq.flow) throw new Unsupported('flow sequence');
  if (at > seq.items.length) throw new PatchError('index past the end of the sequence');
  const first = seq.items[0] as YamlNode | null;
  if (!first) throw new Unsupported('null item');
  const lines = joinLines(itemLines(value, column(t, dashOf(t, first)), style));
  if (at < seq.items.length) {
    const pos = lineStart(t, dashOf(t, seq.items[at] as YamlNode));
    return splice(pos, pos, lines, style);
  }
  const pos = afterLine(t, contentEnd(seq, range(seq)[1]));
  const col = column(t, dashOf(t, first));
  const render = (entries: Array<{ key?: string; value: unknown }>) => withEol(insertion(t, pos, joinLines(entries.flatMap((e) => itemLines(e.value, col, style)))), style);
  const entries = [{ value }];
  return { start: pos, end: pos, text: render(entries), appendTo: { node: seq, entries, render } };
}

/** Removes the entry at the end of `slots`; an emptied collection becomes `{}` or `[]`. */
function removeSlot(t: string, slots: Slot[], style: Style): Edit {
  const slot = slots[slots.length - 1]!;
  const parent = slots[slots.length - 2];
  if (slot.kind === 'pair') {
    const map = slot.map;
    if (map.items.length === 1) {
      if (!parent) throw new Unsupported('removing the last key of the document');
      return replaceValue(t, parent, {}, style);
    }
    const [ks] = range(slot.pair.key as YamlNode);
    const ls = lineStart(t, ks);
    const index = map.items.indexOf(slot.pair);
    if (t.slice(ls, ks).trim() !== '') {
      // First key on a `- ` line: pull the next key up to take its place.
      if (index !== 0) throw new Unsupported('key shares its line');
      const next = range(map.items[1]!.key as YamlNode)[0];
      return { start: ks, end: next, text: '' };
    }
    const end = afterLine(t, contentEnd(slot.pair.value as YamlNode | null, range(slot.pair.key as YamlNode)[1]));
    return removeLines(t, ls, end, index === 0);
  }
  const seq = slot.seq;
  if (seq.items.length === 1) {
    if (!parent) throw new Unsupported('removing the last item of the document');
    return replaceValue(t, parent, [], style);
  }
  const item = seq.items[slot.index] as YamlNode | null;
  if (!item) throw new Unsupported('null item');
  const ls = lineStart(t, dashOf(t, item));
  const end = afterLine(t, contentEnd(item, range(item)[1]));
  return removeLines(t, ls, end, slot.index === 0);
}

/**
 * Removes whole lines [ls, end). A blank line that separated the removed entry from the next one goes
 * too when nothing is left to separate: the entry was first in its collection, or a blank line precedes it.
 */
function removeLines(t: string, ls: number, end: number, first: boolean): Edit {
  const blankAfter = /^[ \t]*\r?\n/.exec(t.slice(end));
  if (blankAfter) {
    const prev = t.slice(lineStart(t, Math.max(0, ls - 1)), ls);
    if (first || (ls > 0 && prev.trim() === '')) end += blankAfter[0].length;
  }
  return { start: ls, end, text: '' };
}

// --- tree fallback ---------------------------------------------------------------------------------

/** Applies one operation to the syntax tree (used when a local text edit is not possible). */
function editTree(doc: Document.Parsed, op: PatchOperation): void {
  const path = op.path;
  let node = doc.contents as YamlNode | null;
  for (let i = 0; i < path.length - 1; i++) {
    const seg = path[i]!;
    if (isAlias(node)) throw new Unsupported('alias on the path');
    let child: YamlNode | null | undefined;
    if (isMap(node) && typeof seg === 'string') child = findPair(node, seg)?.value as YamlNode | null | undefined;
    else if (isSeq(node) && typeof seg === 'number') child = node.items[seg] as YamlNode | null | undefined;
    else throw new PatchError('path runs through a scalar');
    if (child === undefined || child === null || (isScalar(child) && child.value === null)) {
      if (op.op === 'remove') return;
      const created = doc.createNode(nest(path.slice(i + 1), op.value)) as YamlNode;
      if (isMap(node)) node.set(seg, created);
      else (node as YAMLSeq).items[seg as number] = created;
      return;
    }
    node = child;
  }
  const last = path[path.length - 1]!;
  if (isAlias(node)) throw new Unsupported('alias on the path');
  if (isMap(node) && typeof last === 'string') {
    if (op.op === 'remove') {
      const pair = findPair(node, last);
      if (pair) node.items.splice(node.items.indexOf(pair), 1);
      return;
    }
    const pair = findPair(node, last);
    const created = doc.createNode(op.value) as YamlNode;
    if (pair) pair.value = created;
    else node.items.push(doc.createPair(last, created) as Pair<unknown, unknown>);
    return;
  }
  if (isSeq(node) && (typeof last === 'number' || last === '-')) {
    const at = last === '-' ? node.items.length : last;
    if (op.op === 'remove') {
      if (at < node.items.length) node.items.splice(at, 1);
    } else if (op.op === 'add') node.items.splice(at, 0, doc.createNode(op.value));
    else node.items[at] = doc.createNode(op.value);
    return;
  }
  throw new PatchError('path runs through a scalar');
}
