import type { Check } from '../check.js';
import { POD_KINDS } from '../pod-view.js';
import { equalityApplies, requestLimitMismatch } from './lib/resources.js';

export const cpuRequestsNotEqualLimits = {
  id: 'PAL-057',
  slug: 'cpu-requests-not-equal-limits',
  title: 'CPU request differs from CPU limit',
  description:
    'A container whose CPU request equals its limit gets a predictable share of CPU and, with memory set the ' +
    'same way, the Guaranteed QoS class (last to be evicted). A gap between them lets it burst, and be throttled, ' +
    'unpredictably. Containers that set neither are left to the request and limit checks.',
  remediation: 'Set `resources.requests.cpu` equal to `resources.limits.cpu`, or accept the burst behaviour and disable this check.',
  severity: 'info',
  category: 'resources',
  kinds: POD_KINDS,
  equivalents: {
    kubeScore: ['container-cpu-requests-equal-limits', 'container-resource-requests-equal-limits'],
  },
  appliesTo: ({ pod }) => equalityApplies(pod, 'cpu'),
  evaluate: ({ pod }) => requestLimitMismatch(pod!, 'cpu'),
} satisfies Check;
