/**
 * What a scan worker (scan-worker.ts) needs to evaluate checks exactly as the main thread does: the
 * engine options, as plain data that survives `postMessage`.
 */
import { ALL_CHECKS } from '../misconfig/checks/index.js';
import type { EngineOptions } from '../misconfig/engine.js';

/** {@link EngineOptions} with the checks named by id (check objects hold code, which does not travel). */
export interface ScanWorkerContext extends Omit<EngineOptions, 'checks'> {
  checks: string[];
}

/** The scan worker script: compiled, or the TypeScript source (tests, `tsx`). */
export const SCAN_WORKER = new URL(import.meta.url.endsWith('.ts') ? './scan-worker.ts' : './scan-worker.js', import.meta.url);

/**
 * The context for a scan's workers, or undefined when its checks cannot be named (a check that is not
 * in the registry): the workers then only parse.
 */
export function scanWorkerContext(opts: EngineOptions): ScanWorkerContext | undefined {
  const byId = new Map(ALL_CHECKS.map((c) => [c.id, c]));
  if (!opts.checks.every((c) => byId.get(c.id) === c)) return undefined;
  return { ...opts, checks: opts.checks.map((c) => c.id) };
}

/** The engine options a worker rebuilds from the context. */
export function scanWorkerEngine(context: ScanWorkerContext): EngineOptions {
  const byId = new Map(ALL_CHECKS.map((c) => [c.id, c]));
  return { ...context, checks: context.checks.map((id) => byId.get(id)!) };
}
