import type { Severity } from './severity.js';
import type { ControlRef } from './finding.js';

/** Peer tools whose rule ids a check lists as equivalents. */
export const PEER_TOOLS = ['polaris', 'kubeScore', 'checkov', 'kubescape', 'kubeLinter', 'defender', 'trivy'] as const;
export type PeerTool = (typeof PEER_TOOLS)[number];

/** Ids the same rule has in other tools; users migrating search by those. */
export type Equivalents = Partial<Record<PeerTool, readonly string[]>>;

/** Categories group the catalogue and the table output. */
export const CATEGORIES = [
  'pod-security', 'workload-hardening', 'images', 'resources', 'reliability', 'rbac', 'network', 'secrets',
  'configuration',
] as const;
export type Category = (typeof CATEGORIES)[number];

/** Catalogue entry for a check: everything but the code that evaluates it. */
export interface CheckInfo {
  /** Stable id, never reused: `PAL-001`. */
  id: string;
  /** Kebab-case, equal to the check's file name. */
  slug: string;
  title: string;
  description: string;
  remediation: string;
  severity: Severity;
  category: Category;
  /** Resource kinds the check looks at; `*` for the whole input (cross-resource checks list what they read). */
  kinds: readonly string[];
  equivalents: Equivalents;
  /** Framework controls that reference the check, derived from `content/frameworks/` at load. */
  frameworks: ControlRef[];
  /** Config parameters the check reads (`parameters.<name>` in palisade.yaml). */
  parameters?: readonly string[];
}
