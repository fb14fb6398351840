import { readFileSync } from 'node:fs';
import type { Check, CheckContext, CheckResult } from '../../src/misconfig/check.js';
import { ALL_CHECKS } from '../../src/misconfig/checks/index.js';
import { evaluate } from '../../src/misconfig/engine.js';
import { annotationExemptions, buildPeerIndex, exemptionCovers, type PeerIndex } from '../../src/misconfig/exemptions.js';
import { Inventory } from '../../src/misconfig/inventory.js';
import type { ResolvedParameters } from '../../src/misconfig/parameters.js';
import type { PeerTool } from '../../src/model/check-info.js';
import type { Finding } from '../../src/model/finding.js';
import type { Resource } from '../../src/model/resource.js';
import { parseManifestText } from '../../src/inputs/manifests/parse.js';
import type { ResourceStatus } from './compare.js';

/** The Palisade checks whose `equivalents[tool]` lists the peer rule id (compared case-insensitively). */
export function checksFor(tool: PeerTool, peerId: string, checks: readonly Check[] = ALL_CHECKS): Check[] {
  const want = peerId.toLowerCase();
  return checks.filter((c) => (c.equivalents[tool] ?? []).some((id) => id.toLowerCase() === want));
}

/** A file to scan: where it is, and how reports name it (relative to the peer's corpus folder). */
export interface ScanFile {
  path: string;
  display: string;
}

export interface ScanOptions {
  checks: readonly Check[];
  params?: ResolvedParameters;
  /** `on`: honour in-manifest exemptions, the peers' annotations included; `off`: ignore them all. */
  annotations: 'on' | 'off';
}

/** What the selected checks concluded for one resource. */
export interface ResourceOutcome {
  resource: Resource;
  status: ResourceStatus;
  /** Messages of unexempted findings, for disagreement reports. */
  messages: string[];
  /** Check crashes (the engine reports them as errors). */
  errors: string[];
}

/** The answer to one scan, at file-set and at resource level. */
export interface ScanOutcome {
  resources: ResourceOutcome[];
  /** At least one unexempted finding. */
  flagged: boolean;
  /** At least one selected check applied to at least one resource. */
  applied: boolean;
  /** At least one resource was skipped because of an exemption. */
  exempted: boolean;
  /** At least one selected check crashed. */
  crashed: boolean;
  /** Parse errors of the input files (one line each). */
  inputErrors: string[];
}

interface Trace {
  applied: boolean;
  resultKeys: string[];
  errors: string[];
}

/**
 * Identifies a result by the check, the location of its field and its message. The location pins the
 * result to one YAML document, so identical resources repeated across files (or documents) stay apart.
 */
function resultKey(checkId: string, file: string, line: number, column: number, message: string, container: string | undefined): string {
  return [checkId, file, line, column, message, container ?? ''].join('\u0000');
}

function findingKey(f: Finding): string {
  return resultKey(f.checkId, f.location.file, f.location.line, f.location.column, f.message, f.container);
}

/**
 * Wraps a check so that the harness sees, per resource object, whether the engine ran it and what it
 * returned. The engine itself is unchanged: it still decides applicability, exemptions and crashes.
 */
function traced(check: Check, traces: Map<Resource, Trace>): Check {
  const traceOf = (r: Resource): Trace => {
    let t = traces.get(r);
    if (!t) traces.set(r, (t = { applied: false, resultKeys: [], errors: [] }));
    return t;
  };
  return {
    ...check,
    evaluate(ctx: CheckContext): CheckResult[] {
      const t = traceOf(ctx.resource);
      t.applied = true;
      let results: CheckResult[];
      try {
        results = check.evaluate(ctx);
      } catch (e) {
        t.errors.push(`${check.id} crashed: ${(e as Error).message}`);
        throw e;
      }
      for (const r of results) {
        const loc = ctx.resource.source.locate(r.path);
        t.resultKeys.push(resultKey(check.id, loc.file, loc.line, loc.column, r.message, r.container));
      }
      return results;
    },
  };
}

