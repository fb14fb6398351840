import type { Check, CheckResult } from '../check.js';
import { arr, int, rec, serviceType, specOf, str } from './lib/cross-resource.js';

/** Services may only listen on the ports of the allowedServicePorts parameter. */
export const servicePortNotAllowed = {
  id: 'PAL-087',
  slug: 'service-port-not-allowed',
  title: 'Service listens on a port outside the allowed list',
  description:
    'Every Service port is an entry point into the workload. Keeping Services to an agreed set of ports (HTTP, HTTPS and ' +
    'the like) keeps debug, admin and database ports from being published by accident and makes firewalling predictable.',
  remediation:
    'Change spec.ports[].port to an allowed port (targetPort can stay what the container listens on), or add the port to ' +
    'parameters.allowedServicePorts in palisade.yaml if it is intended.',
  severity: 'low',
  category: 'network',
  kinds: ['Service'],
  parameters: ['allowedServicePorts'],
  equivalents: {
    defender: ['Kubernetes cluster services should listen only on allowed ports'],
  },
  appliesTo({ resource }) {
    // An ExternalName Service is a DNS alias: nothing listens on its ports.
    return serviceType(resource) !== 'ExternalName';
  },
  evaluate({ resource, params }) {
    const allowed = new Set(params.allowedServicePorts);
    const out: CheckResult[] = [];
    arr(specOf(resource).ports).forEach((raw, i) => {
      const p = rec(raw);
      const port = int(p.port);
      if (port === undefined || allowed.has(port)) return;
      const label = str(p.name) ? `port ${port} ("${String(p.name)}")` : `port ${port}`;
      out.push({ path: ['spec', 'ports', i, 'port'], message: `${label} is not in allowedServicePorts (${[...allowed].join(', ') || 'empty'})` });
    });
    return out;
  },
} satisfies Check;
