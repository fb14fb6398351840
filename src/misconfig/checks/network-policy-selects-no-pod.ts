import type { Check } from '../check.js';
import { selectorMatches } from '../inventory.js';
import { describeSelector, isEmptySelector, networkPolicySelector, nsOf, podLabelsIn } from './lib/cross-resource.js';

/**
 * A NetworkPolicy whose podSelector matches no pod template in the input. Policies with an empty
 * podSelector are namespace-wide by design (default deny) and are not judged.
 */
export const networkPolicySelectsNoPod = {
  id: 'PAL-081',
  slug: 'network-policy-selects-no-pod',
  title: 'NetworkPolicy selects no pod',
  description:
    'A NetworkPolicy whose podSelector matches none of the pods deployed alongside it protects nothing: usually a label ' +
    'was renamed on the workload but not in the policy, leaving the pods it was written for unisolated.',
  remediation: 'Make spec.podSelector match the labels of the pod template it is meant for, or delete the stale policy.',
  severity: 'low',
  category: 'network',
  kinds: ['NetworkPolicy'],
  crossResource: true,
  equivalents: {
    kubeScore: ['networkpolicy-targets-pod'],
    kubeLinter: ['dangling-networkpolicy'],
  },
  appliesTo({ resource }) {
    const sel = networkPolicySelector(resource);
    return sel !== undefined && !isEmptySelector(sel);
  },
  evaluate({ resource, inventory }) {
    const sel = networkPolicySelector(resource)!;
    const ns = nsOf(resource);
    if (podLabelsIn(inventory, ns).some((labels) => selectorMatches(sel, labels))) return [];
    return [{
      path: ['spec', 'podSelector'],
      message: `podSelector ${describeSelector(sel)} matches no pod or pod template in the input in namespace "${ns}"`,
    }];
  },
} satisfies Check;
