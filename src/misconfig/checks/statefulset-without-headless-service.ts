import type { Check } from '../check.js';
import { mapSelectorMatches } from '../inventory.js';
import { describeLabels, isRecord, labelsOf, nsOf, specOf, str } from './lib/cross-resource.js';

/**
 * A StatefulSet's serviceName must name a headless Service (clusterIP: None) of the input, in the same
 * namespace, whose selector matches the StatefulSet's pods: that Service gives each pod its stable DNS name.
 */
export const statefulsetWithoutHeadlessService = {
  id: 'PAL-098',
  slug: 'statefulset-without-headless-service',
  title: 'StatefulSet serviceName is not a headless Service of the input',
  description:
    'A StatefulSet\'s pods get their stable network identity (pod-0.service...) from the headless Service named in ' +
    'spec.serviceName. If that Service is missing, not headless or selects other pods, peers cannot find each other and ' +
    'clustered software (databases, brokers) fails to form or re-form its cluster.',
  remediation:
    'Create a Service with clusterIP: None in the same namespace, named as spec.serviceName, whose selector matches the ' +
    'pod template labels.',
  severity: 'low',
  category: 'reliability',
  kinds: ['StatefulSet'],
  crossResource: true,
  equivalents: {
    kubeScore: ['statefulset-has-servicename'],
  },
  evaluate({ resource, pod, inventory }) {
    const name = str(specOf(resource).serviceName);
    const path = ['spec', 'serviceName'];
    if (!name) return [{ path, message: 'spec.serviceName is unset: the pods get no stable network identity' }];
    const ns = nsOf(resource);
    const svc = inventory.get('Service', ns, name);
    if (!svc) return [{ path, message: `serviceName "${name}" names a Service that is not in the input (namespace "${ns}")` }];
    const svcSpec = specOf(svc);
    if (svcSpec.clusterIP !== 'None') {
      return [{ path, message: `Service "${name}" is not headless (clusterIP ${svcSpec.clusterIP === undefined ? 'unset' : JSON.stringify(svcSpec.clusterIP)}, needs "None")` }];
    }
    const labels = labelsOf(pod?.metadata.labels);
    const sel = svcSpec.selector;
    if (isRecord(sel) && mapSelectorMatches(sel, labels)) return [];
    const selText = isRecord(sel) && Object.keys(sel).length > 0 ? `selector ${describeLabels(labelsOf(sel))}` : 'no selector';
    return [{ path, message: `headless Service "${name}" has ${selText}, which does not select the pods of this StatefulSet (labels ${describeLabels(labels)})` }];
  },
} satisfies Check;
