import jsYaml from 'js-yaml';
import type { InputError } from '../../model/errors.js';
import type { FieldPath } from '../../model/path.js';
import { resourceId, type K8sObject, type Location, type Resource, type ResourceSource } from '../../model/resource.js';
import { isPlainAscii, parseFastYaml, UNSUPPORTED } from './fast-yaml.js';
import { DocumentLocator } from './locate.js';

const isDigit = (c: number) => c >= 48 && c <= 57;

/** The types js-yaml builds its default schema from (exported at run time, absent from its typings). */
type YamlTypeName = 'null' | 'bool' | 'int' | 'float' | 'timestamp' | 'merge' | 'binary' | 'omap' | 'pairs' | 'set';
type YamlType = jsYaml.Type & { tag: string; options: jsYaml.TypeConstructorOptions };

/** A js-yaml type with a cheaper `resolve` that answers exactly as the original's. */
function withPrefilter(type: YamlType, mayMatch: (data: string) => boolean): jsYaml.Type {
  const original = type.resolve.bind(type);
  return new jsYaml.Type(type.tag, { ...type.options, resolve: (data: string | null) => data !== null && mayMatch(data) && original(data) });
}

/**
 * js-yaml's default schema with cheaper implicit typing. Every plain scalar, keys included, is tried as
 * null, bool, int, float, timestamp and merge key in turn, and the float and timestamp tests are regular
 * expressions: rejecting first what cannot match them (a float starts with a digit, a sign or a dot; a
 * timestamp with four digits and a dash) made parsing a quarter faster, with exactly the same results.
 * The same types in the same order as DEFAULT_SCHEMA; that schema itself if this js-yaml differs.
 */
function fastSchema(): jsYaml.Schema {
  const t = (jsYaml as unknown as { types?: Partial<Record<YamlTypeName, YamlType>> }).types;
  const names: YamlTypeName[] = ['null', 'bool', 'int', 'float', 'timestamp', 'merge', 'binary', 'omap', 'pairs', 'set'];
  if (!t || !names.every((n) => t[n] && typeof t[n].tag === 'string' && t[n].options)) return jsYaml.DEFAULT_SCHEMA;
  return jsYaml.FAILSAFE_SCHEMA.extend({
    implicit: [
      t.null!,
      t.bool!,
      t.int!,
      withPrefilter(t.float!, (d) => {
        const c = d.charCodeAt(0);
        return isDigit(c) || c === 45 /* - */ || c === 43 /* + */ || c === 46 /* . */;
      }),
      withPrefilter(t.timestamp!, (d) => d.length >= 10 && d.charCodeAt(4) === 45 /* - */ && isDigit(d.charCodeAt(0))),
      t.merge!,
    ],
    explicit: [t.binary!, t.omap!, t.pairs!, t.set!],
  });
}

const SCHEMA = fastSchema();

/** The schema's implicit types, in order (undefined if this js-yaml does not expose them). */
const IMPLICIT = (SCHEMA as unknown as { compiledImplicit?: Array<Pick<jsYaml.Type, 'resolve' | 'construct'>> }).compiledImplicit;

/**
 * Types a plain scalar exactly as js-yaml does with SCHEMA. Most scalars start with a letter, and a
 * letter-first scalar can only be null or a boolean (`null`, `True`...: four or five letters): for the
 * others the implicit types need not be tried.
 */
export function plainScalar(s: string): unknown {
  const c = s.charCodeAt(0);
  if (((c >= 97 && c <= 122) || (c >= 65 && c <= 90)) && s.length !== 4 && s.length !== 5) return s;
  for (const type of IMPLICIT!) {
    if (!type.resolve(s)) continue;
    const v: unknown = type.construct(s);
    if (!(v === null || typeof v === 'boolean' || (typeof v === 'number' && Number.isFinite(v) && !Object.is(v, -0)))) scalarsInexact = true;
    return v;
  }
  return s;
}

/**
 * Set by {@link plainScalar} when it types a scalar as something JSON does not give back as is (a date,
 * `.nan`, `.inf`, `-0`): see {@link RawParsedFile.jsonExact}.
 */
let scalarsInexact = false;

/** Bounds that keep hostile input (YAML bombs, deep nesting, huge documents) from exhausting the process. */
export interface ParseLimits {
  /** Largest document, in bytes of source text. */
  maxDocumentBytes: number;
  /** Most nodes a document may expand to once aliases are followed. */
  maxNodes: number;
  /** Deepest nesting of mappings and sequences. */
  maxDepth: number;
}

