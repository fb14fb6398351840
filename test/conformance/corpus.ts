import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import type { z } from 'zod';
import type { ScanFile } from './palisade.js';

/** Walks up from `start` to the folder holding Palisade's package.json. */
export function findRepoRoot(start: string): string {
  let dir = resolve(start);
  for (;;) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg)) {
      try {
        if ((JSON.parse(readFileSync(pkg, 'utf8')) as { name?: unknown }).name === 'palisade') return dir;
      } catch {
        // not ours: keep walking
      }
    }
    const up = dirname(dir);
    if (up === dir) throw new Error(`no palisade package.json above ${start}`);
    dir = up;
  }
}

/** The shared corpus of peer test suites: `$PALISADE_CORPUS`, else `../shared/corpus` next to the repository. */
export function corpusRoot(repoRoot: string, env: NodeJS.ProcessEnv = process.env): string {
  const fromEnv = env.PALISADE_CORPUS;
  return fromEnv !== undefined && fromEnv !== '' ? resolve(fromEnv) : resolve(repoRoot, '../shared/corpus');
}

const MANIFEST_EXT = /\.(ya?ml|json)$/i;

/** Manifest files under `dir` (recursively, sorted), named relative to `base` with forward slashes. */
export function manifestFiles(dir: string, base: string, exclude: (name: string) => boolean = () => false): ScanFile[] {
  const out: ScanFile[] = [];
  const walk = (d: string) => {
    for (const name of readdirSync(d).sort()) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else if (MANIFEST_EXT.test(name) && !exclude(name)) out.push({ path: p, display: toDisplay(p, base) });
    }
  };
  if (existsSync(dir)) walk(dir);
  return out;
}

/** One file, named relative to `base`. */
export function scanFile(path: string, base: string): ScanFile {
  return { path, display: toDisplay(path, base) };
}

function toDisplay(path: string, base: string): string {
  return relative(base, path).split(sep).join('/');
}

/** Reads and validates a JSON file of the corpus (the corpus is outside data: validate it at the boundary). */
export function readJson<T extends z.ZodType>(file: string, schema: T): z.infer<T> {
  const parsed = schema.safeParse(JSON.parse(readFileSync(file, 'utf8')));
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new Error(`${file}: unexpected shape at ${issue?.path.join('.') ?? '?'}: ${issue?.message ?? ''}`);
  }
  return parsed.data;
}
