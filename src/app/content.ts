import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { LineCounter, parseDocument } from 'yaml';
import { PalisadeError } from '../model/errors.js';
import { frameworkSchema, validateFrameworks, type Framework } from '../compliance/frameworks.js';
import { ALL_CHECKS } from '../misconfig/checks/index.js';
import { zodIssueMessage } from './yaml-errors.js';

/** The package root (where content/ lives), from both src/ (tests) and dist/ (installed). */
export const PACKAGE_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const CONTENT_DIR = join(PACKAGE_ROOT, 'content');

/** Version from package.json. */
export function toolVersion(): string {
  try {
    return (JSON.parse(readFileSync(join(PACKAGE_ROOT, 'package.json'), 'utf8')) as { version: string }).version;
  } catch {
    return '0.0.0';
  }
}

let cachedFrameworks: Framework[] | undefined;

/**
 * Loads and validates every framework file. Any problem (bad YAML, schema error, a control naming a check
 * that does not exist) throws with the file and line: a broken mapping must never ship silently.
 */
export function loadFrameworks(dir = join(CONTENT_DIR, 'frameworks')): Framework[] {
  if (cachedFrameworks && dir === join(CONTENT_DIR, 'frameworks')) return cachedFrameworks;
  const out: Framework[] = [];
  if (!existsSync(dir)) return out;
  for (const name of readdirSync(dir).filter((n) => /\.ya?ml$/.test(n)).sort()) {
    const file = join(dir, name);
    const counter = new LineCounter();
    const doc = parseDocument(readFileSync(file, 'utf8'), { lineCounter: counter });
    if (doc.errors.length > 0) {
      const e = doc.errors[0]!;
      throw new PalisadeError('E_FRAMEWORK', e.message, { file, line: e.linePos?.[0]?.line });
    }
    const parsed = frameworkSchema.safeParse(doc.toJS());
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      const { line, field } = zodIssueMessage(doc, counter, issue.path as Array<string | number>);
      throw new PalisadeError('E_FRAMEWORK', issue.message, { file, line, field });
    }
    out.push(parsed.data);
  }
  const problems = validateFrameworks(out, new Set(ALL_CHECKS.map((c) => c.id)));
  if (problems.length > 0) {
    const p = problems[0]!;
    throw new PalisadeError('E_FRAMEWORK', `framework ${p.framework}, control ${p.control}: ${p.message}${problems.length > 1 ? ` (and ${problems.length - 1} more problems)` : ''}`);
  }
  if (dir === join(CONTENT_DIR, 'frameworks')) cachedFrameworks = out;
  return out;
}
