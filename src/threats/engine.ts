import { auditEventTime, type Alert, type AlertEntities, type SourcedAuditEvent } from '../model/audit.js';
import type { CompiledRule, RuleSet } from './compile.js';
import { buildContext } from './context.js';
import type { DetectorState } from './detectors/index.js';
import { compileGuards, compileResidualMemoKey, isPrefilterPath, type PrefilterKey } from './match-index.js';

/** What the engine did, for the summary line and for tuning. */
export interface EngineStats {
  events: number;
  /** Rule evaluations actually run (after the verb/resource index). */
  evaluations: number;
  alerts: number;
  /** Alerts an exception suppressed, per `ruleId/exception name`. */
  suppressed: Record<string, number>;
  /** Evaluation errors per rule id (a condition reading a field of the wrong type), with the first message. */
  errors: Record<string, { count: number; message: string }>;
}

const ANY = '*';
/** Results remembered per rule at most. */
const MEMO_ENTRIES = 4096;
/** Prefilter keys (verb, stage, resource, subresource, code) remembered at most; past it the index starts over. */
const MAX_KEYS = 4096;
/** Remembered results across all prefilter keys at most; past it every memo starts over. */
const MAX_MEMO_TOTAL = 200_000;
/** What an event without alerts returns (frozen: shared by every such event). */
const NO_ALERTS = Object.freeze([]) as unknown as Alert[];

type Ctx = Record<string, unknown>;
type Obj = Record<string, unknown>;

/** One rule as met by the events of one prefilter key: what is left to check after the key decided the rest. */
interface Slot {
  rule: CompiledRule;
  /** The condition, or its residual for the key (what the key does not decide). */
  test: (ctx: Ctx) => unknown;
  /** The detector's state, for a detector. */
  state?: DetectorState;
  /** The guards the key did not decide. */
  guard?: (ctx: Ctx) => boolean;
  /** Memo key of the fields the key does not fix, and the results remembered under it for this key. */
  memoKey?: (ctx: Ctx) => string | undefined;
  memo?: Map<string, boolean | Error>;
  /** Rule-level memo (a rule with `memoKey` but without `memoPaths`, built in code). */
  ruleMemo?: boolean;
}

function entitiesOf(ctx: ReturnType<typeof buildContext>): AlertEntities {
  const user = ctx.user as { username: string; groups: string[] };
  const imp = ctx.impersonatedUser as { username: string };
  const t = ctx.target as Record<string, string>;
  const images = ctx.images as string[];
  const ips = ctx.sourceIPs as string[];
  const e: AlertEntities = { user: user.username || '<unknown>', verb: ctx.verb as string };
  if (user.groups.length > 0) e.groups = user.groups;
  if (imp.username) e.impersonatedUser = imp.username;
  if (t.namespace) e.namespace = t.namespace;
  if (t.resource) e.resource = t.resource;
  if (t.subresource) e.subresource = t.subresource;
  if (t.name) e.name = t.name;
  if (t.apiGroup) e.apiGroup = t.apiGroup;
  if (ips.length > 0) e.sourceIP = ips[0];
  if (ctx.userAgent) e.userAgent = ctx.userAgent as string;
  if (images.length > 0) e.images = images;
  return e;
}

const str = (v: unknown): string => (typeof v === 'string' ? v : '');

/** Whether a condition holds, or the error it raised (what a memo remembers). */
function outcome(test: (ctx: Ctx) => unknown, ctx: Ctx): boolean | Error {
  try {
    return test(ctx) === true;
  } catch (e) {
    return e instanceof Error ? e : new Error(String(e));
  }
}

/**
 * Runs compiled rules over audit events. Pure: no I/O, no clock.
 *
 * The prefilter: an event's verb, stage, resource, subresource and status code (read from the event itself, before
 * any evaluation context is built) select a list of slots, computed once per combination and cached. A slot is a
 * rule whose verb and resource sets admit the event and whose condition these five fields do not already make false
 * (see decideByKey: `kevt && pod && kcreate && ...` never meets a `get`), with the guards and memo key of what the
 * fields leave open. Most traffic (controllers' get/list/watch) so meets a handful of rules, most answered by a
 * remembered result. The evaluation context is lazy (context.ts): only the fields the remaining rules read are
 * built. A key whose list is empty costs five map lookups and no context at all.
 */
export class ThreatEngine {
  readonly stats: EngineStats = { events: 0, evaluations: 0, alerts: 0, suppressed: {}, errors: {} };
  private readonly enabled: CompiledRule[];
  private readonly candidates = new Map<string, CompiledRule[]>();
  /** One state per enabled detector, for the life of this engine. */
  private readonly states = new Map<string, DetectorState>();
  /** verb -> stage -> resource -> subresource -> status code -> slots. */
  private readonly index = new Map<string, Map<string, Map<string, Map<string, Map<number, Slot[]>>>>>();
  private keys = 0;
  private memoTotal = 0;
  private readonly prefilter: boolean;
  /** Per rule: the equivalents an alert carries (the non-empty ones), computed once. */
  private readonly equivalents = new Map<CompiledRule, Record<string, string[]>>();

