import { type Check, type CheckResult } from '../check.js';
import type { PatchOperation } from '../../model/finding.js';
import { arr, int, rec, serviceType, specOf } from './lib/cross-resource.js';

/** Services of type NodePort open a port on every node of the cluster. */
export const serviceTypeNodePort = {
  id: 'PAL-086',
  slug: 'service-type-node-port',
  title: 'Service of type NodePort',
  description:
    'A NodePort Service listens on every node\'s address, usually outside any load balancer, firewall rule or ingress ' +
    'authentication that fronts the cluster, and traffic arriving on node ports is hard to restrict with NetworkPolicies.',
  remediation: 'Use a ClusterIP Service behind an Ingress or an (internal) LoadBalancer instead of NodePort.',
  severity: 'low',
  category: 'network',
  kinds: ['Service'],
  equivalents: {
    kubeScore: ['service-type'],
    kubeLinter: ['exposed-services'],
  },
  evaluate({ resource }) {
    if (serviceType(resource) !== 'NodePort') return [];
    const ports = arr(specOf(resource).ports).map(rec);
    const fixed = ports.map((p) => int(p.nodePort)).filter((n): n is number => n !== undefined);
    const where = fixed.length > 0 ? `node port(s) ${fixed.join(', ')}` : 'an allocated node port';
    const operations: PatchOperation[] = [{ op: 'replace', path: ['spec', 'type'], value: 'ClusterIP' }];
    ports.forEach((p, i) => {
      if (p.nodePort !== undefined) operations.push({ op: 'remove', path: ['spec', 'ports', i, 'nodePort'] });
    });
    const result: CheckResult = {
      path: ['spec', 'type'],
      message: `Service type NodePort listens on ${where} of every node`,
      fix: { description: 'change the Service to type ClusterIP and drop its nodePorts', operations },
    };
    return [result];
  },
} satisfies Check;