export const DEFAULT_LIMITS: ParseLimits = { maxDocumentBytes: 4 * 1024 * 1024, maxNodes: 1_000_000, maxDepth: 100 };

/** What one file turned into. */
export interface ParsedFile {
  file: string;
  resources: Resource[];
  errors: InputError[];
  /** Documents that parsed but held no Kubernetes object (e.g. Helm values files found while walking a folder). */
  nonObjects: number;
}

/**
 * A parsed file as plain data: what {@link ParsedFile} holds minus the field locators, which are closures.
 * It survives `postMessage` (structured clone keeps dates and shared aliases), so a worker thread can parse
 * and the main thread rebuild the resources with {@link materializeParsedFile}.
 */
export interface RawParsedFile {
  file: string;
  /** Texts of the documents that hold resources (what field lines are found in), with their first line. */
  docs: RawDocumentText[];
  resources: RawResource[];
  errors: InputError[];
  nonObjects: number;
  /**
   * Every document was parsed by the fast path into strings, finite numbers, booleans and nulls only (no
   * alias, date or special float): `JSON.parse(JSON.stringify(resources))` rebuilds them exactly, and
   * `JSON.parse` costs about a third of parsing the YAML again on another thread.
   */
  jsonExact?: boolean;
}

/** The text of one document of a file. */
export interface RawDocumentText {
  text: string;
  /** 1-based line of the document's first text line in the file. */
  startLine: number;
  /** Offset of `text` in the file's text (another thread can cut it out of the file's text it has). */
  start?: number;
  /** The locator used while parsing, reused when the file is rebuilt in the same thread (never transferred). */
  locator?: DocumentLocator;
}

/** A resource as plain data (see {@link RawParsedFile}). */
export interface RawResource {
  id: string;
  apiVersion: string;
  kind: string;
  name: string;
  namespace: string | undefined;
  object: K8sObject;
  /** Index into `docs`. */
  doc: number;
  documentIndex: number;
  pathPrefix: FieldPath;
  line: number;
}

interface RawDocument {
  text: string;
  /** 1-based line of the document's first text line in the file. */
  startLine: number;
  index: number;
  /** Offset of `text` in the file's text. */
  start: number;
}

/** A `---` or `...` line start (whether it is at a line start by `\n`, and what follows, is checked apart). */
const MARKER = /^(?:---|\.\.\.)/gm;

/**
 * Splits a multi-document YAML stream on `---` / `...` lines without parsing it. The markers are found
 * by a regular expression and lines are counted only up to each of them: a loop over every line of a
 * large input cost more than parsing some of its documents.
 */
export function splitDocuments(source: string): RawDocument[] {
  const docs: RawDocument[] = [];
  let start = 0;
  let startLine = 1;
  // Lines counted so far: `line` is the 1-based line that starts at offset `lineAt`.
  let line = 1;
  let lineAt = 0;
  const push = (end: number) => {
    const text = source.slice(start, end);
    docs.push({ text, startLine, index: docs.length, start });
  };
  const re = new RegExp(MARKER);
  for (let m = re.exec(source); m !== null; m = re.exec(source)) {
    const pos = m.index;
    // `^` also matches after `\r` and the Unicode line separators; only `\n` ends a line here.
    if (pos > 0 && source.charCodeAt(pos - 1) !== 10) continue;
    let end = source.indexOf('\n', pos);
    if (end === -1) end = source.length;
    // The marker alone on its line, or followed by whitespace.
    if (end - pos !== 3 && !/\s/.test(source[pos + 3]!)) continue;
    for (let nl = source.indexOf('\n', lineAt); nl !== -1 && nl < pos; nl = source.indexOf('\n', nl + 1)) line++;
    lineAt = pos;
    if (source.charCodeAt(pos) === 45 /* - */) {
      if (pos > start || docs.length > 0) push(pos);
      // Content after `--- ` on the same line (rare) stays part of the next document.
      const rest = source.slice(pos + 3, end).trim();
      if (rest !== '' && !rest.startsWith('#')) {
        start = pos + 3;
        startLine = line;
      } else {
        start = end + 1;
        startLine = line + 1;
      }
    } else {
      push(pos);
      start = end + 1;
      startLine = line + 1;
    }
  }
  if (start < source.length) push(source.length);
  return docs.filter((d) => d.text.trim() !== '');
}

