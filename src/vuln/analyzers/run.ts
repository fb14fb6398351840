import type { OsInfo, Package } from '../../model/package.js';
import type { Analyzer, AnalyzerError, AnalyzerFile } from './analyzer.js';
import { ANALYZERS } from './index.js';

/** An analyzer problem, with the analyzer that reported it. */
export interface AnalysisError extends AnalyzerError {
  analyzer: string;
}

/** Everything the analyzers found in one file view. */
export interface Analysis {
  os?: OsInfo;
  packages: Package[];
  errors: AnalysisError[];
  /** `id@version` of every analyzer that ran, sorted: part of a cache key for the result. */
  analyzers: string[];
}

/** True when some analyzer wants the path: the `want` function to give an image walker. */
export function wantedByAny(path: string, analyzers: ReadonlyArray<Analyzer> = ANALYZERS): boolean {
  return analyzers.some((a) => a.wants(path));
}

/**
 * Runs analyzers over a file view: each gets the files it wants (sorted by path), the OS analyzers first so
 * that package analyzers know the distribution. When several OS analyzers answer, the first in list order
 * wins. An analyzer that throws is reported as an error of its own and does not stop the others.
 */
export async function analyzeFiles(files: ReadonlyArray<AnalyzerFile>, analyzers: ReadonlyArray<Analyzer> = ANALYZERS): Promise<Analysis> {
  const sorted = [...files].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  const result: Analysis = {
    packages: [],
    errors: [],
    analyzers: analyzers.map((a) => `${a.id}@${a.version}`).sort(),
  };
  const run = async (a: Analyzer): Promise<void> => {
    const mine = sorted.filter((f) => a.wants(f.path));
    if (mine.length === 0) return;
    try {
      const r = await a.analyze(mine, { os: result.os });
      if (r.os && !result.os) result.os = r.os;
      result.packages.push(...r.packages);
      for (const e of r.errors) result.errors.push({ analyzer: a.id, ...e });
    } catch (e) {
      result.errors.push({ analyzer: a.id, path: mine[0].path, message: `analyzer failed: ${(e as Error).message}` });
    }
  };
  for (const a of analyzers) if (a.kind === 'os') await run(a);
  for (const a of analyzers) if (a.kind !== 'os') await run(a);
  return result;
}
