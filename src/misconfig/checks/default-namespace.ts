import type { Check } from '../check.js';

/** Objects the cluster itself creates in `default` (or in every namespace): never a finding. */
const SYSTEM_OBJECTS: ReadonlyArray<readonly [kind: string, name: string]> = [
  ['ServiceAccount', 'default'],
  ['Service', 'kubernetes'],
  ['ConfigMap', 'kube-root-ca.crt'],
];

/**
 * Resources in the `default` namespace. A manifest without metadata.namespace counts as `default`:
 * that is where the API server puts it unless the apply command (kubectl -n, Helm, Kustomize) names
 * another namespace, and a manifest that relies on that is one forgotten flag away from `default`.
 */
export const defaultNamespace = {
  id: 'PAL-089',
  slug: 'default-namespace',
  title: 'Resource in the default namespace',
  description:
    'The default namespace is where everything without a namespace lands: workloads there share RBAC, quotas and ' +
    'NetworkPolicies with whatever else was deployed carelessly, and namespace-scoped controls (Pod Security admission ' +
    'labels, default-deny policies) are rarely set on it.',
  remediation:
    'Set metadata.namespace to a dedicated namespace per application or team (or set it through your Helm release / ' +
    'Kustomize namespace) and apply namespace-level controls there.',
  severity: 'low',
  category: 'configuration',
  kinds: [
    'Pod', 'Deployment', 'DaemonSet', 'StatefulSet', 'ReplicaSet', 'ReplicationController', 'Job', 'CronJob', 'PodTemplate',
    'Service', 'Ingress', 'NetworkPolicy', 'Secret', 'ConfigMap', 'ServiceAccount', 'Role', 'RoleBinding',
    'PersistentVolumeClaim', 'PodDisruptionBudget', 'HorizontalPodAutoscaler', 'LimitRange', 'ResourceQuota',
  ],
  equivalents: {
    checkov: ['CKV_K8S_21'],
    kubescape: ['C-0061', 'C-0212'],
    kubeLinter: ['use-namespace'],
    defender: ['Kubernetes clusters should not use the default namespace'],
    trivy: ['KSV110'],
  },
  evaluate({ resource }) {
    if (SYSTEM_OBJECTS.some(([kind, name]) => resource.kind === kind && resource.name === name)) return [];
    if (resource.namespace === undefined) {
      return [{
        path: ['metadata', 'namespace'],
        message: `metadata.namespace is unset: unless the apply command names a namespace, ${resource.kind} "${resource.name}" lands in "default"`,
      }];
    }
    if (resource.namespace !== 'default') return [];
    return [{ path: ['metadata', 'namespace'], message: `${resource.kind} "${resource.name}" is in namespace "default"` }];
  },
} satisfies Check;
