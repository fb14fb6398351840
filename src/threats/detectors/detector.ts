import type { MitreRef } from '../../model/audit.js';
import type { Severity } from '../../model/severity.js';
import type { ContextVariable } from '../context.js';

/** The evaluation context of one event (see context.ts). */
export type EventContext = Record<ContextVariable, unknown>;

/** What a detector reports for the current event: the rendered output naming the entities. */
export interface DetectorFinding {
  output: string;
}

/** The state of one detector during one scan: it sees the events in order and remembers what it needs. */
export interface DetectorState {
  observe(ctx: EventContext): DetectorFinding[];
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
  /** Fresh state for one scan (detectors never share state across scans). */
  start(): DetectorState;
}