/** Measures nodes (following aliases) and depth; stops early past the limits. */
function measure(value: unknown, limits: ParseLimits): 'ok' | 'nodes' | 'depth' {
  let nodes = 0;
  const stack: Array<[unknown, number]> = [[value, 0]];
  while (stack.length > 0) {
    const [v, depth] = stack.pop()!;
    if (++nodes > limits.maxNodes) return 'nodes';
    if (v === null || typeof v !== 'object') continue;
    if (depth >= limits.maxDepth) return 'depth';
    if (Array.isArray(v)) for (const x of v) stack.push([x, depth + 1]);
    else for (const k in v as Record<string, unknown>) stack.push([(v as Record<string, unknown>)[k], depth + 1]);
  }
  return 'ok';
}

/**
 * Offset of a JSON syntax error. Node 20's JSON.parse messages carry no position, so find the shortest prefix
 * whose error is no longer "unexpected end": that is where the text stops being valid JSON.
 */
function jsonErrorOffset(source: string): number {
  const isEndError = (n: number) => {
    try {
      JSON.parse(source.slice(0, n));
      return true;
    } catch (e) {
      return /end of JSON input|Unterminated/i.test((e as Error).message);
    }
  };
  let lo = 0;
  let hi = source.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (isEndError(mid)) lo = mid + 1;
    else hi = mid;
  }
  return Math.max(0, lo - 1);
}

