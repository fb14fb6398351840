import { setField, type Check } from '../check.js';
import { hpaMinReplicas, int, specOf } from './lib/cross-resource.js';

/** HPAs must keep at least the minReplicas parameter (default 2); an unset minReplicas is the API default, 1. */
export const hpaMinReplicasTooLow = {
  id: 'PAL-094',
  slug: 'hpa-min-replicas-too-low',
  title: 'HorizontalPodAutoscaler may scale down to a single replica',
  description:
    'An autoscaler that may scale to one replica leaves the workload without redundancy whenever load is low: one node ' +
    'failure, eviction or rollout then means downtime.',
  remediation: 'Set spec.minReplicas to at least 2 (the minReplicas parameter).',
  severity: 'low',
  category: 'reliability',
  kinds: ['HorizontalPodAutoscaler'],
  parameters: ['minReplicas'],
  equivalents: {
    polaris: ['hpaMinAvailability'],
    kubeScore: ['horizontalpodautoscaler-replicas'],
  },
  evaluate({ resource, params }) {
    const min = hpaMinReplicas(resource);
    if (min === undefined || min >= params.minReplicas) return [];
    const written = specOf(resource).minReplicas === undefined ? 'minReplicas is unset (defaults to 1)' : `minReplicas is ${min}`;
    const max = int(specOf(resource).maxReplicas);
    const fix = max === undefined || max >= params.minReplicas
      ? setField(['spec', 'minReplicas'], params.minReplicas, `set minReplicas to ${params.minReplicas}`)
      : undefined;
    return [{ path: ['spec', 'minReplicas'], message: `${written}, below the required ${params.minReplicas}`, fix }];
  },
} satisfies Check;
