import type { ExemptedFinding, ExemptionIssue, Finding, ControlRef, SuggestedFix } from '../model/finding.js';
import type { InputError } from '../model/errors.js';
import { formatPath, type FieldPath, type Segment } from '../model/path.js';
import { toRef, type Location, type Resource, type ResourceRef } from '../model/resource.js';
import { flatString } from '../model/text.js';
import type { Severity } from '../model/severity.js';
import type { ConfigExemption } from '../model/config.js';
import type { Check, CheckContext, CheckResult } from './check.js';
import { annotationExemptions, buildPeerIndex, configExemptions, exemptionCovers, exemptionIssues, type AnnotationParseResult, type Exemption, type PeerIndex } from './exemptions.js';
import { Inventory } from './inventory.js';
import { resolveParameters, type ResolvedParameters } from './parameters.js';
import { POD_KINDS, podViewOf, type PodView } from './pod-view.js';
import { secureScore, type Score } from './score.js';
import { MARK, ResultReader, ResultWriter, type DataSlot, type ExportedExemption, type ExportedResults } from './transfer.js';

export type { ExportedResults } from './transfer.js';

/** Inputs of one evaluation. Everything the engine needs is passed in: it does no I/O. */
export interface EngineOptions {
  checks: readonly Check[];
  params?: ResolvedParameters;
  /** Check id -> framework controls (from content/frameworks). */
  controls?: ReadonlyMap<string, ControlRef[]>;
  /** Severity overrides by check id. */
  severity?: Readonly<Record<string, Severity>>;
  configExemptions?: readonly ConfigExemption[];
  configFile?: string;
  annotationExemptions?: 'on' | 'own-only' | 'off';
  now?: Date;
  /**
   * Keep the id of every resource each check applied to (JUnit lists them as test cases); otherwise only
   * their number, which is all scores and summaries need (a list of ids per check made up a good part of
   * what assembling the results of a large scan cost).
   */
  listApplied?: boolean;
}

/** A check with what the evaluation loop needs about it, resolved once per evaluation. */
interface PlannedCheck {
  check: Check;
  /** The check's functions, read once: reading them from 110 differently shaped check objects is slow. */
  appliesTo: Check['appliesTo'];
  evaluate: Check['evaluate'];
  outcome: CheckOutcome;
  /** Targets only pod-bearing kinds. */
  podOnly: boolean;
  frameworks: ControlRef[];
  /** The config exemptions that name this check (or every check) and have not expired, in config order. */
  configExemptions: Exemption[];
  /**
   * Reads other resources: evaluated only once the whole input is known. Declared by the check, or learnt
   * when it touches the inventory early, so that a check is never judged on part of the input.
   */
  crossResource: boolean;
}

/** Per-check outcome, for scores, JUnit and framework summaries. */
export interface CheckOutcome {
  checkId: string;
  severity: Severity;
  /** How many resources the check applied to. */
  appliedCount: number;
  /** Ids of the resources the check applied to, in input order (only with {@link EngineOptions.listApplied}; empty otherwise). */
  applied: string[];
  /** Resource ids with at least one unexempted failure. */
  failed: Set<string>;
  exempted: number;
}

export interface EngineResult {
  findings: Finding[];
  exempted: ExemptedFinding[];
  exemptionIssues: ExemptionIssue[];
  outcomes: Map<string, CheckOutcome>;
  errors: InputError[];
  score: Score;
  resourcesEvaluated: number;
}

/** What one check did on one resource. */
type Slot = typeof NOT_APPLIED | typeof DEFERRED | DataSlot | FindingsOnly;

/**
 * A slot with findings and nothing exempted (most slots with data), kept as the bare array: a wrapper
 * object each, alive until the end of the input, was tens of thousands of objects more for the collector.
 */
type FindingsOnly = Finding[];

/** The slot as the other threads' format has it (see transfer.ts). */
function dataSlot(slot: DataSlot | FindingsOnly): DataSlot {
  return Array.isArray(slot) ? { findings: slot, exempted: NO_EXEMPTED } : slot;
}

