import type { Check } from '../check.js';
import { describeLabels, describeResource, explicitReplicas, labelsOf, nsOf, pdbsSelecting, specOf } from './lib/cross-resource.js';

/**
 * Deployments and StatefulSets that run more than one replica need a PodDisruptionBudget. An unset
 * replicas counts as "more than one": it is how workloads scaled by an HPA or at deploy time are
 * written. Only an explicit replicas of 0 or 1 skips the check.
 */
export const workloadWithoutPodDisruptionBudget = {
  id: 'PAL-090',
  slug: 'workload-without-pod-disruption-budget',
  title: 'Replicated workload without a PodDisruptionBudget',
  description:
    'Without a PodDisruptionBudget, a node drain, cluster upgrade or autoscaler scale-down may evict every replica at the ' +
    'same time, turning routine maintenance into an outage.',
  remediation:
    'Add a PodDisruptionBudget in the same namespace whose selector matches the pod template labels, with maxUnavailable: 1 ' +
    '(or a minAvailable below the replica count).',
  severity: 'low',
  category: 'reliability',
  kinds: ['Deployment', 'StatefulSet'],
  crossResource: true,
  equivalents: {
    polaris: ['missingPodDisruptionBudget'],
    kubeScore: ['deployment-has-poddisruptionbudget', 'statefulset-has-poddisruptionbudget'],
  },
  appliesTo({ resource, pod }) {
    const replicas = explicitReplicas(resource);
    return pod !== undefined && (replicas === undefined || replicas > 1);
  },
  evaluate({ resource, pod, inventory }) {
    if (!pod) return [];
    const ns = nsOf(resource);
    const labels = labelsOf(pod.metadata.labels);
    if (pdbsSelecting(inventory, ns, labels).length > 0) return [];
    const replicas = explicitReplicas(resource);
    const how = replicas !== undefined ? `all ${replicas} replicas` : 'all replicas';
    const path = specOf(resource).template !== undefined ? [...pod.metadataPath, 'labels'] : ['spec'];
    return [{
      path,
      message: `no PodDisruptionBudget in the input selects the pods of ${describeResource(resource)} (labels ${describeLabels(labels)}) in namespace "${ns}": a drain may evict ${how} at once`,
    }];
  },
} satisfies Check;
