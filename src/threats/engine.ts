import { auditEventTime, type Alert, type AlertEntities, type SourcedAuditEvent } from '../model/audit.js';
import type { CompiledRule, RuleSet } from './compile.js';
import { buildContext } from './context.js';
import type { DetectorState } from './detectors/index.js';

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

/**
 * Runs compiled rules over audit events. Pure: no I/O, no clock. Each event is built into one context and
 * evaluated only against the enabled rules whose verb and resource sets admit it; the candidate list per
 * (verb, resource) pair is computed once and cached.
 */
export class ThreatEngine {
  readonly stats: EngineStats = { events: 0, evaluations: 0, alerts: 0, suppressed: {}, errors: {} };
  private readonly enabled: CompiledRule[];
  private readonly candidates = new Map<string, CompiledRule[]>();
  /** One state per enabled detector, for the life of this engine (one scan). */
  private readonly states = new Map<string, DetectorState>();

  /**
   * @param detectorStates what `saveDetectorStates()` returned before (per rule id), to resume learned baselines
   *   and open windows after a restart; missing or invalid entries start fresh.
   */
  constructor(ruleSet: RuleSet, opts: { detectorStates?: Readonly<Record<string, unknown>> } = {}) {
    this.enabled = ruleSet.rules.filter((r) => r.def.enabled);
    for (const r of this.enabled) if (r.detector) this.states.set(r.def.id, r.detector.start(opts.detectorStates?.[r.def.id]));
  }

  /** The JSON state of every enabled detector that keeps state across runs, by rule id. */
  saveDetectorStates(): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (const [id, state] of this.states) if (state.save) out[id] = state.save();
    return out;
  }

  /** The enabled rules an event with this verb and resource meets. */
  rulesFor(verb: string, resource: string): CompiledRule[] {
    const key = `${verb}\u0000${resource || ANY}`;
    let list = this.candidates.get(key);
    if (!list) {
      list = this.enabled.filter((r) => (!r.match.verbs || r.match.verbs.has(verb)) && (!r.match.resources || r.match.resources.has(resource)));
      this.candidates.set(key, list);
    }
    return list;
  }

  /** Evaluates one event; returns its alerts (one per matching rule). */
  evaluate(src: SourcedAuditEvent): Alert[] {
    this.stats.events++;
    const ctx = buildContext(src.event);
    const rules = this.rulesFor(ctx.verb as string, (ctx.objectRef as { resource: string }).resource);
    if (rules.length === 0) return [];
    const out: Alert[] = [];
    let entities: AlertEntities | undefined;
    for (const rule of rules) {
      this.stats.evaluations++;
      let outputs: string[];
      if (rule.detector) {
        try {
          outputs = this.states.get(rule.def.id)!.observe(ctx).map((f) => f.output);
        } catch (e) {
          // A detector bug must not stop the scan: count it like a failing condition.
          const entry = (this.stats.errors[rule.def.id] ??= { count: 0, message: String((e as Error).message ?? e).split('\n')[0]! });
          entry.count++;
          outputs = [];
        }
        if (outputs.length === 0) continue;
      } else {
        if ((rule.guard && !rule.guard(ctx)) || !(rule.memoKey ? this.holdsMemo(rule, ctx) : this.holds(rule, rule.test, ctx))) continue;
        outputs = [rule.template.render(ctx)];
      }
      const exception = rule.exceptions.find((x) => this.holds(rule, x.test, ctx));
      if (exception) {
        const key = `${rule.def.id}/${exception.name}`;
        this.stats.suppressed[key] = (this.stats.suppressed[key] ?? 0) + outputs.length;
        continue;
      }
      entities ??= entitiesOf(ctx);
      const time = auditEventTime(src.event);
      for (const output of outputs) out.push({
        ruleId: rule.def.id,
        slug: rule.def.slug,
        title: rule.def.title,
        severity: rule.def.severity,
        mitre: rule.def.mitre,
        output,
        entities,
        ...(time ? { time } : {}),
        auditIds: src.event.auditID ? [src.event.auditID] : [],
        count: 1,
        source: { file: src.file, ...(src.line !== undefined ? { line: src.line } : {}), format: src.format },
        equivalents: Object.fromEntries(Object.entries(rule.def.equivalents).filter(([, v]) => Array.isArray(v) && v.length > 0)) as Record<string, string[]>,
      });
    }
    this.stats.alerts += out.length;
    return out;
  }

  /** Remembered results of conditions that read only scalar fields, per rule, by the values they read. */
  private readonly memo = new Map<CompiledRule, Map<string, boolean | Error>>();

  /** `holds` through the rule's memo: the same inputs give the same result or the same error, counted the same. */
  private holdsMemo(rule: CompiledRule, ctx: Record<string, unknown>): boolean {
    let cache = this.memo.get(rule);
    if (!cache) this.memo.set(rule, (cache = new Map()));
    const key = rule.memoKey!(ctx);
    let r = cache.get(key);
    if (r === undefined) {
      try {
        r = rule.test(ctx) === true;
      } catch (e) {
        r = e instanceof Error ? e : new Error(String(e));
      }
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