const NOT_APPLIED = 0;
/** Not evaluated yet: the check reads other resources, so it runs once the whole input is known. */
const DEFERRED = 1;
/** Applied and passed (shared: most slots are this one). */
const PASSED: Slot = { findings: [], exempted: [] };

/** The exempted findings of a slot that has none (most): shared, never written to. */
const NO_EXEMPTED: ExemptedFinding[] = [];

/** A record's slots with data, annotation exemptions and their issues when it has none: shared, never written to. */
const NO_DATA: Array<DataSlot | FindingsOnly> = [];
const NO_EXEMPTIONS: Exemption[] = [];
const NO_ISSUES: ExemptionIssue[] = [];

/** Slots that carry no data, stored as one byte each (see ResourceRecord). */
const SLOT_CODE = { NOT_APPLIED: 0, DEFERRED: 1, PASSED: 2, DATA: 3 } as const;

/** What evaluating one resource produced, kept until the results are assembled in input order. */
interface ResourceRecord {
  resource: Resource;
  /** The pod view, when built already (records evaluated in another thread come without). */
  pod: PodView | undefined | typeof UNKNOWN_POD;
  run: PlannedCheck[];
  /**
   * Slot i of the run is `codes[offset + i]`, in the evaluation's shared byte table; for DATA, the next
   * entry of `data`. (An array of slots per resource made most of what a large scan kept between
   * reading a file and the end of the input.)
   */
  offset: number;
  data: Array<DataSlot | FindingsOnly>;
  local: Exemption[];
  issues: ExemptionIssue[];
  ref: ResourceRef | undefined;
}

const UNKNOWN_POD = Symbol('pod view not built');

/** A formatted path prefix and the longer ones seen so far. */
interface PathNode {
  text: string;
  /** The path itself, shared by every fix that edits it. */
  segments: FieldPath | undefined;
  children: Map<Segment, PathNode> | undefined;
}

/**
 * Formatted field paths (`spec.template.spec.containers[0].image`), one string per distinct path and
 * evaluation: tens of thousands of findings point at a few thousand distinct fields, and building the
 * text piece by piece for each of them made most of the memory the findings of a large scan held.
 */
class PathTexts {
  private readonly root: PathNode = { text: '', segments: undefined, children: undefined };
  private readonly byText = new Map<string, string>();

  /** One string per distinct text, for paths formatted elsewhere. */
  intern(text: string): string {
    let t = this.byText.get(text);
    if (t === undefined) this.byText.set(text, (t = text));
    return t;
  }

  get(path: FieldPath): string {
    return this.node(path).text;
  }

  /** An array equal to `path`, the same one for every equal path. */
  segments(path: FieldPath): FieldPath {
    return this.nodeWithSegments(path).segments!;
  }

  /** The node of a path, one per distinct path, with its shared array (as {@link segments}). */
  nodeWithSegments(path: FieldPath): PathNode {
    const node = this.node(path);
    node.segments ??= Object.freeze(path.slice());
    return node;
  }

  /**
   * The nodes of the last path looked up (`trail[i]` is the node of its first i segments): the findings
   * of one resource, looked up one after the other, mostly share a long prefix (the container's path),
   * which is then compared segment by segment instead of looked up again.
   */
  private readonly trail: PathNode[] = [this.root];
  private readonly trailPath: Segment[] = [];

  private node(path: FieldPath): PathNode {
    const trail = this.trail;
    const last = this.trailPath;
    let i = 0;
    const max = Math.min(path.length, last.length);
    while (i < max && path[i] === last[i]) i++;
    let node = trail[i]!;
    trail.length = i + 1;
    last.length = i;
    for (; i < path.length; i++) {
      const seg = path[i]!;
      let next = node.children?.get(seg);
      if (next === undefined) {
        next = { text: flatString(formatPath(path.slice(0, i + 1))), segments: undefined, children: undefined };
        (node.children ??= new Map()).set(seg, next);
      }
      node = next;
      trail.push(node);
      last.push(seg);
    }
    return node;
  }
}

