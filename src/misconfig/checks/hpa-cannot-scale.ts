import type { Check } from '../check.js';
import { hpaMinReplicas, int, specOf } from './lib/cross-resource.js';

/** An HPA whose maxReplicas is not above its minReplicas (default 1) never scales. */
export const hpaCannotScale = {
  id: 'PAL-095',
  slug: 'hpa-cannot-scale',
  title: 'HorizontalPodAutoscaler maxReplicas is not above minReplicas',
  description:
    'With maxReplicas equal to (or below) minReplicas the autoscaler can never add capacity: the workload saturates under ' +
    'load while the HPA suggests it is elastic.',
  remediation: 'Set spec.maxReplicas above spec.minReplicas, or remove the HPA and set the replica count on the workload.',
  severity: 'low',
  category: 'reliability',
  kinds: ['HorizontalPodAutoscaler'],
  equivalents: {
    polaris: ['hpaMaxAvailability'],
  },
  evaluate({ resource }) {
    const spec = specOf(resource);
    const max = int(spec.maxReplicas);
    if (max === undefined) {
      return [{ path: ['spec', 'maxReplicas'], message: `maxReplicas is ${spec.maxReplicas === undefined ? 'unset' : `not an integer (${JSON.stringify(spec.maxReplicas)})`}` }];
    }
    const min = hpaMinReplicas(resource);
    if (min === undefined || max > min) return [];
    const minText = spec.minReplicas === undefined ? `the default minReplicas ${min}` : `minReplicas ${min}`;
    return [{ path: ['spec', 'maxReplicas'], message: `maxReplicas ${max} is not above ${minText}: the autoscaler cannot scale` }];
  },
} satisfies Check;