function lineOfOffset(text: string, offset: number): number {
  let n = 1;
  for (let i = 0; i < offset && i < text.length; i++) if (text.charCodeAt(i) === 10) n++;
  return n;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/**
 * Parses one file's text into resources. YAML is parsed document by document with js-yaml (the fastest
 * parser available) so that one broken document never hides the others; field lines are found later,
 * only for fields that findings point at (see DocumentLocator).
 */
export function parseManifestText(file: string, source: string, limits: ParseLimits = DEFAULT_LIMITS): ParsedFile {
  return materializeParsedFile(parseManifestRaw(file, source, limits));
}

/**
 * Where a parsed resource came from. Its fields are located through its document's locator, made on first
 * use and shared with the other resources of the document (items of a `List`). A class rather than an
 * object with a closure: two objects less per resource for the collector to move while a scan runs.
 */
class DocumentSource implements ResourceSource {
  readonly #docs: readonly RawDocumentText[];
  readonly #locators: Array<DocumentLocator | undefined>;
  readonly #doc: number;

  constructor(
    readonly file: string,
    readonly documentIndex: number,
    readonly pathPrefix: FieldPath,
    readonly line: number,
    docs: readonly RawDocumentText[],
    locators: Array<DocumentLocator | undefined>,
    doc: number,
  ) {
    this.#docs = docs;
    this.#locators = locators;
    this.#doc = doc;
  }

  locate(path: FieldPath): Location {
    const doc = this.#docs[this.#doc]!;
    const locator = (this.#locators[this.#doc] ??= new DocumentLocator(doc.text));
    const p = locator.locate(path, this.pathPrefix);
    return { file: this.file, line: doc.startLine - 1 + p.line, column: p.column };
  }
}

/** Rebuilds the resources of a {@link RawParsedFile}, with their field locators. */
export function materializeParsedFile(raw: RawParsedFile): ParsedFile {
  const file = raw.file;
  // The locators keep the texts, not `raw`: the objects must not outlive their resources through them.
  const docs = raw.docs;
  const locators: Array<DocumentLocator | undefined> = docs.map((d) => d.locator);
  const resources = raw.resources.map(
    (r): Resource => ({
      id: r.id,
      apiVersion: r.apiVersion,
      kind: r.kind,
      name: r.name,
      namespace: r.namespace,
      object: r.object,
      source: new DocumentSource(file, r.documentIndex, r.pathPrefix, r.line, docs, locators, r.doc),
    }),
  );
  return { file, resources, errors: raw.errors, nonObjects: raw.nonObjects };
}

/**
 * What can be learnt of a file's text without parsing it, on the thread that read it, so that the thread
 * that parses it has less to do: whether it is plain ASCII, and where its YAML documents are (offset,
 * length, first line and index of each, as {@link splitDocuments} finds them; absent for JSON).
 */
export interface PreparedText {
  plainAscii: boolean;
  docs?: Int32Array;
}

/** Whether the text is parsed as one JSON value rather than as YAML documents. */
function isJsonText(source: string): boolean {
  const trimmed = source.trimStart();
  return trimmed.startsWith('{') || trimmed.startsWith('[');
}

/** See {@link PreparedText}. */
export function prepareText(source: string): PreparedText {
  const plainAscii = isPlainAscii(source);
  if (isJsonText(source)) return { plainAscii };
  const split = splitDocuments(source);
  const docs = new Int32Array(split.length * 4);
  split.forEach((d, i) => {
    docs[i * 4] = d.start;
    docs[i * 4 + 1] = d.text.length;
    docs[i * 4 + 2] = d.startLine;
    docs[i * 4 + 3] = d.index;
  });
  return { plainAscii, docs };
}

/** The documents {@link prepareText} found, cut out of the text. */
function preparedDocuments(source: string, spans: Int32Array): RawDocument[] {
  const docs: RawDocument[] = [];
  for (let i = 0; i < spans.length; i += 4) {
    const start = spans[i]!;
    docs.push({ text: source.slice(start, start + spans[i + 1]!), startLine: spans[i + 2]!, index: spans[i + 3]!, start });
  }
  return docs;
}

/**
 * {@link parseManifestText} without the locators: plain data that can cross a thread boundary. `prepared`
 * is what {@link prepareText} found in this very text, if it was called.
 */
export function parseManifestRaw(file: string, source: string, limits: ParseLimits = DEFAULT_LIMITS, prepared?: PreparedText): RawParsedFile {
  const out: RawParsedFile = { file, docs: [], resources: [], errors: [], nonObjects: 0 };
  if (isJsonText(source)) {
    const trimmed = source.trimStart();
    const lead = source.length - trimmed.length;
    const startLine = lineOfOffset(source, lead);
    let value: unknown;
    try {
      value = JSON.parse(source);
    } catch (e) {
      const msg = (e as Error).message;
      const m = /position (\d+)/.exec(msg);
      let line = m ? lineOfOffset(source, Number(m[1])) : undefined;
      if (line === undefined) line = lineOfOffset(source, jsonErrorOffset(source));
      out.errors.push({ code: 'E_JSON_SYNTAX', file, line, message: `invalid JSON: ${msg}` });
      return out;
    }
    addDocument(out, value, { text: source, startLine: 1, index: 0, start: 0 }, limits, startLine);
    return out;
  }
  let exact = true;
  const plainAscii = prepared?.plainAscii === true;
  for (const doc of prepared?.docs ? preparedDocuments(source, prepared.docs) : splitDocuments(source)) {
    if (doc.text.length > limits.maxDocumentBytes) {
      out.errors.push({
        code: 'E_DOC_TOO_LARGE', file, line: doc.startLine,
        message: `document ${doc.index + 1} is ${doc.text.length} bytes, over the limit of ${limits.maxDocumentBytes} bytes`,
      });
      continue;
    }
    // Manifest-shaped YAML takes the fast path; anything else, and every error, goes through js-yaml.
    scalarsInexact = false;
    let value: unknown = IMPLICIT && SCHEMA !== jsYaml.DEFAULT_SCHEMA ? parseFastYaml(doc.text, plainScalar, limits.maxDepth, plainAscii) : UNSUPPORTED;
    if (value === UNSUPPORTED || scalarsInexact) exact = false;
    try {
      if (value === UNSUPPORTED) value = jsYaml.load(doc.text, { filename: file, schema: SCHEMA, maxDepth: limits.maxDepth } as jsYaml.LoadOptions);
    } catch (e) {
      if (e instanceof jsYaml.YAMLException) {
        const line = e.mark ? doc.startLine + e.mark.line : doc.startLine;
        const column = e.mark ? e.mark.column + 1 : undefined;
        if (/maxDepth/.test(e.reason)) {
          out.errors.push({ code: 'E_DEPTH_LIMIT', file, line, column, message: `document ${doc.index + 1} nests deeper than ${limits.maxDepth} levels` });
        } else out.errors.push({ code: 'E_YAML_SYNTAX', file, line, column, message: `YAML syntax error: ${e.reason}` });
      } else if (e instanceof RangeError) {
        out.errors.push({ code: 'E_DEPTH_LIMIT', file, line: doc.startLine, message: `document ${doc.index + 1} is nested too deeply to parse` });
      } else throw e;
      continue;
    }
    if (value === null || value === undefined) continue;
    addDocument(out, value, doc, limits, doc.startLine);
  }
  if (exact) out.jsonExact = true;
  return out;
}

function addDocument(out: RawParsedFile, value: unknown, doc: RawDocument, limits: ParseLimits, firstLine: number): void {
  const file = out.file;
  // Aliases are shared references after parsing; only documents that use them can expand past their size.
  if (doc.text.includes('*') || doc.text.length > 64 * 1024) {
    const m = measure(value, limits);
    if (m === 'nodes') {
      out.errors.push({ code: 'E_ALIAS_LIMIT', file, line: firstLine, message: `document ${doc.index + 1} expands to more than ${limits.maxNodes} nodes (alias expansion limit)` });
      return;
    }
    if (m === 'depth') {
      out.errors.push({ code: 'E_DEPTH_LIMIT', file, line: firstLine, message: `document ${doc.index + 1} nests deeper than ${limits.maxDepth} levels` });
      return;
    }
  }
  if (!isPlainObject(value)) {
    out.errors.push({ code: 'E_NOT_K8S_OBJECT', file, line: firstLine, message: `document ${doc.index + 1} is a ${Array.isArray(value) ? 'sequence' : typeof value}, not a Kubernetes object` });
    return;
  }
  const locator = new DocumentLocator(doc.text);
  const lineBase = doc.startLine - 1;
  const docIndex = out.docs.length;
  const before = out.resources.length;
  const kind = value.kind;
  const items = value.items;
  if (typeof kind === 'string' && kind.endsWith('List') && Array.isArray(items)) {
    const itemKind = kind === 'List' ? undefined : kind.slice(0, -4);
    items.forEach((item, i) => {
      if (isPlainObject(item)) {
        if (itemKind && item.kind === undefined) item.kind = itemKind;
        if (item.apiVersion === undefined && typeof value.apiVersion === 'string' && itemKind) item.apiVersion = value.apiVersion;
      }
      addObject(out, item, doc, locator, lineBase, ['items', i], docIndex);
    });
  } else addObject(out, value, doc, locator, lineBase, [], docIndex);
  // Keep the text only for documents that hold resources: nothing else is ever located.
  if (out.resources.length > before) out.docs.push({ text: doc.text, startLine: doc.startLine, start: doc.start, locator });
}

function addObject(out: RawParsedFile, value: unknown, doc: RawDocument, locator: DocumentLocator, lineBase: number, prefix: FieldPath, docIndex: number): void {
  const file = out.file;
  const where = prefix.length > 0 ? `document ${doc.index + 1}, items[${prefix[1]}]` : `document ${doc.index + 1}`;
  const pos = locator.locate(prefix);
  const line = lineBase + pos.line;
  if (!isPlainObject(value)) {
    out.errors.push({ code: 'E_NOT_K8S_OBJECT', file, line, message: `${where} is not a mapping` });
    return;
  }
  const missing: string[] = [];
  if (typeof value.apiVersion !== 'string' || value.apiVersion === '') missing.push('apiVersion');
  if (typeof value.kind !== 'string' || value.kind === '') missing.push('kind');
  if (missing.length === 2 && prefix.length === 0) {
    out.nonObjects++;
    out.errors.push({ code: 'E_NOT_K8S_OBJECT', file, line, message: `${where} is not a Kubernetes object: it has no apiVersion and no kind` });
    return;
  }
  const meta = value.metadata;
  if (meta !== undefined && !isPlainObject(meta)) {
    out.errors.push({ code: 'E_NOT_K8S_OBJECT', file, line, field: 'metadata', message: `${where}: metadata must be a mapping` });
    return;
  }
  const metadata = (meta ?? {}) as Record<string, unknown>;
  const name = typeof metadata.name === 'string' ? metadata.name : typeof metadata.generateName === 'string' ? `${metadata.generateName}*` : undefined;
  if (name === undefined) missing.push('metadata.name');
  if (missing.length > 0) {
    out.errors.push({ code: 'E_NOT_K8S_OBJECT', file, line, field: missing[0], message: `${where} is not a Kubernetes object: missing ${missing.join(', ')}` });
    return;
  }
  if (value.metadata === undefined) value.metadata = metadata;
  const namespace = typeof metadata.namespace === 'string' && metadata.namespace !== '' ? metadata.namespace : undefined;
  const kind = value.kind as string;
  out.resources.push({
    id: resourceId(kind, name!, namespace),
    apiVersion: value.apiVersion as string,
    kind,
    name: name!,
    namespace,
    object: value as K8sObject,
    doc: docIndex,
    documentIndex: doc.index,
    pathPrefix: prefix,
    line,
  });
}