/** Equal JSON data (what fix values are); anything else is equal only to itself. */
function sameValue(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!sameValue(a[i], b[i])) return false;
    return true;
  }
  if (Array.isArray(b) || Object.getPrototypeOf(a) !== Object.prototype || Object.getPrototypeOf(b) !== Object.prototype) return false;
  const ka = Object.keys(a);
  if (ka.length !== Object.keys(b).length) return false;
  for (const k of ka) if (!Object.hasOwn(b, k) || !sameValue((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k])) return false;
  return true;
}

/** Fixes of one operation kept per path, at most this many distinct ones (a few values per field). */
const FIXES_PER_PATH = 8;

/** Thrown by the inventory that per-resource evaluation sees: the check must wait for the whole input. */
const NEEDS_INVENTORY = Symbol('needs the whole input');

/** Stands in for the inventory before the whole input is known: any use defers the check. */
const PENDING_INVENTORY = new Proxy({} as Inventory, {
  get() {
    throw NEEDS_INVENTORY;
  },
});

/**
 * One evaluation, fed incrementally. {@link add} evaluates resources as they arrive (in any order, while
 * the rest of the input is still being read): every check runs on them except those that read other
 * resources, which wait. {@link finish} then builds the inventory of the whole input, runs the waiting
 * checks, and assembles every result in input order, so the outcome is the same whatever the order and
 * grouping of the `add` calls, and the same as {@link evaluate}.
 *
 * Pod-bearing resources owned by a controller that is also in the input (ReplicaSets of a Deployment,
 * Pods of a ReplicaSet in `kubectl get all` output) are reported once, on the owner; resources that name
 * an owner therefore wait for `finish` too.
 */
export class Evaluation {
  private readonly opts: EngineOptions;
  private readonly now: Date;
  private readonly params: ResolvedParameters;
  private readonly peers: PeerIndex;
  private readonly outcomes = new Map<string, CheckOutcome>();
  private readonly byKind = new Map<string, PlannedCheck[]>();
  private readonly wildcard: PlannedCheck[] = [];
  private readonly runs = new Map<string, PlannedCheck[]>();
  private readonly cfg: AnnotationParseResult;
  private readonly annotationMode: 'on' | 'own-only' | 'off';
  private readonly records = new Map<Resource, ResourceRecord>();
  private readonly paths = new PathTexts();
  /** Fixes of one operation seen so far, by the path they edit (see compactFix). */
  private readonly fixes = new Map<PathNode, SuggestedFix[]>();
  /** Slot codes of every record (see ResourceRecord). */
  private codes = new Uint8Array(64 * 1024);
  private codesUsed = 0;
  private finished = false;

  constructor(opts: EngineOptions) {
    this.opts = opts;
    this.now = opts.now ?? new Date();
    this.params = opts.params ?? resolveParameters(undefined);
    this.peers = buildPeerIndex(opts.checks);
    for (const c of opts.checks) {
      this.outcomes.set(c.id, { checkId: c.id, severity: opts.severity?.[c.id] ?? c.severity, appliedCount: 0, applied: [], failed: new Set(), exempted: 0 });
    }
    this.cfg = configExemptions(opts.configExemptions ?? [], opts.checks, this.now, opts.configFile ?? 'palisade.yaml');
    // Everything the loop needs per check, looked up once rather than once per resource.
    const podKinds = new Set(POD_KINDS);
    const planned = new Map<Check, PlannedCheck>();
    for (const c of opts.checks) {
      if (planned.has(c)) continue;
      planned.set(c, { check: c, appliesTo: c.appliesTo, evaluate: c.evaluate, outcome: this.outcomes.get(c.id)!, podOnly: c.kinds.every((k) => podKinds.has(k)), frameworks: opts.controls?.get(c.id) ?? [], configExemptions: this.cfg.exemptions.filter((x) => !x.expired && (x.checks === 'all' || x.checks.has(c.id))), crossResource: c.crossResource === true });
    }
    for (const c of opts.checks) {
      const p = planned.get(c)!;
      if (c.kinds.includes('*')) this.wildcard.push(p);
      for (const k of c.kinds) {
        if (k === '*') continue;
        let l = this.byKind.get(k);
        if (!l) this.byKind.set(k, (l = []));
        l.push(p);
      }
    }
    this.annotationMode = opts.annotationExemptions ?? 'on';
  }

