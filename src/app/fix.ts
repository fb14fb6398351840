import { readFile, writeFile } from 'node:fs/promises';
import { controlsByCheck, frameworkCheckIds } from '../compliance/frameworks.js';
import { parseManifestText, DEFAULT_LIMITS, type ParseLimits } from '../inputs/manifests/parse.js';
import { patchManifestText, type TextPatch } from '../inputs/manifests/patch-text.js';
import { readManifests } from '../inputs/manifests/read.js';
import { evaluate, type EngineOptions } from '../misconfig/engine.js';
import { resolveParameters } from '../misconfig/parameters.js';
import { PalisadeError, type ErrorCode, type InputError } from '../model/errors.js';
import type { Finding } from '../model/finding.js';
import type { PalisadeConfig } from '../model/config.js';
import type { Resource } from '../model/resource.js';
import { loadConfig } from './config.js';
import { loadFrameworks } from './content.js';
import { selectChecks } from './scan.js';

export interface FixOptions {
  paths: string[];
  /** `--config`; otherwise palisade.yaml in the working directory, if any. */
  configFile?: string;
  /** Already-loaded config (tests); wins over configFile. */
  config?: PalisadeConfig;
  /** `--framework <id>`: only fix findings of that framework's checks. */
  framework?: string;
  /** `--check`: only these checks (ids or slugs). */
  only?: string[];
  /** Compute everything, write nothing. */
  dryRun?: boolean;
  disallowAnnotationExemptions?: boolean;
  now?: Date;
  limits?: ParseLimits;
  /**
   * How many scan-and-fix rounds at most. Fixes that overlap (two checks setting the same field) wait for
   * the next round, evaluated against the already fixed text, so a second `palisade fix` finds nothing left.
   */
  maxRounds?: number;
}

/** One finding whose suggested fix was applied. */
export interface AppliedFix {
  finding: Finding;
  file: string;
  round: number;
}

/** A finding still reported after fixing, and why it was not fixed mechanically. */
export interface UnfixedFinding {
  finding: Finding;
  /**
   * `failed`: the fix does not fit the document (a field of the wrong type, an alias on the path);
   * `skipped`: the file was not edited (a document does not parse); `overlap`: it waited on another fix
   * for the same field past the last round; `unresolved`: the finding survived its own fix.
   */
  kind: 'failed' | 'skipped' | 'overlap' | 'unresolved';
  reason: string;
}

/** A file that changed (or would change, with dryRun). */
export interface ChangedFile {
  file: string;
  before: string;
  after: string;
  fixes: number;
  /** Documents that had to be re-serialised as a whole (their formatting may have changed). */
  reformattedDocuments: number[];
}

export interface FixResult {
  dryRun: boolean;
  files: ChangedFile[];
  applied: AppliedFix[];
  /** Findings without a suggested fix: to be fixed by hand. */
  manual: Finding[];
  /** Findings with a suggested fix that could not be applied. */
  notApplied: UnfixedFinding[];
  /** Read and parse errors, and files skipped because of them. */
  errors: InputError[];
  /** Files not edited because a document in them does not parse. */
  skippedFiles: string[];
  rounds: number;
}

/** Errors that mean the file's text is not fully understood: such a file is never written. */
const BLOCKING: ReadonlySet<ErrorCode> = new Set(['E_READ', 'E_YAML_SYNTAX', 'E_JSON_SYNTAX', 'E_DOC_TOO_LARGE', 'E_ALIAS_LIMIT', 'E_DEPTH_LIMIT']);

interface FileState {
  original: string;
  current: string;
  fixes: number;
  reformatted: Set<number>;
}

const OVERLAP = 'its fix overlaps another fix on the same field; run fix again';

const NO_CHANGE = 'its suggested fix does not change the file';

const keyOf = (f: Finding) => [f.checkId, f.location.file, f.resourceId, f.path, f.container ?? ''].join('\u0000');

