import { readdirSync, statSync } from 'node:fs';
import { join, extname } from 'node:path';
import type { InputError } from '../../model/errors.js';
import type { Resource } from '../../model/resource.js';
import { DEFAULT_LIMITS, parseManifestText, type ParsedFile, type ParseLimits } from './parse.js';
import { parseFiles, type ThreadOptions } from './threads.js';

const MANIFEST_EXTENSIONS = new Set(['.yaml', '.yml', '.json']);
const SKIPPED_DIRS = new Set(['node_modules', '.git', '.terraform', '.helm']);

/** Everything read from the inputs of one scan. */
export interface ManifestSet {
  resources: Resource[];
  errors: InputError[];
  files: string[];
  /** Files found while walking folders that hold no Kubernetes object (values.yaml, Chart.yaml...). */
  skippedFiles: string[];
}

/** Reads standard input to the end. */
async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * Lists the manifest files under a folder. Synchronous, as the reads are (see threads.ts): a thread-pool
 * round trip per folder left the scan idle for longer than listing them takes.
 */
function walk(dir: string, out: string[]): void {
  const entries = readdirSync(dir, { withFileTypes: true });
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const e of entries) {
    const p = join(dir, e.name);
    if (e.isDirectory()) {
      if (!SKIPPED_DIRS.has(e.name)) walk(p, out);
    } else if (e.isFile() && MANIFEST_EXTENSIONS.has(extname(e.name).toLowerCase())) out.push(p);
  }
}

/** Optional behaviour of {@link readManifests}. */
export interface ReadOptions extends ThreadOptions {
  /**
   * Receives the resources of each run of files as soon as it is parsed, before the whole input is read
   * (runs read on other threads arrive in no particular order), so that work on them can start early.
   * The resources are the same objects as in the final set. `extra` is what the worker script of
   * {@link ThreadOptions.worker} made of them when a worker read them (`byWorker`).
   */
  onResources?: (resources: Resource[], extra: unknown, byWorker: boolean) => void;
}

/**
 * Reads files, folders (recursively, .yaml/.yml/.json) and `-` (stdin). Unreadable paths become
 * errors; files found by walking a folder that hold no Kubernetes object at all are listed as skipped
 * rather than as errors, so scanning a Helm chart folder does not drown in values.yaml complaints.
 * Many files are read on several threads (see threads.ts); the result is the same either way.
 */
export async function readManifests(paths: readonly string[], limits: ParseLimits = DEFAULT_LIMITS, onFile?: (file: string, done: number, total: number) => void, opts: ReadOptions = {}): Promise<ManifestSet> {
  const set: ManifestSet = { resources: [], errors: [], files: [], skippedFiles: [] };
  const targets: Array<{ file: string; walked: boolean }> = [];
  for (const p of paths) {
    if (p === '-') {
      targets.push({ file: '-', walked: false });
      continue;
    }
    try {
      const s = statSync(p);
      if (s.isDirectory()) {
        const found: string[] = [];
        walk(p, found);
        for (const f of found) targets.push({ file: f, walked: true });
      } else targets.push({ file: p, walked: false });
    } catch (e) {
      set.errors.push({ code: 'E_READ', file: p, message: `cannot read: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}` });
    }
  }
  let done = 0;
  const add = (t: { file: string; walked: boolean }, parsed: ParsedFile | InputError) => {
    if (!('resources' in parsed)) {
      set.errors.push(parsed);
      return;
    }
    set.files.push(parsed.file);
    if (t.walked && parsed.resources.length === 0 && parsed.errors.length === parsed.nonObjects) {
      set.skippedFiles.push(parsed.file);
    } else {
      for (const r of parsed.resources) set.resources.push(r);
      for (const e of parsed.errors) set.errors.push(e);
    }
  };
  if (!targets.some((t) => t.file === '-')) {
    const parsed = await parseFiles(targets.map((t) => t.file), limits, opts, (first, chunk, extra, byWorker) => {
      const resources: Resource[] = [];
      for (const p of chunk) if ('resources' in p) for (const r of p.resources) resources.push(r);
      opts.onResources?.(resources, extra, byWorker);
      chunk.forEach((_p, k) => onFile?.(targets[first + k]!.file, ++done, targets.length));
    });
    parsed.files.forEach((p, i) => add(targets[i]!, p));
    return set;
  }
  for (const t of targets) {
    let parsed: ParsedFile | InputError;
    if (t.file === '-') {
      let text: string | undefined;
      try {
        text = await readStdin();
      } catch (e) {
        parsed = { code: 'E_READ', file: t.file, message: `cannot read: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}` };
      }
      if (text !== undefined) parsed = parseManifestText('<stdin>', text, limits);
    } else {
      [parsed] = (await parseFiles([t.file], limits, { threads: 0 }, () => undefined)).files;
    }
    if ('resources' in parsed!) opts.onResources?.(parsed.resources, undefined, false);
    add(t, parsed!);
    onFile?.(t.file, ++done, targets.length);
  }
  return set;
}
