import type { Check } from '../check.js';
import { arr, rec, serviceType, specOf } from './lib/cross-resource.js';

/**
 * Annotations that make a cloud provider create an internal (private) load balancer, as
 * annotation -> accepted values (lower case; `*` accepts any non-false value).
 */
const INTERNAL_LB_ANNOTATIONS: Record<string, readonly string[]> = {
  // AKS
  'service.beta.kubernetes.io/azure-load-balancer-internal': ['true'],
  // EKS, in-tree cloud provider (older releases documented "0.0.0.0/0" as the value)
  'service.beta.kubernetes.io/aws-load-balancer-internal': ['*'],
  // EKS, AWS Load Balancer Controller
  'service.beta.kubernetes.io/aws-load-balancer-scheme': ['internal'],
  // GKE (current and legacy)
  'networking.gke.io/load-balancer-type': ['internal'],
  'cloud.google.com/load-balancer-type': ['internal'],
  // Other providers
  'service.beta.kubernetes.io/openstack-internal-load-balancer': ['true'],
  'service.beta.kubernetes.io/oci-load-balancer-internal': ['true'],
  'service.kubernetes.io/ibm-load-balancer-cloud-provider-ip-type': ['private'],
  'service.beta.kubernetes.io/alibaba-cloud-loadbalancer-address-type': ['intranet'],
};

const ANYWHERE = new Set(['0.0.0.0/0', '::/0']);

function internalAnnotation(annotations: Record<string, unknown>): string | undefined {
  for (const [key, accepted] of Object.entries(INTERNAL_LB_ANNOTATIONS)) {
    const v = annotations[key];
    if (typeof v !== 'string' && typeof v !== 'boolean') continue;
    const value = String(v).trim().toLowerCase();
    if (accepted.includes('*') ? value !== '' && value !== 'false' : accepted.includes(value)) return key;
  }
  return undefined;
}

/**
 * A Service of type LoadBalancer gets an address reachable from outside the cluster; on the public
 * clouds that is the internet. Internal load balancers (provider annotations) and load balancers whose
 * source ranges exclude 0.0.0.0/0 are not reported.
 */
export const loadBalancerServiceExposed = {
  id: 'PAL-085',
  slug: 'load-balancer-service-exposed',
  title: 'LoadBalancer Service reachable from the internet',
  description:
    'A Service of type LoadBalancer gets a public address on the managed clouds: its pods are reachable from the whole ' +
    'internet, scanned within minutes, and bypass any ingress controller authentication or WAF. Internal load balancers ' +
    'and source-range restrictions keep the exposure private.',
  remediation:
    'Use a ClusterIP Service behind an Ingress, or make the load balancer internal with your provider\'s annotation ' +
    '(service.beta.kubernetes.io/azure-load-balancer-internal: "true", service.beta.kubernetes.io/aws-load-balancer-scheme: ' +
    'internal, networking.gke.io/load-balancer-type: Internal), or restrict spec.loadBalancerSourceRanges to known CIDRs.',
  severity: 'medium',
  category: 'network',
  kinds: ['Service'],
  equivalents: {
    kubeLinter: ['exposed-services'],
  },
  appliesTo({ resource }) {
    return serviceType(resource) === 'LoadBalancer';
  },
  evaluate({ resource }) {
    const annotations = rec(resource.object.metadata.annotations);
    if (internalAnnotation(annotations) !== undefined) return [];
    const spec = specOf(resource);
    const fromSpec = arr(spec.loadBalancerSourceRanges).filter((r): r is string => typeof r === 'string').map((r) => r.trim());
    const annotated = annotations['service.beta.kubernetes.io/load-balancer-source-ranges'];
    const fromAnnotation = typeof annotated === 'string' ? annotated.split(',').map((r) => r.trim()).filter(Boolean) : [];
    // The field wins over the annotation when both are set.
    const ranges = fromSpec.length > 0 ? fromSpec : fromAnnotation;
    if (ranges.length === 0) {
      return [{ path: ['spec', 'type'], message: 'Service type LoadBalancer has no internal load-balancer annotation and no loadBalancerSourceRanges: it is reachable from any address' }];
    }
    const open = ranges.find((r) => ANYWHERE.has(r));
    if (open === undefined) return [];
    if (fromSpec.length > 0) {
      return [{ path: ['spec', 'loadBalancerSourceRanges', fromSpec.indexOf(open)], message: `loadBalancerSourceRanges includes "${open}": the load balancer is reachable from any address` }];
    }
    return [{ path: ['metadata', 'annotations', 'service.beta.kubernetes.io/load-balancer-source-ranges'], message: `load-balancer-source-ranges annotation includes "${open}": the load balancer is reachable from any address` }];
  },
} satisfies Check;
