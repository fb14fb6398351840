import type { Check, CheckResult } from '../check.js';
import {
  describeResource, hpaMinReplicas, hpasTargeting, labelsOf, nsOf, parseIntOrPercent, pdbSelects, SCALABLE_KINDS, scaleUp,
  showIntOrPercent, specOf,
} from './lib/cross-resource.js';

/**
 * When an HPA scales a workload down to minReplicas, a PodDisruptionBudget whose minAvailable is at
 * least that number allows no eviction at all. Percentages are taken of minReplicas and rounded up, as
 * the disruption controller does; an unset minReplicas is the API default, 1.
 */
export const podDisruptionBudgetBlocksHpaMinimum = {
  id: 'PAL-093',
  slug: 'pod-disruption-budget-blocks-hpa-minimum',
  title: 'PodDisruptionBudget minAvailable is not below the HPA minReplicas',
  description:
    'A workload scaled by a HorizontalPodAutoscaler spends quiet hours at minReplicas. If the PodDisruptionBudget requires ' +
    'that many pods (or more) to stay available, no pod may be evicted then: node drains and cluster upgrades block.',
  remediation:
    'Lower the PDB\'s minAvailable below the HPA\'s minReplicas (or use maxUnavailable: 1), or raise minReplicas above minAvailable.',
  severity: 'medium',
  category: 'reliability',
  kinds: ['PodDisruptionBudget'],
  crossResource: true,
  equivalents: {
    polaris: ['pdbMinAvailableGreaterThanHPAMinReplicas'],
  },
  evaluate({ resource, inventory }) {
    const minA = parseIntOrPercent(specOf(resource).minAvailable);
    if (!minA) return [];
    const ns = nsOf(resource);
    const out: CheckResult[] = [];
    for (const w of inventory.workloadsIn(ns)) {
      if (w.namespace !== ns || !SCALABLE_KINDS.includes(w.resource.kind)) continue;
      if (!pdbSelects(resource, labelsOf(w.podLabels))) continue;
      for (const hpa of hpasTargeting(inventory, w.resource)) {
        const min = hpaMinReplicas(hpa);
        if (min === undefined || min < 1) continue;
        const needed = scaleUp(minA, min);
        if (needed < min) continue;
        const minText = specOf(hpa).minReplicas === undefined ? `${min} (minReplicas unset)` : String(min);
        const value = minA.kind === 'percent' ? `${showIntOrPercent(minA)} (${needed} of ${min} pods)` : String(needed);
        out.push({
          path: ['spec', 'minAvailable'],
          message: `minAvailable ${value} is not below the minReplicas ${minText} of HorizontalPodAutoscaler "${hpa.name}" scaling ${describeResource(w.resource)}: at that scale no pod can be evicted`,
        });
      }
    }
    return out;
  },
} satisfies Check;
