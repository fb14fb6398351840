import jsYaml from 'js-yaml';
import type { InputError } from '../../model/errors.js';
import type { FieldPath } from '../../model/path.js';
import { resourceId, type K8sObject, type Location, type Resource } from '../../model/resource.js';
import { DocumentLocator } from './locate.js';

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

interface RawDocument {
  text: string;
  /** 1-based line of the document's first text line in the file. */
  startLine: number;
  index: number;
}

/** Splits a multi-document YAML stream on `---` / `...` lines without parsing it. */
export function splitDocuments(source: string): RawDocument[] {
  const docs: RawDocument[] = [];
  let start = 0;
  let startLine = 1;
  let line = 1;
  let pos = 0;
  const push = (end: number) => {
    const text = source.slice(start, end);
    docs.push({ text, startLine, index: docs.length });
  };
  while (pos <= source.length) {
    const nl = source.indexOf('\n', pos);
    const end = nl === -1 ? source.length : nl;
    if (source.charCodeAt(pos) === 45 /* - */ && source.startsWith('---', pos) && (end - pos === 3 || /[\s]/.test(source[pos + 3]!))) {
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
    } else if (source.startsWith('...', pos) && (end - pos === 3 || /\s/.test(source[pos + 3]!))) {
      push(pos);
      start = end + 1;
      startLine = line + 1;
    }
    if (nl === -1) break;
    pos = nl + 1;
    line++;
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
  const out: ParsedFile = { file, resources: [], errors: [], nonObjects: 0 };
  const trimmed = source.trimStart();
  const looksJson = file.endsWith('.json') || trimmed.startsWith('{') || trimmed.startsWith('[');
  if (looksJson && (trimmed.startsWith('{') || trimmed.startsWith('['))) {
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
    addDocument(out, value, { text: source, startLine: 1, index: 0 }, limits, startLine);
    return out;
  }
  for (const doc of splitDocuments(source)) {
    if (doc.text.length > limits.maxDocumentBytes) {
      out.errors.push({
        code: 'E_DOC_TOO_LARGE', file, line: doc.startLine,
        message: `document ${doc.index + 1} is ${doc.text.length} bytes, over the limit of ${limits.maxDocumentBytes} bytes`,
      });
      continue;
    }
    let value: unknown;
    try {
      value = jsYaml.load(doc.text, { filename: file, maxDepth: limits.maxDepth } as jsYaml.LoadOptions);
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
  return out;
}

function addDocument(out: ParsedFile, value: unknown, doc: RawDocument, limits: ParseLimits, firstLine: number): void {
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
  const kind = value.kind;
  const items = value.items;
  if (typeof kind === 'string' && kind.endsWith('List') && Array.isArray(items)) {
    const itemKind = kind === 'List' ? undefined : kind.slice(0, -4);
    items.forEach((item, i) => {
      if (isPlainObject(item)) {
        if (itemKind && item.kind === undefined) item.kind = itemKind;
        if (item.apiVersion === undefined && typeof value.apiVersion === 'string' && itemKind) item.apiVersion = value.apiVersion;
      }
      addObject(out, item, doc, locator, lineBase, ['items', i]);
    });
    return;
  }
  addObject(out, value, doc, locator, lineBase, []);
}

function addObject(out: ParsedFile, value: unknown, doc: RawDocument, locator: DocumentLocator, lineBase: number, prefix: FieldPath): void {
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
  const resource: Resource = {
    id: resourceId(kind, name!, namespace),
    apiVersion: value.apiVersion as string,
    kind,
    name: name!,
    namespace,
    object: value as K8sObject,
    source: {
      file,
      documentIndex: doc.index,
      pathPrefix: prefix,
      line,
      locate(path: FieldPath): Location {
        const p = locator.locate(prefix.length > 0 ? [...prefix, ...path] : path);
        return { file, line: lineBase + p.line, column: p.column };
      },
    },
  };
  out.resources.push(resource);
}
