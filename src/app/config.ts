import { existsSync, readFileSync } from 'node:fs';
import { LineCounter, parseDocument } from 'yaml';
import { configSchema, type PalisadeConfig } from '../model/config.js';
import { PalisadeError } from '../model/errors.js';
import { zodIssueMessage } from './yaml-errors.js';

export const DEFAULT_CONFIG_FILES = ['palisade.yaml', '.palisade.yaml', 'palisade.yml'];

/** A loaded config and where it came from. */
export interface LoadedConfig {
  config: PalisadeConfig;
  file?: string;
}

/** Parses and validates config text; errors name the file, line and field. */
export function parseConfig(text: string, file: string): PalisadeConfig {
  const counter = new LineCounter();
  const doc = parseDocument(text, { lineCounter: counter });
  if (doc.errors.length > 0) {
    const e = doc.errors[0]!;
    throw new PalisadeError('E_CONFIG', `invalid YAML: ${e.message.split('\n')[0]}`, { file, line: e.linePos?.[0]?.line, column: e.linePos?.[0]?.col });
  }
  const raw = doc.toJS() ?? {};
  const parsed = configSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const { line, field } = zodIssueMessage(doc, counter, issue.path as Array<string | number>);
    const more = parsed.error.issues.length > 1 ? ` (and ${parsed.error.issues.length - 1} more problems)` : '';
    throw new PalisadeError('E_CONFIG', `${issue.message}${more}`, { file, line, field });
  }
  return parsed.data;
}

/** Loads `--config <file>` or the first default file in the working directory; defaults when none. */
export function loadConfig(explicit: string | undefined, cwd = process.cwd()): LoadedConfig {
  if (explicit) {
    if (!existsSync(explicit)) throw new PalisadeError('E_CONFIG', 'config file not found', { file: explicit });
    return { config: parseConfig(readFileSync(explicit, 'utf8'), explicit), file: explicit };
  }
  for (const name of DEFAULT_CONFIG_FILES) {
    const p = `${cwd}/${name}`;
    if (existsSync(p)) return { config: parseConfig(readFileSync(p, 'utf8'), name), file: name };
  }
  return { config: configSchema.parse({}) };
}
