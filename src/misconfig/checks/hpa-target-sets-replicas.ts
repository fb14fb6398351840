import { removeField, type Check } from '../check.js';
import { hpasTargeting, SCALABLE_KINDS, specOf } from './lib/cross-resource.js';

/** A workload scaled by an HPA of the input must not also fix spec.replicas. */
export const hpaTargetSetsReplicas = {
  id: 'PAL-097',
  slug: 'hpa-target-sets-replicas',
  title: 'Workload scaled by an HPA sets a static replica count',
  description:
    'When a workload scaled by a HorizontalPodAutoscaler also sets spec.replicas, every apply resets the replica count to ' +
    'that value, possibly scaling a loaded service down in the middle of a peak until the HPA reacts again.',
  remediation: 'Remove spec.replicas from the workload manifest and let the HPA own the replica count.',
  severity: 'low',
  category: 'reliability',
  kinds: SCALABLE_KINDS,
  crossResource: true,
  equivalents: {
    kubeScore: ['deployment-targeted-by-hpa-does-not-have-replicas-configured'],
  },
  appliesTo({ resource, inventory }) {
    return hpasTargeting(inventory, resource).length > 0;
  },
  evaluate({ resource, inventory }) {
    const replicas = specOf(resource).replicas;
    if (replicas === undefined || replicas === null) return [];
    const hpa = hpasTargeting(inventory, resource)[0]!;
    return [{
      path: ['spec', 'replicas'],
      message: `spec.replicas is ${JSON.stringify(replicas)} although HorizontalPodAutoscaler "${hpa.name}" scales this ${resource.kind}: each apply resets the replica count`,
      fix: removeField(['spec', 'replicas'], 'remove spec.replicas'),
    }];
  },
} satisfies Check;
