import { setField, type Check } from '../check.js';
import { specOf } from './lib/cross-resource.js';

/** A PodDisruptionBudget must say how many pods may be disrupted: minAvailable or maxUnavailable. */
export const podDisruptionBudgetWithoutPolicy = {
  id: 'PAL-091',
  slug: 'pod-disruption-budget-without-policy',
  title: 'PodDisruptionBudget sets neither minAvailable nor maxUnavailable',
  description:
    'A PodDisruptionBudget without minAvailable or maxUnavailable does not state the availability it is meant to protect, ' +
    'so evictions follow API defaults instead of a deliberate budget.',
  remediation: 'Set spec.maxUnavailable (usually 1) or spec.minAvailable (below the replica count).',
  severity: 'low',
  category: 'reliability',
  kinds: ['PodDisruptionBudget'],
  equivalents: {
    kubeScore: ['poddisruptionbudget-has-policy'],
  },
  evaluate({ resource }) {
    const spec = specOf(resource);
    const set = (v: unknown) => v !== undefined && v !== null;
    if (set(spec.minAvailable) || set(spec.maxUnavailable)) return [];
    return [{
      path: ['spec'],
      message: 'PodDisruptionBudget sets neither spec.minAvailable nor spec.maxUnavailable',
      fix: setField(['spec', 'maxUnavailable'], 1, 'set spec.maxUnavailable to 1'),
    }];
  },
} satisfies Check;