/** The resource a finding is about: same file and id; for duplicates, the last one starting at or before the finding's line. */
function resourceOf(f: Finding, byFile: ReadonlyMap<string, Resource[]>): Resource | undefined {
  const candidates = (byFile.get(f.location.file) ?? []).filter((r) => r.id === f.resourceId);
  if (candidates.length <= 1) return candidates[0];
  let best: Resource | undefined;
  for (const r of candidates) if (r.source.line <= f.location.line && (!best || r.source.line >= best.source.line)) best = r;
  return best ?? candidates[0];
}

/**
 * Applies the suggested fixes of a scan's findings to the files in place: scan, group fixes by file and
 * document, edit the text (see patchManifestText), re-scan the edited text, and repeat while fixes that
 * waited on an overlapping one remain. Files are written once at the end, never when a document in them
 * failed to parse.
 */
export async function fixManifests(opts: FixOptions): Promise<FixResult> {
  if (opts.paths.includes('-')) {
    throw new PalisadeError('E_USAGE', 'fix edits files in place and cannot read standard input; give file or folder paths (use `palisade scan -` to check stdin)');
  }
  const loaded = opts.config ? { config: opts.config, file: opts.configFile } : loadConfig(opts.configFile);
  const config = loaded.config;
  const frameworks = loadFrameworks();
  let frameworkIds: Set<string> | undefined;
  if (opts.framework) {
    const framework = frameworks.find((f) => f.id === opts.framework);
    if (!framework) throw new PalisadeError('E_USAGE', `unknown framework "${opts.framework}"; known: ${frameworks.map((f) => f.id).join(', ')}`);
    frameworkIds = frameworkCheckIds(framework);
  }
  const checks = selectChecks(config, opts.only, frameworkIds);
  const limits = opts.limits ?? DEFAULT_LIMITS;
  const engine: EngineOptions = {
    checks,
    params: resolveParameters(config.parameters),
    controls: controlsByCheck(frameworks),
    severity: config.checks.severity,
    configExemptions: config.exemptions,
    configFile: loaded.file ?? 'palisade.yaml',
    annotationExemptions: opts.disallowAnnotationExemptions || !config.annotationExemptions.enabled ? 'off' : config.annotationExemptions.foreign ? 'on' : 'own-only',
    now: opts.now,
  };

  const manifests = await readManifests(opts.paths, limits);
  const errors: InputError[] = [...manifests.errors];
  const blocked = new Map<string, string>();
  for (const e of manifests.errors) if (BLOCKING.has(e.code) && !blocked.has(e.file)) blocked.set(e.file, e.message);
  // Resources per file, in input order; edited files get theirs re-parsed from the new text.
  const byFile = new Map<string, Resource[]>();
  for (const f of manifests.files) byFile.set(f, []);
  for (const r of manifests.resources) {
    const list = byFile.get(r.source.file);
    if (list) list.push(r);
    else byFile.set(r.source.file, [r]);
  }
  const states = new Map<string, FileState>();
  const applied = new Map<string, AppliedFix>();
  const failed = new Map<string, string>();
  const maxRounds = opts.maxRounds ?? 4;

  let findings: Finding[] = [];
  let engineErrors: InputError[] = [];
  let rounds = 0;
  for (;;) {
    ({ findings, errors: engineErrors } = evaluate([...byFile.values()].flat(), engine));
    if (rounds >= maxRounds) break;
    rounds++;
    const perFile = new Map<string, Finding[]>();
    for (const f of findings) {
      if (!f.fix || f.fix.operations.length === 0 || blocked.has(f.location.file)) continue;
      const l = perFile.get(f.location.file);
      if (l) l.push(f);
      else perFile.set(f.location.file, [f]);
    }
    let changed = false;
    for (const [file, list] of perFile) {
      let state = states.get(file);
      if (!state) {
        let text: string;
        try {
          text = await readFile(file, 'utf8');
        } catch (e) {
          blocked.set(file, `cannot read: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
          continue;
        }
        const again = parseManifestText(file, text, limits);
        const ids = (rs: readonly Resource[]) => rs.map((r) => r.id).join('\n');
        if (ids(again.resources) !== ids(byFile.get(file) ?? [])) {
          blocked.set(file, 'the file changed while it was being fixed');
          continue;
        }
        state = { original: text, current: text, fixes: 0, reformatted: new Set() };
        states.set(file, state);
      }
      const patches: TextPatch[] = [];
      const owners: Finding[] = [];
      for (const f of list) {
        const r = resourceOf(f, byFile);
        if (!r) {
          failed.set(keyOf(f), 'its resource could not be found in the file');
          continue;
        }
        const prefix = r.source.pathPrefix;
        patches.push({
          documentIndex: r.source.documentIndex,
          operations: f.fix!.operations.map((op) => ({ ...op, path: [...prefix, ...op.path] })),
        });
        owners.push(f);
      }
      const result = patchManifestText(state.current, patches);
      if (result.error) {
        const where = result.error.line !== undefined ? `${file}:${result.error.line}` : file;
        blocked.set(file, `${where}: ${result.error.message}`);
        errors.push({ code: 'E_YAML_SYNTAX', file, line: result.error.line, message: `not edited: ${result.error.message}` });
        continue;
      }
      if (result.text === state.current) {
        result.statuses.forEach((s, i) => {
          if (s.status === 'failed') failed.set(keyOf(owners[i]!), s.reason);
          else if (s.status === 'unchanged') failed.set(keyOf(owners[i]!), NO_CHANGE);
        });
        continue;
      }
      const reparsed = parseManifestText(file, result.text, limits);
      if (reparsed.errors.some((e) => BLOCKING.has(e.code))) {
        // Never expected (every edit is re-parsed and compared), but never write text the scanner cannot read.
        for (const f of owners) failed.set(keyOf(f), 'the edited file would not parse');
        continue;
      }
      result.statuses.forEach((s, i) => {
        const f = owners[i]!;
        const key = keyOf(f);
        if (s.status === 'applied') {
          if (!applied.has(key)) {
            applied.set(key, { finding: f, file, round: rounds });
            state.fixes++;
          }
          failed.delete(key);
        } else if (s.status === 'failed') failed.set(key, s.reason);
        else if (s.status === 'unchanged') failed.set(key, NO_CHANGE);
        else failed.set(key, OVERLAP);
      });
      for (const d of result.reformatted) state.reformatted.add(d);
      state.current = result.text;
      byFile.set(file, reparsed.resources);
      changed = true;
    }
    if (!changed) break;
  }

  errors.push(...engineErrors);
  const manual: Finding[] = [];
  const notApplied: UnfixedFinding[] = [];
  for (const f of findings) {
    if (!f.fix || f.fix.operations.length === 0) {
      manual.push(f);
      continue;
    }
    const key = keyOf(f);
    const skipped = blocked.get(f.location.file);
    const reason = failed.get(key);
    if (skipped) notApplied.push({ finding: f, kind: 'skipped', reason: `file not edited: ${skipped}` });
    else if (reason === OVERLAP || (!reason && !applied.has(key))) notApplied.push({ finding: f, kind: 'overlap', reason: OVERLAP });
    else if (reason && reason !== NO_CHANGE) notApplied.push({ finding: f, kind: 'failed', reason });
    else if (reason) notApplied.push({ finding: f, kind: 'unresolved', reason });
    else notApplied.push({ finding: f, kind: 'unresolved', reason: 'still reported after its fix was applied' });
  }
  const files: ChangedFile[] = [];
  for (const [file, s] of states) {
    if (s.current === s.original) continue;
    files.push({ file, before: s.original, after: s.current, fixes: s.fixes, reformattedDocuments: [...s.reformatted].sort((a, b) => a - b) });
  }
  if (!opts.dryRun) {
    for (const f of files) {
      try {
        await writeFile(f.file, f.after, 'utf8');
      } catch (e) {
        errors.push({ code: 'E_READ', file: f.file, message: `cannot write: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}` });
      }
    }
  }
  return {
    dryRun: opts.dryRun === true,
    files,
    applied: [...applied.values()].filter((a) => files.some((f) => f.file === a.file)),
    manual,
    notApplied,
    errors,
    skippedFiles: [...blocked.keys()],
    rounds,
  };
}