  private runFor(kind: string): PlannedCheck[] {
    let run = this.runs.get(kind);
    if (!run) {
      const candidates = this.byKind.get(kind);
      run = candidates ? (this.wildcard.length > 0 ? [...candidates, ...this.wildcard] : candidates) : this.wildcard;
      this.runs.set(kind, run);
    }
    return run;
  }

  /** Evaluates what can be evaluated of these resources before the whole input is known. */
  add(resources: Iterable<Resource>): void {
    if (this.finished) throw new Error('Evaluation.add after finish');
    for (const r of resources) {
      // Whether its owner is in the input is known only at the end.
      if (namesOwner(r)) continue;
      this.records.set(r, this.record(r, podViewOf(r.object), PENDING_INVENTORY));
    }
  }

  /**
   * Completes the evaluation. `resources` is the whole input in input order: every resource passed to
   * {@link add} must be among them, and those not passed yet are evaluated here.
   */
  finish(resources: readonly Resource[]): EngineResult {
    if (this.finished) throw new Error('Evaluation.finish called twice');
    this.finished = true;
    const records = this.records;
    // Built only if something is left to evaluate.
    let inventory: Inventory | undefined;
    const inventoryOf = () => {
      if (!inventory) {
        const podViews = new Map<Resource, PodView | undefined>();
        for (const [r, rec] of records) if (rec.pod !== UNKNOWN_POD) podViews.set(r, rec.pod);
        inventory = new Inventory(resources, podViews);
      }
      return inventory;
    };
    const allExemptions: Exemption[] = [...this.cfg.exemptions];
    const issues: ExemptionIssue[] = [...this.cfg.issues];
    const findings: Finding[] = [];
    const exempted: ExemptedFinding[] = [];
    const errors: InputError[] = [];
    const listApplied = this.opts.listApplied === true;
    let evaluated = 0;
    for (const resource of resources) {
      let rec = records.get(resource);
      if (!rec) {
        const inv = inventoryOf();
        const pod = inv.podView(resource);
        if (pod && inv.hasOwnerInInput(resource)) continue;
        rec = this.record(resource, pod, inv);
      }
      evaluated++;
      for (const x of rec.local) allExemptions.push(x);
      for (const x of rec.issues) issues.push(x);
      const { run, offset, data } = rec;
      const codes = this.codes;
      let next = 0;
      let ctx: CheckContext | undefined;
      for (let i = 0; i < run.length; i++) {
        const code = codes[offset + i]!;
        let slot: Slot = code === SLOT_CODE.DATA ? data[next++]! : code === SLOT_CODE.PASSED ? PASSED : code === SLOT_CODE.DEFERRED ? DEFERRED : NOT_APPLIED;
        if (slot === DEFERRED) {
          const inv = inventoryOf();
          slot = this.judge(run[i]!, (ctx ??= { resource, object: resource.object, pod: inv.podView(resource), inventory: inv, params: this.params }), rec);
        }
        // (DEFERRED cannot come back here: the inventory is complete.)
        if (slot === NOT_APPLIED || slot === DEFERRED) continue;
        const outcome = run[i]!.outcome;
        outcome.appliedCount++;
        if (listApplied) outcome.applied.push(resource.id);
        // Most applied slots passed: nothing more to read.
        if (slot === PASSED) continue;
        if (Array.isArray(slot)) {
          outcome.failed.add(resource.id);
          for (const f of slot) findings.push(f);
          continue;
        }
        if ('crash' in slot) {
          errors.push(slot.crash);
          continue;
        }
        if (slot.findings.length > 0) {
          outcome.failed.add(resource.id);
          for (const f of slot.findings) findings.push(f);
        }
        if (slot.exempted.length > 0) {
          outcome.exempted += slot.exempted.length;
          for (const f of slot.exempted) exempted.push(f);
        }
      }
    }
    records.clear();
    for (const x of exemptionIssues(allExemptions)) issues.push(x);
    const score = secureScore([...this.outcomes.values()].map((o) => ({ severity: o.severity, applied: o.appliedCount, failed: o.failed.size })));
    return { findings, exempted, exemptionIssues: issues, outcomes: this.outcomes, errors, score, resourcesEvaluated: evaluated };
  }

