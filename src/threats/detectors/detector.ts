import type { MitreRef } from '../../model/audit.js';
import type { Severity } from '../../model/severity.js';
import type { ContextVariable } from '../context.js';
import type { PrefilterKey } from '../match-index.js';

/** The evaluation context of one event (see context.ts). */
export type EventContext = Record<ContextVariable, unknown>;

/** What a detector reports for the current event: the rendered output naming the entities. */
export interface DetectorFinding {
  output: string;
}

/** The state of one detector: it sees the events in order and remembers what it needs. */
export interface DetectorState {
  observe(ctx: EventContext): DetectorFinding[];
  /**
   * What it remembers, as plain JSON, for a detector whose memory must outlive the process (learned baselines,
   * open windows): `start(saved)` takes it back. Absent for detectors whose memory is per scan.
   */
  save?(): unknown;
}

/**
 * A stateful detector: a rule that needs more than one event (a configuration seen in one request and its
 * exposure in another). Written as code, one file each, listed in index.ts; it takes part in the rule set like
 * a YAML rule (same id space, overrides can disable it, re-rate it or add exceptions, `rules list` shows it).
 */
export interface Detector {
  id: string;
  slug: string;
  title: string;
  description: string;
  severity: Severity;
  mitre: MitreRef;
  nextSteps: string[];
  enabled: boolean;
  tags: string[];
  equivalents: { falco?: string[]; defender?: string[] };
  /** Verbs and resources of the events it needs (the index skips the others). */
  match: { verbs?: string[]; resources?: string[] };
  /**
   * True when, for every event with these prefilter fields (verb, stage, resource, subresource, status code),
   * `observe` returns no finding and leaves its memory untouched: the engine then does not call it for them.
   * Only what `observe` checks before it reads or changes any memory may be answered here.
   */
  skips?(key: PrefilterKey): boolean;
  /**
   * State for one engine: fresh, or resumed from what `save()` returned earlier. Saved state that does not
   * validate (another version, a corrupt row) is ignored and the detector starts fresh, never throws.
   */
  start(saved?: unknown): DetectorState;
}

/** What `observe` returns when the event concludes nothing (frozen: shared by every such call). */
export const NO_FINDINGS = Object.freeze([]) as unknown as DetectorFinding[];

/** Milliseconds of the event's time (stage, else request received; v1beta1 timestamp), or undefined. */
export function eventTimeMs(ctx: EventContext): number | undefined {
  // The engine's context computes it once per event for all detectors.
  if ('timeMs' in ctx) return (ctx as { timeMs?: number }).timeMs;
  const e = ctx.event as { stageTimestamp?: unknown; requestReceivedTimestamp?: unknown; timestamp?: unknown };
  const t = e.stageTimestamp ?? e.requestReceivedTimestamp ?? e.timestamp;
  if (typeof t !== 'string') return undefined;
  const n = Date.parse(t);
  return Number.isNaN(n) ? undefined : n;
}

/** The namespace and name of a service account username (`system:serviceaccount:<ns>:<name>`), or undefined. */
export function serviceAccountOf(username: string): { namespace: string; name: string } | undefined {
  if (!username.startsWith(SA_PREFIX)) return undefined;
  const rest = username.slice(SA_PREFIX.length);
  const colon = rest.indexOf(':');
  if (colon <= 0 || colon === rest.length - 1) return undefined;
  return { namespace: rest.slice(0, colon), name: rest.slice(colon + 1) };
}

const SA_PREFIX = 'system:serviceaccount:';

/**
 * Whether serviceAccountOf would find a service account, without building it: detectors that look at every
 * event ask this first and build the names only for the output of an alert (most events are not reported).
 */
export function isServiceAccount(username: string): boolean {
  if (!username.startsWith(SA_PREFIX)) return false;
  const colon = username.indexOf(':', SA_PREFIX.length);
  return colon > SA_PREFIX.length && colon !== username.length - 1;
}

/** `ISO time` of milliseconds, for outputs. */
export function isoTime(ms: number): string {
  return new Date(ms).toISOString();
}

/** An allowed request, counted once (the stage that closes it, or opens a stream). */
export function isOnceAllowed(ctx: EventContext): boolean {
  return onceAllowed(ctx.stage as string, (ctx.responseStatus as { code: number }).code, ctx.verb as string);
}

/** isOnceAllowed from the fields themselves (all three are prefilter fields, see Detector.skips). */
export function onceAllowed(stage: string, code: number, verb: string): boolean {
  if (stage === 'ResponseStarted') return code === 101 || verb === 'watch';
  if (stage !== 'ResponseComplete') return false;
  // A watch logs ResponseStarted first: its completion was already counted.
  return code >= 200 && code < 300 && verb !== 'watch';
}