  /**
   * @param detectorStates what `saveDetectorStates()` returned before (per rule id), to resume learned baselines
   *   and open windows after a restart; missing or invalid entries start fresh.
   * @param prefilter false to evaluate every enabled rule whose verb and resource sets admit the event, with no
   *   prefilter key (to measure what the prefilter saves; results are the same).
   */
  constructor(ruleSet: RuleSet, opts: { detectorStates?: Readonly<Record<string, unknown>>; prefilter?: boolean } = {}) {
    this.enabled = ruleSet.rules.filter((r) => r.def.enabled);
    this.prefilter = opts.prefilter ?? true;
    for (const r of this.enabled) {
      if (r.detector) this.states.set(r.def.id, r.detector.start(opts.detectorStates?.[r.def.id]));
      this.equivalents.set(r, Object.fromEntries(Object.entries(r.def.equivalents).filter(([, v]) => Array.isArray(v) && v.length > 0)) as Record<string, string[]>);
    }
  }

  /** The JSON state of every enabled detector that keeps state across runs, by rule id. */
  saveDetectorStates(): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (const [id, state] of this.states) if (state.save) out[id] = state.save();
    return out;
  }

  /** The enabled rules an event with this verb and resource meets (before the prefilter's other fields). */
  rulesFor(verb: string, resource: string): CompiledRule[] {
    const key = `${verb}\u0000${resource || ANY}`;
    let list = this.candidates.get(key);
    if (!list) {
      list = this.enabled.filter((r) => (!r.match.verbs || r.match.verbs.has(verb)) && (!r.match.resources || r.match.resources.has(resource)));
      if (this.candidates.size >= MAX_KEYS) this.candidates.clear();
      this.candidates.set(key, list);
    }
    return list;
  }

  /** The slots of an event's prefilter key. */
  private slotsFor(verb: string, stage: string, resource: string, subresource: string, code: number): Slot[] {
    let byStage = this.index.get(verb);
    if (!byStage) this.index.set(verb, (byStage = new Map()));
    let byResource = byStage.get(stage);
    if (!byResource) byStage.set(stage, (byResource = new Map()));
    let bySub = byResource.get(resource);
    if (!bySub) byResource.set(resource, (bySub = new Map()));
    let byCode = bySub.get(subresource);
    if (!byCode) bySub.set(subresource, (byCode = new Map()));
    let slots = byCode.get(code);
    if (slots) return slots;
    if (this.keys >= MAX_KEYS) {
      // Bounded: a log with ever new resources (custom resources by the thousand) starts the index over.
      this.index.clear();
      this.keys = 0;
      this.memoTotal = 0;
      return this.slotsFor(verb, stage, resource, subresource, code);
    }
    const key: PrefilterKey = { verb, stage, resource, subresource, code };
    slots = [];
    for (const rule of this.rulesFor(verb, resource)) {
      if (rule.detector) {
        // A detector that ignores every event of this key (a refused-request counter meets a 200) is left out.
        if (this.prefilter && rule.detector.skips?.(key)) continue;
        slots.push({ rule, test: rule.test, state: this.states.get(rule.def.id)! });
        continue;
      }
      if (this.prefilter && rule.decide?.(key) === false) continue;
      const slot: Slot = { rule, test: (this.prefilter && rule.residual?.(key)) || rule.test };
      if (this.prefilter && rule.guards) {
        const rest = rule.guards.filter((g) => !isPrefilterPath(g.root, g.field));
        const guard = compileGuards(rest);
        if (guard) slot.guard = guard;
      } else if (rule.guard) slot.guard = rule.guard;
      if (this.prefilter && rule.memoPaths) {
        slot.memoKey = compileResidualMemoKey(rule.memoPaths);
        slot.memo = new Map();
      } else if (rule.memoKey) slot.ruleMemo = true;
      slots.push(slot);
    }
    byCode.set(code, slots);
    this.keys++;
    return slots;
  }

  /** Evaluates one event; returns its alerts (one per matching rule). */
  evaluate(src: SourcedAuditEvent): Alert[] {
    this.stats.events++;
    const e = src.event;
    // The key's fields exactly as the context computes them (an absent or malformed object reads as empty).
    const ref = e.objectRef as unknown;
    const rs = e.responseStatus as unknown;
    const isRef = typeof ref === 'object' && ref !== null && !Array.isArray(ref);
    const code = typeof rs === 'object' && rs !== null && !Array.isArray(rs) && typeof (rs as Obj).code === 'number' ? ((rs as Obj).code as number) : 0;
    const slots = this.slotsFor(e.verb, e.stage, isRef ? str((ref as Obj).resource) : '', isRef ? str((ref as Obj).subresource) : '', code);
    if (slots.length === 0) return NO_ALERTS;
    const ctx = buildContext(e);
    let out: Alert[] | undefined;
    let entities: AlertEntities | undefined;
    for (let i = 0; i < slots.length; i++) {
      const slot = slots[i]!;
      const rule = slot.rule;
      this.stats.evaluations++;
      let outputs: string[] | undefined;
      let output: string | undefined;
      if (slot.state) {
        let found;
        try {
          found = slot.state.observe(ctx);
        } catch (err) {
          // A detector bug must not stop the scan: count it like a failing condition.
          const entry = (this.stats.errors[rule.def.id] ??= { count: 0, message: String((err as Error).message ?? err).split('\n')[0]! });
          entry.count++;
          continue;
        }
        if (found.length === 0) continue;
        if (found.length === 1) output = found[0]!.output;
        else outputs = found.map((f) => f.output);
      } else {
        if (slot.guard && !slot.guard(ctx)) continue;
        if (!(slot.memoKey ? this.holdsSlotMemo(slot, ctx) : slot.ruleMemo ? this.holdsMemo(rule, ctx) : this.holds(rule, slot.test, ctx))) continue;
        output = rule.template.render(ctx);
      }
      const count = outputs ? outputs.length : 1;
      if (rule.exceptions.length > 0) {
        const exception = rule.exceptions.find((x) => this.holds(rule, x.test, ctx));
        if (exception) {
          const key = `${rule.def.id}/${exception.name}`;
          this.stats.suppressed[key] = (this.stats.suppressed[key] ?? 0) + count;
          continue;
        }
      }
      entities ??= entitiesOf(ctx);
      out ??= [];
      const time = auditEventTime(e);
      const equivalents = this.equivalents.get(rule)!;
      const source = { file: src.file, ...(src.line !== undefined ? { line: src.line } : {}), format: src.format };
      for (let j = 0; j < count; j++) {
        out.push({
          ruleId: rule.def.id,
          slug: rule.def.slug,
          title: rule.def.title,
          severity: rule.def.severity,
          mitre: rule.def.mitre,
          output: outputs ? outputs[j]! : output!,
          entities,
          ...(time ? { time } : {}),
          auditIds: e.auditID ? [e.auditID] : [],
          count: 1,
          source: j === 0 ? source : { ...source },
          equivalents,
        });
      }
    }
    if (!out) return NO_ALERTS;
    this.stats.alerts += out.length;
    return out;
  }

  /** `holds` through the slot's memo (per prefilter key, keyed by the values the key leaves open). */
  private holdsSlotMemo(slot: Slot, ctx: Ctx): boolean {
    const rule = slot.rule;
    const key = slot.memoKey!(ctx);
    if (key === undefined) return this.holds(rule, slot.test, ctx);
    const cache = slot.memo!;
    let r = cache.get(key);
    if (r === undefined) {
      r = outcome(slot.test, ctx);
      // Bounded per slot and in total: a log with ever new values (addresses) starts over rather than growing.
      if (cache.size >= MEMO_ENTRIES) {
        this.memoTotal -= cache.size;
        cache.clear();
      }
      if (this.memoTotal >= MAX_MEMO_TOTAL) this.clearMemos();
      cache.set(key, r);
      this.memoTotal++;
    }
    if (r instanceof Error) {
      const entry = (this.stats.errors[rule.def.id] ??= { count: 0, message: String(r.message).split('\n')[0]! });
      entry.count++;
      return false;
    }
    return r;
  }

  private clearMemos(): void {
    for (const byStage of this.index.values()) for (const byResource of byStage.values()) for (const bySub of byResource.values()) for (const byCode of bySub.values()) for (const slots of byCode.values()) for (const s of slots) s.memo?.clear();
    this.memoTotal = 0;
  }

  /** Remembered results of conditions that read only scalar fields, per rule, by the values they read. */
  private readonly memo = new Map<CompiledRule, Map<string, boolean | Error>>();

  /** `holds` through the rule's memo: the same inputs give the same result or the same error, counted the same. */
  private holdsMemo(rule: CompiledRule, ctx: Ctx): boolean {
    let cache = this.memo.get(rule);
    if (!cache) this.memo.set(rule, (cache = new Map()));
    const key = rule.memoKey!(ctx);
    let r = cache.get(key);
    if (r === undefined) {
      r = outcome(rule.test, ctx);
      // Bounded: a log with ever new values (addresses) starts over rather than growing.
      if (cache.size >= MEMO_ENTRIES) cache.clear();
      cache.set(key, r);
    }
    if (r instanceof Error) {
      const entry = (this.stats.errors[rule.def.id] ??= { count: 0, message: String(r.message).split('\n')[0]! });
      entry.count++;
      return false;
    }
    return r;
  }

  /** A predicate that errors (a field of an unexpected type) does not hold; the error is counted per rule. */
  private holds(rule: CompiledRule, test: (ctx: Record<string, unknown>) => unknown, ctx: Record<string, unknown>): boolean {
    try {
      return test(ctx) === true;
    } catch (e) {
      const entry = (this.stats.errors[rule.def.id] ??= { count: 0, message: String((e as Error).message ?? e).split('\n')[0]! });
      entry.count++;
      return false;
    }
  }
}