  /**
   * The fix as kept in the finding: equal paths shared, text flat. Fixes made most of what the findings
   * of a large scan held (a path array per operation, a description built by pieces).
   */
  private compactFix(fix: SuggestedFix): SuggestedFix {
    // Most fixes set one field, and a large scan repeats the same few thousand of them (the same check on
    // equal containers): equal ones are shared, five objects less each for the collector to move.
    if (fix.operations.length === 1) {
      const op = fix.operations[0]!;
      const node = this.paths.nodeWithSegments(op.path);
      let seen = this.fixes.get(node);
      if (seen === undefined) this.fixes.set(node, (seen = []));
      for (const known of seen) {
        const kop = known.operations[0]!;
        if (kop.op === op.op && known.description === fix.description && (op.op === 'remove' || sameValue((kop as { value: unknown }).value, op.value))) return known;
      }
      op.path = node.segments!;
      fix.description = flatString(fix.description);
      if (seen.length < FIXES_PER_PATH) seen.push(fix);
      return fix;
    }
    fix.description = flatString(fix.description);
    for (const op of fix.operations) op.path = this.paths.segments(op.path);
    return fix;
  }

  /** A finding, built the same way whichever thread evaluated the check. */
  private makeFinding(p: PlannedCheck, resource: Resource, ref: ResourceRef, message: string, path: string, location: Location, container: string | undefined, fix: SuggestedFix | undefined): Finding {
    const { check } = p;
    const finding: Finding = {
      checkId: check.id,
      slug: check.slug,
      title: check.title,
      severity: p.outcome.severity,
      category: check.category,
      message,
      resource: ref,
      resourceId: resource.id,
      path,
      location,
      remediation: check.remediation,
      frameworks: p.frameworks,
      // Always present (undefined when not relevant, which every output omits): one object shape for
      // every finding, with no property store grown after the fact.
      container,
      fix,
    };
    return finding;
  }

  /**
   * {@link add} for another thread: evaluates the resources and returns their early results as plain
   * data, for the thread that evaluates the whole input to take in with {@link importResults}. Nothing
   * is kept here.
   */
  evaluateForExport(resources: readonly Resource[]): ExportedResults {
    const out = new ResultWriter();
    for (const r of resources) {
      if (namesOwner(r)) {
        out.mark(MARK.WAITS);
        continue;
      }
      const at = out.mark(MARK.RECORD);
      const rec = this.record(r, podViewOf(r.object), PENDING_INVENTORY);
      this.writeRecord(out, at, rec);
      this.codesUsed = rec.offset; // the record itself is not kept: reuse the room
    }
    return out.done(this.configUsed());
  }

  /**
   * Takes in the early results of these resources from {@link evaluateForExport} in another thread (run
   * with the same options on the same files): the resources then count as {@link add}ed.
   */
  importResults(resources: readonly Resource[], x: ExportedResults): void {
    if (this.finished) throw new Error('Evaluation.importResults after finish');
    if (x.marks.length !== resources.length) throw new Error('Evaluation.importResults: results do not match the resources');
    const reader = this.reader(x);
    resources.forEach((resource, k) => {
      const mark = reader.nextMark();
      if (mark === MARK.RECORD) this.records.set(resource, this.readRecord(reader, k, resource));
    });
  }

  private configUsed(): number[] {
    const used: number[] = [];
    this.cfg.exemptions.forEach((x, i) => {
      if (x.used) used.push(i);
    });
    return used;
  }

