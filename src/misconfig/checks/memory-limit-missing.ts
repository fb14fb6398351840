import type { Check } from '../check.js';
import { POD_KINDS } from '../pod-view.js';
import { missingResource, presenceApplies } from './lib/resources.js';

export const memoryLimitMissing = {
  id: 'PAL-035',
  slug: 'memory-limit-missing',
  title: 'Container has no memory limit',
  description:
    'Without a memory limit a leaking or hostile container can exhaust its node\'s memory; the kernel then ' +
    'OOM-kills processes of other pods too, and the kubelet starts evicting them. A limit confines the damage ' +
    'to the offending container.',
  remediation:
    'Set `resources.limits.memory` on every container and init container, sized from observed usage (or enforce ' +
    'a default with a LimitRange).',
  severity: 'medium',
  category: 'resources',
  kinds: POD_KINDS,
  equivalents: {
    polaris: ['memoryLimitsMissing'],
    kubeScore: ['container-resources'],
    checkov: ['CKV_K8S_13'],
    kubeLinter: ['unset-memory-requirements'],
    defender: ['Container CPU and memory limits should be enforced'],
    trivy: ['KSV018'],
  },
  appliesTo: ({ pod }) => presenceApplies(pod, 'limits', 'memory'),
  evaluate: ({ pod }) => missingResource(pod!, 'limits', 'memory').results,
} satisfies Check;
