import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { isSeq, LineCounter, parseDocument, type Node as YamlNode } from 'yaml';
import { PalisadeError } from '../model/errors.js';
import { DEFAULT_IGNORE_FILE, vulnIgnoreFileSchema, vulnIgnoreListSchema } from '../model/vuln-ignore.js';
import type { IgnoreRule } from '../vuln/ignore.js';
import { zodIssueMessage } from './yaml-errors.js';

/** The entries of an ignore file, and where they came from. */
export interface LoadedIgnores {
  file?: string;
  rules: IgnoreRule[];
}

/**
 * Parses ignore file text: `vulnerabilities:` holding a list of `{id, package?, reason, expires?}`, or the
 * bare list. Errors are `E_CONFIG` naming the file, line and field; every entry records its line.
 */
export function parseIgnoreFile(text: string, file: string): IgnoreRule[] {
  const counter = new LineCounter();
  const doc = parseDocument(text, { lineCounter: counter });
  if (doc.errors.length > 0) {
    const e = doc.errors[0];
    throw new PalisadeError('E_CONFIG', `invalid YAML: ${e.message.split('\n')[0]}`, { file, line: e.linePos?.[0]?.line, column: e.linePos?.[0]?.col });
  }
  const raw: unknown = doc.toJS() ?? { vulnerabilities: [] };
  const bare = Array.isArray(raw);
  const parsed = bare ? vulnIgnoreListSchema.safeParse(raw) : vulnIgnoreFileSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const { line, field } = zodIssueMessage(doc, counter, issue.path as Array<string | number>);
    const more = parsed.error.issues.length > 1 ? ` (and ${parsed.error.issues.length - 1} more problems)` : '';
    throw new PalisadeError('E_CONFIG', `${issue.message}${more}`, { file, line, field });
  }
  const entries = Array.isArray(parsed.data) ? parsed.data : parsed.data.vulnerabilities;
  const seq = bare ? doc.contents : doc.get('vulnerabilities', true);
  const items = isSeq(seq) ? (seq.items as YamlNode[]) : [];
  return entries.map((e, i) => {
    const offset = items[i]?.range?.[0];
    const source = offset === undefined ? `${file} vulnerabilities[${i}]` : `${file}:${counter.linePos(offset).line}`;
    return { ...e, source };
  });
}

/**
 * Loads `--ignore-file <path>` (which must exist), else `.palisadeignore.yaml` in `cwd` when present, else
 * nothing.
 */
export function loadIgnoreFile(explicit: string | undefined, cwd = process.cwd()): LoadedIgnores {
  if (explicit) {
    if (!existsSync(explicit)) throw new PalisadeError('E_CONFIG', 'ignore file not found', { file: explicit });
    return { file: explicit, rules: parseIgnoreFile(readFileSync(explicit, 'utf8'), explicit) };
  }
  const p = join(cwd, DEFAULT_IGNORE_FILE);
  if (!existsSync(p)) return { rules: [] };
  return { file: DEFAULT_IGNORE_FILE, rules: parseIgnoreFile(readFileSync(p, 'utf8'), DEFAULT_IGNORE_FILE) };
}
