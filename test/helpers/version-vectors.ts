/**
 * Locates the shared corpus of version-comparison vectors (`version-vectors/` under `$PALISADE_CORPUS`, else under
 * `../shared/corpus` beside the repository) for the version-scheme tests, which skip those cases with a visible
 * notice when it is absent.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { corpusRoot, findRepoRoot } from '../conformance/corpus.js';

let warned = false;

/** The vectors folder, and whether it is there (saying so once when it is not). */
export function versionVectorsDir(): { dir: string; present: boolean } {
  const dir = join(corpusRoot(findRepoRoot(import.meta.dirname)), 'version-vectors');
  const present = existsSync(dir);
  if (!present && !warned) {
    warned = true;
    console.warn(`version vector corpus not found at ${dir} (set PALISADE_CORPUS): corpus cases skipped`);
  }
  return { dir, present };
}

/** The text of one vector file, or `undefined` when the corpus is absent. */
export function readVectorFile(name: string): string | undefined {
  const { dir, present } = versionVectorsDir();
  return present ? readFileSync(join(dir, name), 'utf8') : undefined;
}

/** One vector file parsed as JSON, or `undefined` when the corpus is absent. */
export function readVectorJson<T>(name: string): T | undefined {
  const text = readVectorFile(name);
  return text === undefined ? undefined : (JSON.parse(text) as T);
}