/** Parses the files and returns every resource plus one line per input error. */
export function loadResources(files: readonly ScanFile[]): { resources: Resource[]; inputErrors: string[] } {
  const resources: Resource[] = [];
  const inputErrors: string[] = [];
  for (const f of files) {
    const parsed = parseManifestText(f.display, readFileSync(f.path, 'utf8'));
    resources.push(...parsed.resources);
    for (const e of parsed.errors) inputErrors.push(`${e.file}${e.line !== undefined ? `:${e.line}` : ''}: ${e.message}`);
  }
  return { resources, inputErrors };
}

/**
 * Runs the given checks on the files, scanned together as one input (cross-resource checks see all of
 * it), through the real engine. Per resource: `failed` when a check reported an unexempted finding,
 * `skipped` when findings were all exempted or an exemption covering a selected check is written on the
 * resource (peers count an annotated resource as skipped even when it would pass), `passed` when a check
 * applied and found nothing, `not-applied` otherwise.
 */
export function scanFiles(files: readonly ScanFile[], opts: ScanOptions): ScanOutcome {
  const { resources, inputErrors } = loadResources(files);
  const traces = new Map<Resource, Trace>();
  const checks = opts.checks.map((c) => traced(c, traces));
  const now = new Date();
  const result = evaluate(resources, { checks, params: opts.params, annotationExemptions: opts.annotations, now });
  const exemptedKeys = new Set(result.exempted.map(findingKey));
  const findingsByKey = new Map<string, Finding>();
  for (const f of result.findings) findingsByKey.set(findingKey(f), f);

  const inventory = new Inventory(resources);
  const peers = buildPeerIndex(opts.checks);
  const outcomes: ResourceOutcome[] = [];
  for (const resource of resources) {
    const t = traces.get(resource);
    if (!t || !t.applied) {
      outcomes.push({ resource, status: 'not-applied', messages: [], errors: [] });
      continue;
    }
    const unexempted = t.resultKeys.filter((k) => !exemptedKeys.has(k));
    const exempted = t.resultKeys.length - unexempted.length;
    let status: ResourceStatus;
    if (t.errors.length > 0) status = 'error';
    else if (unexempted.length > 0) status = 'failed';
    else if (exempted > 0 || (opts.annotations === 'on' && hasResourceWideExemption(resource, inventory, opts.checks, peers, now))) status = 'skipped';
    else status = 'passed';
    outcomes.push({ resource, status, messages: unexempted.map((k) => findingsByKey.get(k)?.message ?? k), errors: t.errors });
  }
  return {
    resources: outcomes,
    flagged: outcomes.some((o) => o.status === 'failed'),
    applied: outcomes.some((o) => o.status !== 'not-applied'),
    exempted: outcomes.some((o) => o.status === 'skipped'),
    crashed: outcomes.some((o) => o.status === 'error'),
    inputErrors,
  };
}

/** Is an unexpired, resource-wide in-manifest exemption for one of the checks written on the resource? */
function hasResourceWideExemption(resource: Resource, inventory: Inventory, checks: readonly Check[], peers: PeerIndex, now: Date): boolean {
  const parsed = annotationExemptions(resource, inventory.podView(resource), checks, peers, true, now);
  return parsed.exemptions.some((x) => !x.expired && x.container === undefined && checks.some((c) => exemptionCovers(x, c.id, resource, undefined)));
}

/** Finding messages and errors of a scan, for the note of a disagreement. */
export function scanNote(s: ScanOutcome, max = 3): string | undefined {
  const lines = s.resources.flatMap((r) => [...r.errors, ...r.messages.map((m) => `${r.resource.id}: ${m}`)]);
  const errs = s.inputErrors.filter((e) => !/is not a Kubernetes object: it has no apiVersion and no kind/.test(e));
  const all = [...lines, ...errs.map((e) => `input error ${e}`)];
  if (all.length === 0) return undefined;
  return all.slice(0, max).join('; ') + (all.length > max ? `; (+${all.length - max} more)` : '');
}

/** What a peer adapter needs: its corpus folder, the Palisade checks, and an optional peer-check filter. */
export interface PeerRunOptions {
  corpusDir: string;
  checks: readonly Check[];
  /** Only replay cases of this peer check id (case-insensitive). */
  only?: string;
}

/** Does the `--check` filter let this peer check through? */
export function selected(opts: PeerRunOptions, peerCheck: string): boolean {
  return opts.only === undefined || opts.only.toLowerCase() === peerCheck.toLowerCase();
}
