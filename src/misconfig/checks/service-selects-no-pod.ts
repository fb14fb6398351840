import type { Check } from '../check.js';
import { isRecord, nsOf, serviceType, somePodMatchesMap, specOf } from './lib/cross-resource.js';

/**
 * A Service with a selector that matches no pod-bearing resource of its namespace in the input.
 * Services without a selector (endpoints managed by hand or by another controller) and ExternalName
 * Services have nothing to match and are not judged.
 */
export const serviceSelectsNoPod = {
  id: 'PAL-082',
  slug: 'service-selects-no-pod',
  title: 'Service selects no pod',
  description:
    'A Service whose selector matches no pod has no endpoints: clients get connection errors, and a later workload that ' +
    'happens to carry the labels silently starts receiving its traffic. It is usually a typo or a renamed label.',
  remediation: 'Make spec.selector equal to (a subset of) the pod template labels of the workload the Service fronts.',
  severity: 'low',
  category: 'network',
  kinds: ['Service'],
  crossResource: true,
  equivalents: {
    kubeScore: ['service-targets-pod'],
    kubeLinter: ['dangling-service'],
  },
  appliesTo({ resource }) {
    const sel = specOf(resource).selector;
    return serviceType(resource) !== 'ExternalName' && isRecord(sel) && Object.keys(sel).length > 0;
  },
  evaluate({ resource, inventory }) {
    const sel = specOf(resource).selector as Record<string, unknown>;
    const ns = nsOf(resource);
    if (somePodMatchesMap(inventory, ns, sel)) return [];
    return [{
      path: ['spec', 'selector'],
      message: `selector ${Object.entries(sel).map(([k, v]) => `${k}=${String(v)}`).join(',')} matches no pod or pod template in the input in namespace "${ns}"`,
    }];
  },
} satisfies Check;
