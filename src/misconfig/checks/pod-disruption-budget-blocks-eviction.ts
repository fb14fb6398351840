import { setField, type Check, type CheckResult } from '../check.js';
import type { SuggestedFix } from '../../model/finding.js';
import {
  describeResource, explicitReplicas, hpasTargeting, labelsOf, nsOf, parseIntOrPercent, pdbSelects, SCALABLE_KINDS,
  showIntOrPercent, specOf,
} from './lib/cross-resource.js';

const USE_MAX_UNAVAILABLE: SuggestedFix = {
  description: 'replace minAvailable with maxUnavailable: 1',
  operations: [
    { op: 'remove', path: ['spec', 'minAvailable'] },
    { op: 'add', path: ['spec', 'maxUnavailable'], value: 1 },
  ],
};

/**
 * A PodDisruptionBudget that can never allow a voluntary disruption: maxUnavailable 0 / "0%",
 * minAvailable "100%" or more, or an absolute minAvailable at least as large as the fixed replica
 * count of a workload of the input it selects (workloads scaled by an HPA are left to PAL-093).
 */
export const podDisruptionBudgetBlocksEviction = {
  id: 'PAL-092',
  slug: 'pod-disruption-budget-blocks-eviction',
  title: 'PodDisruptionBudget allows no disruption',
  description:
    'A budget that allows zero disruptions blocks every voluntary eviction: node drains hang, cluster upgrades stall and ' +
    'the autoscaler cannot remove nodes, until someone deletes the budget by hand, usually during an incident.',
  remediation: 'Use maxUnavailable: 1 (or a percentage above 0), or a minAvailable below the number of replicas.',
  severity: 'medium',
  category: 'reliability',
  kinds: ['PodDisruptionBudget'],
  crossResource: true,
  equivalents: {
    polaris: ['pdbDisruptionsIsZero'],
    kubeLinter: ['pdb-max-unavailable', 'pdb-min-available'],
  },
  evaluate({ resource, inventory }) {
    const spec = specOf(resource);
    const out: CheckResult[] = [];
    const maxU = parseIntOrPercent(spec.maxUnavailable);
    if (maxU && maxU.value === 0) {
      out.push({
        path: ['spec', 'maxUnavailable'],
        message: `maxUnavailable ${showIntOrPercent(maxU)} allows no pod to be evicted`,
        fix: setField(['spec', 'maxUnavailable'], 1, 'set maxUnavailable to 1'),
      });
    }
    const minA = parseIntOrPercent(spec.minAvailable);
    if (!minA) return out;
    const fix = spec.maxUnavailable === undefined ? USE_MAX_UNAVAILABLE : undefined;
    if (minA.kind === 'percent') {
      if (minA.value >= 100) out.push({ path: ['spec', 'minAvailable'], message: `minAvailable ${showIntOrPercent(minA)} keeps every selected pod, so none can be evicted`, fix });
      return out;
    }
    const ns = nsOf(resource);
    for (const w of inventory.workloadsIn(ns)) {
      if (w.namespace !== ns || !SCALABLE_KINDS.includes(w.resource.kind)) continue;
      if (!pdbSelects(resource, labelsOf(w.podLabels))) continue;
      const replicas = explicitReplicas(w.resource);
      if (replicas === undefined || replicas === 0 || hpasTargeting(inventory, w.resource).length > 0) continue;
      if (minA.value >= replicas) {
        out.push({
          path: ['spec', 'minAvailable'],
          message: `minAvailable ${minA.value} is not below the ${replicas} replica(s) of ${describeResource(w.resource)}, so none of its pods can be evicted`,
          fix,
        });
      }
    }
    return out;
  },
} satisfies Check;
