import type { Check } from '../check.js';
import { describeLabels, describeResource, labelsOf, networkPoliciesSelecting, nsOf, policyDirections, POD_CREATING_KINDS } from './lib/cross-resource.js';

/**
 * Pods are isolated per direction: a pod is isolated for ingress (egress) only once some NetworkPolicy
 * of its namespace selects it with that policy type. An empty podSelector selects every pod of the
 * namespace, so one default-deny policy covers the whole namespace.
 */
export const podNotIsolatedByNetworkPolicy = {
  id: 'PAL-080',
  slug: 'pod-not-isolated-by-network-policy',
  title: 'Pods not isolated by a NetworkPolicy',
  description:
    'A pod that no NetworkPolicy selects accepts connections from, and opens connections to, any pod in the cluster ' +
    'and any address it can route to: one compromised workload can reach it, and it can reach everything. Ingress and ' +
    'egress are isolated separately, each only by a policy whose policyTypes include that direction.',
  remediation:
    'Add a NetworkPolicy in the same namespace that selects these pods with policyTypes [Ingress, Egress] and allows only ' +
    'the traffic they need, or a namespace-wide default-deny policy (podSelector: {}) plus allow rules.',
  severity: 'medium',
  category: 'network',
  kinds: POD_CREATING_KINDS,
  crossResource: true,
  equivalents: {
    polaris: ['missingNetworkPolicy'],
    kubeScore: ['pod-networkpolicy'],
    checkov: ['CKV2_K8S_6'],
    kubescape: ['C-0260'],
    kubeLinter: ['non-isolated-pod'],
  },
  appliesTo({ pod }) {
    return pod !== undefined;
  },
  evaluate({ resource, pod, inventory }) {
    const ns = nsOf(resource);
    const labels = labelsOf(pod!.metadata.labels);
    const path = [...pod!.metadataPath, 'labels'];
    const who = `the pods of ${describeResource(resource)} (labels ${describeLabels(labels)}) in namespace "${ns}"`;
    const ingress: string[] = [];
    const egress: string[] = [];
    for (const np of networkPoliciesSelecting(inventory, ns, labels)) {
      const d = policyDirections(np);
      if (d.ingress) ingress.push(np.name);
      if (d.egress) egress.push(np.name);
    }
    if (ingress.length === 0 && egress.length === 0) {
      return [{ path, message: `no NetworkPolicy in the input selects ${who}: all ingress and egress traffic is allowed` }];
    }
    const names = (l: string[]) => l.map((n) => `"${n}"`).join(', ');
    const out = [];
    if (ingress.length === 0) {
      out.push({ path, message: `no NetworkPolicy in the input isolates ${who} for ingress (NetworkPolicy ${names(egress)} covers egress only): any source can connect` });
    }
    if (egress.length === 0) {
      out.push({ path, message: `no NetworkPolicy in the input isolates ${who} for egress (NetworkPolicy ${names(ingress)} covers ingress only): they can connect anywhere` });
    }
    return out;
  },
} satisfies Check;
