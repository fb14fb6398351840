import type { Check } from '../check.js';
import { POD_KINDS } from '../pod-view.js';
import { missingResource, presenceApplies } from './lib/resources.js';

export const cpuLimitMissing = {
  id: 'PAL-034',
  slug: 'cpu-limit-missing',
  title: 'Container has no CPU limit',
  description:
    'Without a CPU limit a busy or compromised container can use every core its node has free, starving its ' +
    'neighbours (noisy neighbour, crypto-mining). Namespaces with a ResourceQuota on limits.cpu also reject it.',
  remediation:
    'Set `resources.limits.cpu` on every container and init container, sized from observed usage (or enforce a ' +
    'default with a LimitRange).',
  severity: 'low',
  category: 'resources',
  kinds: POD_KINDS,
  equivalents: {
    polaris: ['cpuLimitsMissing'],
    kubeScore: ['container-resources'],
    checkov: ['CKV_K8S_11'],
    kubeLinter: ['unset-cpu-requirements'],
    defender: ['Container CPU and memory limits should be enforced'],
    trivy: ['KSV011'],
  },
  appliesTo: ({ pod }) => presenceApplies(pod, 'limits', 'cpu'),
  evaluate: ({ pod }) => missingResource(pod!, 'limits', 'cpu').results,
} satisfies Check;
