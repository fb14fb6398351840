/**
 * Reading pod spreading rules (topology spread constraints, pod anti-affinity) and proposing a default one.
 */
import type { CheckContext } from '../../check.js';
import type { FieldPath } from '../../../model/path.js';
import { podLabelsOf } from './workloads.js';

/** Topology keys that put matching pods on different nodes when used for anti-affinity. */
export const NODE_SEPARATING_KEYS: readonly string[] = [
  'kubernetes.io/hostname',
  'topology.kubernetes.io/zone',
  'topology.kubernetes.io/region',
  'failure-domain.beta.kubernetes.io/zone',
  'failure-domain.beta.kubernetes.io/region',
];

/**
 * The label selector a new spreading rule should use: the controller's `spec.selector.matchLabels` when
 * there is one (it identifies exactly the controller's pods), else the pod template labels.
 */
export function ownPodSelector(ctx: CheckContext): Record<string, string> | undefined {
  const sel = (ctx.object.spec as { selector?: { matchLabels?: unknown } } | undefined)?.selector;
  const ml = sel?.matchLabels;
  if (ml && typeof ml === 'object' && !Array.isArray(ml) && Object.keys(ml).length > 0) {
    const out: Record<string, string> = {};
    for (const [k, v] of Object.entries(ml)) out[k] = String(v);
    return out;
  }
  const labels = podLabelsOf(ctx);
  return Object.keys(labels).length > 0 ? labels : undefined;
}

/** The pod spec's topologySpreadConstraints when it is a list, else an empty list. */
export function spreadConstraints(ctx: CheckContext): unknown[] {
  const v = ctx.pod?.spec.topologySpreadConstraints;
  return Array.isArray(v) ? v : [];
}

/** Path of the pod spec's topologySpreadConstraints. */
export function spreadPath(ctx: CheckContext): FieldPath {
  return [...ctx.pod!.specPath, 'topologySpreadConstraints'];
}