  /** The annotation exemptions of a resource, and the issues found reading them (shared empty lists when none: most resources). */
  private annotations(resource: Resource, pod: PodView | undefined): { local: Exemption[]; issues: ExemptionIssue[] } {
    if (this.annotationMode !== 'off') {
      const parsed = annotationExemptions(resource, pod, this.opts.checks, this.peers, this.annotationMode === 'on', this.now);
      return { local: parsed.exemptions.length > 0 ? parsed.exemptions : NO_EXEMPTIONS, issues: parsed.issues.length > 0 ? parsed.issues : NO_ISSUES };
    }
    const parsed = annotationExemptions(resource, pod, this.opts.checks, this.peers, true, this.now);
    return {
      local: [],
      issues: parsed.exemptions.map((x) => ({ kind: 'disallowed', origin: x.origin, source: x.source, checks: x.written, reason: x.reason, message: `${resource.id}: in-manifest exemption for ${x.written.join(', ')} ignored (annotation exemptions are disallowed)` })),
    };
  }

  private writeRecord(out: ResultWriter, at: number, rec: ResourceRecord): void {
    let next = 0;
    for (let i = 0; i < rec.run.length; i++) {
      const code = this.codes[rec.offset + i]!;
      out.code(code);
      if (code === SLOT_CODE.DATA) out.data(dataSlot(rec.data[next++]!), (f) => this.exemptionIndex(rec, f));
    }
    out.annotations(at, rec.local, rec.issues);
  }

  /** Names the exemption covering a finding by position (the same search judge made). */
  private exemptionIndex(rec: ResourceRecord, f: Finding): number {
    const ex = findExemption(rec.local, this.cfg.exemptions, f.checkId, rec.resource, f.container)!;
    const local = rec.local.indexOf(ex);
    return local >= 0 ? local : -1 - this.cfg.exemptions.indexOf(ex);
  }

  private reader(x: ExportedResults): ResultReader {
    for (const i of x.configUsed) this.cfg.exemptions[i]!.used = true;
    return new ResultReader(x, (t) => this.paths.intern(t), (p) => this.paths.segments(p));
  }

  private readRecord(reader: ResultReader, position: number, resource: Resource): ResourceRecord {
    const run = this.runFor(resource.kind);
    const annotations = reader.annotations(position);
    const local: Exemption[] = annotations.local.map((e: ExportedExemption) => ({ ...e, resource }));
    const rec: ResourceRecord = { resource, pod: UNKNOWN_POD, run, offset: this.reserve(run.length), data: NO_DATA, local, issues: annotations.issues, ref: undefined };
    for (let i = 0; i < run.length; i++) {
      const code = reader.nextCode();
      this.codes[rec.offset + i] = code;
      if (code === SLOT_CODE.DATA) {
        if (rec.data === NO_DATA) rec.data = [];
        rec.data.push(this.readData(reader, rec, run[i]!));
      }
    }
    return rec;
  }

  private readData(reader: ResultReader, rec: ResourceRecord, p: PlannedCheck): DataSlot {
    const resource = rec.resource;
    const ref = (rec.ref ??= toRef(resource));
    const file = resource.source.file;
    return reader.nextData(
      (message, path, line, column, container, fix) => this.makeFinding(p, resource, ref, message, path, { file, line, column }, container, fix && this.compactFix(fix)),
      (e) => {
        const ex = e >= 0 ? rec.local[e]! : this.cfg.exemptions[-1 - e]!;
        ex.used = true;
        return ex;
      },
      exemptedFinding,
    );
  }

  /** Room for `n` slot codes; returns its offset. */
  private reserve(n: number): number {
    if (this.codesUsed + n > this.codes.length) {
      const bigger = new Uint8Array(Math.max(this.codes.length * 2, this.codesUsed + n));
      bigger.set(this.codes.subarray(0, this.codesUsed));
      this.codes = bigger;
    }
    const at = this.codesUsed;
    this.codesUsed += n;
    return at;
  }

