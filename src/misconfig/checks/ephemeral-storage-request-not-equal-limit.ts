import type { Check } from '../check.js';
import { POD_KINDS } from '../pod-view.js';
import { equalityApplies, requestLimitMismatch } from './lib/resources.js';

export const ephemeralStorageRequestNotEqualLimit = {
  id: 'PAL-059',
  slug: 'ephemeral-storage-request-not-equal-limit',
  title: 'Ephemeral-storage request differs from its limit',
  description:
    'When a container may write more to the node\'s disk than it requested, the scheduler can overcommit the ' +
    'disk and the kubelet evicts pods once it fills. Equal request and limit reserve what the container may use.',
  remediation: 'Set `resources.requests.ephemeral-storage` equal to `resources.limits.ephemeral-storage`.',
  severity: 'info',
  category: 'resources',
  kinds: POD_KINDS,
  equivalents: {
    kubeScore: ['container-ephemeral-storage-request-equals-limit'],
  },
  appliesTo: ({ pod }) => equalityApplies(pod, 'ephemeral-storage'),
  evaluate: ({ pod }) => requestLimitMismatch(pod!, 'ephemeral-storage'),
} satisfies Check;
