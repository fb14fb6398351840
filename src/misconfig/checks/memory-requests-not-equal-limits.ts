import type { Check } from '../check.js';
import { POD_KINDS } from '../pod-view.js';
import { equalityApplies, requestLimitMismatch } from './lib/resources.js';

export const memoryRequestsNotEqualLimits = {
  id: 'PAL-058',
  slug: 'memory-requests-not-equal-limits',
  title: 'Memory request differs from memory limit',
  description:
    'Memory cannot be throttled, only reclaimed by killing: a container using more than its request is a ' +
    'candidate for OOM kill and eviction whenever the node runs short. Setting the request equal to the limit ' +
    'reserves what the container may use. Containers that set neither are left to the request and limit checks.',
  remediation: 'Set `resources.requests.memory` equal to `resources.limits.memory`.',
  severity: 'info',
  category: 'resources',
  kinds: POD_KINDS,
  equivalents: {
    kubeScore: ['container-memory-requests-equal-limits', 'container-resource-requests-equal-limits'],
  },
  appliesTo: ({ pod }) => equalityApplies(pod, 'memory'),
  evaluate: ({ pod }) => requestLimitMismatch(pod!, 'memory'),
} satisfies Check;
