import type { Check } from '../check.js';
import { POD_KINDS } from '../pod-view.js';
import { missingResource, presenceApplies } from './lib/resources.js';

export const ephemeralStorageRequestLimitMissing = {
  id: 'PAL-038',
  slug: 'ephemeral-storage-request-limit-missing',
  title: 'Container has no ephemeral-storage request or limit',
  description:
    'Logs, emptyDir volumes and the writable layer all live on the node\'s disk. Without an ephemeral-storage ' +
    'limit one container can fill it and get every pod on the node evicted; without a request the scheduler ' +
    'ignores its disk needs.',
  remediation: 'Set `resources.requests.ephemeral-storage` and `resources.limits.ephemeral-storage` on every container.',
  severity: 'low',
  category: 'resources',
  kinds: POD_KINDS,
  equivalents: {
    kubeScore: ['container-ephemeral-storage-request-and-limit'],
  },
  appliesTo: ({ pod }) => presenceApplies(pod, 'limits', 'ephemeral-storage') || presenceApplies(pod, 'requests', 'ephemeral-storage'),
  evaluate: ({ pod }) => [
    ...missingResource(pod!, 'limits', 'ephemeral-storage').results,
    ...missingResource(pod!, 'requests', 'ephemeral-storage').results,
  ],
} satisfies Check;
