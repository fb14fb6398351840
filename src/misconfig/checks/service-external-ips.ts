import { removeField, type Check, type CheckResult } from '../check.js';
import { arr, specOf } from './lib/cross-resource.js';

/**
 * Service spec.externalIPs (CVE-2020-8554): kube-proxy routes traffic for those addresses to the
 * Service's pods, so anyone allowed to create Services can capture traffic meant for any IP, inside or
 * outside the cluster. Only the addresses of the allowedExternalIPs parameter pass.
 */
export const serviceExternalIps = {
  id: 'PAL-088',
  slug: 'service-external-ips',
  title: 'Service sets externalIPs',
  description:
    'kube-proxy sends traffic for a Service\'s externalIPs to that Service\'s pods on every node, whoever owns the address ' +
    '(CVE-2020-8554, unpatched by design): a Service can intercept connections meant for another workload or an external ' +
    'host. Kubernetes recommends denying externalIPs with an admission policy.',
  remediation:
    'Remove spec.externalIPs and expose the workload through a LoadBalancer or an Ingress; if an address is intended, list ' +
    'it in parameters.allowedExternalIPs and restrict who may set it (DenyServiceExternalIPs admission plugin or a policy).',
  severity: 'medium',
  category: 'network',
  kinds: ['Service'],
  parameters: ['allowedExternalIPs'],
  equivalents: {},
  evaluate({ resource, params }) {
    const allowed = new Set(params.allowedExternalIPs);
    const ips = arr(specOf(resource).externalIPs);
    const out: CheckResult[] = [];
    ips.forEach((ip, i) => {
      if (typeof ip === 'string' && allowed.has(ip.trim())) return;
      out.push({ path: ['spec', 'externalIPs', i], message: `externalIPs[${i}] ${JSON.stringify(ip)} is not in allowedExternalIPs: the Service captures traffic for that address` });
    });
    // With nothing allowed in the list, dropping the whole field is the mechanical fix.
    if (out.length > 0 && out.length === ips.length) {
      out[0]!.fix = removeField(['spec', 'externalIPs'], 'remove spec.externalIPs');
    }
    return out;
  },
} satisfies Check;
