import type { Check } from '../check.js';
import { POD_KINDS } from '../pod-view.js';
import { missingResource, presenceApplies } from './lib/resources.js';

export const memoryRequestMissing = {
  id: 'PAL-037',
  slug: 'memory-request-missing',
  title: 'Container has no memory request',
  description:
    'A container without a memory request is scheduled as if it needed no memory, overcommits its node, and is ' +
    'among the first evicted under memory pressure (BestEffort or Burstable QoS).',
  remediation: 'Set `resources.requests.memory` on every container and init container to its working set.',
  severity: 'low',
  category: 'resources',
  kinds: POD_KINDS,
  equivalents: {
    polaris: ['memoryRequestsMissing'],
    kubeScore: ['container-resources'],
    checkov: ['CKV_K8S_12'],
    kubeLinter: ['unset-memory-requirements'],
    trivy: ['KSV016'],
  },
  appliesTo: ({ pod }) => presenceApplies(pod, 'requests', 'memory'),
  evaluate: ({ pod }) => missingResource(pod!, 'requests', 'memory').results,
} satisfies Check;