  /** Evaluates one resource with every check that can run with this inventory. */
  private record(resource: Resource, pod: PodView | undefined, inventory: Inventory): ResourceRecord {
    const run = this.runFor(resource.kind);
    const { local, issues } = this.annotations(resource, pod);
    const rec: ResourceRecord = { resource, pod, run, offset: this.reserve(run.length), data: NO_DATA, local, issues, ref: undefined };
    const ctx: CheckContext = { resource, object: resource.object, pod, inventory, params: this.params };
    for (let i = 0; i < run.length; i++) {
      const p = run[i]!;
      // A pod-bearing resource without a pod spec (a CronJob with `jobTemplate.spec: null`) has nothing for pod checks to judge.
      let slot: Slot;
      if (!pod && p.podOnly) slot = NOT_APPLIED;
      else if (p.crossResource && inventory === PENDING_INVENTORY) slot = DEFERRED;
      else slot = this.judge(p, ctx, rec);
      if (slot === NOT_APPLIED || slot === DEFERRED) this.codes[rec.offset + i] = slot;
      else if (slot === PASSED) this.codes[rec.offset + i] = SLOT_CODE.PASSED;
      else {
        this.codes[rec.offset + i] = SLOT_CODE.DATA;
        if (rec.data === NO_DATA) rec.data = [];
        rec.data.push(slot);
      }
    }
    return rec;
  }

  /** Runs one check on one resource (DEFERRED when it turns out to need the whole input). */
  private judge(p: PlannedCheck, ctx: CheckContext, rec: ResourceRecord): Slot {
    const { check } = p;
    let results: CheckResult[];
    try {
      if (p.appliesTo && !p.appliesTo(ctx)) return NOT_APPLIED;
    } catch (e) {
      if (e !== NEEDS_INVENTORY) throw e;
      p.crossResource = true;
      return DEFERRED;
    }
    const resource = ctx.resource;
    try {
      results = p.evaluate(ctx);
    } catch (e) {
      if (e === NEEDS_INVENTORY) {
        p.crossResource = true;
        return DEFERRED;
      }
      return { crash: { code: 'E_CHECK_CRASH', file: resource.source.file, line: resource.source.line, message: `check ${check.id} (${check.slug}) failed on ${resource.id}: ${(e as Error).message}` } };
    }
    if (results.length === 0) return PASSED;
    const ref = (rec.ref ??= toRef(resource));
    // One array of the exact length, as most slots keep it (a pushed-to array keeps room for 17).
    const findings = results.map((res) => this.makeFinding(p, resource, ref, flatString(res.message), this.paths.get(res.path), resource.source.locate(res.path), res.container, res.fix && this.compactFix(res.fix)));
    if (rec.local.length === 0 && p.configExemptions.length === 0) return findings;
    let kept: Finding[] | undefined;
    let exempted = NO_EXEMPTED;
    for (let i = 0; i < findings.length; i++) {
      const ex = findExemption(rec.local, p.configExemptions, check.id, resource, results[i]!.container);
      if (ex) {
        ex.used = true;
        kept ??= findings.slice(0, i);
        if (exempted === NO_EXEMPTED) exempted = [];
        exempted.push(exemptedFinding(findings[i]!, ex));
      } else if (kept) {
        kept.push(findings[i]!);
      }
    }
    return exempted === NO_EXEMPTED ? findings : { findings: kept ?? findings, exempted };
  }
}

function exemptedFinding(finding: Finding, ex: Exemption): ExemptedFinding {
  return { ...finding, exemption: { origin: ex.origin, reason: ex.reason, expires: ex.expires, source: ex.source } };
}

/** True when the resource names a controller owner (which may or may not be in the input). */
function namesOwner(r: Resource): boolean {
  const refs = r.object.metadata.ownerReferences;
  return Array.isArray(refs) && refs.length > 0;
}

/** Runs every check on every resource it targets (see {@link Evaluation}). */
export function evaluate(resources: readonly Resource[], opts: EngineOptions): EngineResult {
  const run = new Evaluation(opts);
  run.add(resources);
  return run.finish(resources);
}

function findExemption(local: readonly Exemption[], config: readonly Exemption[], checkId: string, r: Resource, container: string | undefined): Exemption | undefined {
  for (const x of local) if (!x.expired && exemptionCovers(x, checkId, r, container)) return x;
  for (const x of config) if (!x.expired && exemptionCovers(x, checkId, r, container)) return x;
  return undefined;
}
