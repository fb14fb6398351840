import type { FieldPath } from './path.js';
import type { Location, ResourceRef } from './resource.js';
import type { Severity } from './severity.js';

/** One edit of a suggested fix, relative to the resource object (JSON-Patch-like, path as segments). */
export type PatchOperation =
  | { op: 'add' | 'replace'; path: FieldPath; value: unknown }
  | { op: 'remove'; path: FieldPath };

/**
 * A suggested fix: what to change, in words and as a patch that `palisade fix` can apply. Findings of one
 * scan with equal fixes share one object (and equal paths one array): read them, never change them.
 */
export interface SuggestedFix {
  description: string;
  operations: PatchOperation[];
}

/** A framework control a finding maps to. */
export interface ControlRef {
  framework: string;
  control: string;
  title?: string;
}

/** One failed check on one resource (and container, when relevant). */
export interface Finding {
  checkId: string;
  slug: string;
  title: string;
  severity: Severity;
  category: string;
  /** Names the offending value, e.g. `container "app" sets privileged: true`. */
  message: string;
  resource: ResourceRef;
  /** Stable id of the resource inside the scan (`Kind/namespace/name`). */
  resourceId: string;
  container?: string;
  /** Path of the offending field, e.g. `spec.template.spec.containers[0].securityContext.privileged`. */
  path: string;
  /** File, line and column of that field (or of its deepest existing ancestor). */
  location: Location;
  remediation: string;
  fix?: SuggestedFix;
  frameworks: ControlRef[];
}

/** Where an exemption came from. */
export type ExemptionOrigin =
  | 'annotation'
  | 'config'
  | 'polaris-annotation'
  | 'kube-score-annotation'
  | 'checkov-annotation'
  | 'kubescape-annotation'
  | 'kube-linter-annotation';

/** A finding that an exemption suppressed: kept and reported, never dropped silently. */
export interface ExemptedFinding extends Finding {
  exemption: {
    origin: ExemptionOrigin;
    reason?: string;
    expires?: string;
    /** Where the exemption is written (annotation location or config file entry). */
    source: string;
  };
}

/** An exemption that did not apply as written. */
export interface ExemptionIssue {
  kind: 'expired' | 'unmatched' | 'unknown-check' | 'disallowed';
  origin: ExemptionOrigin;
  message: string;
  /** Where it is written: `file:line` for annotations, `palisade.yaml exemptions[2]` for config. */
  source: string;
  checks: string[];
  expires?: string;
  reason?: string;
}
