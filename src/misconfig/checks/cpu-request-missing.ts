import type { Check } from '../check.js';
import { POD_KINDS } from '../pod-view.js';
import { missingResource, presenceApplies } from './lib/resources.js';

export const cpuRequestMissing = {
  id: 'PAL-036',
  slug: 'cpu-request-missing',
  title: 'Container has no CPU request',
  description:
    'The scheduler places pods by their requests. A container without a CPU request (and without a limit to ' +
    'default it from) is scheduled as if it needed nothing, lands on full nodes and gets the smallest share of ' +
    'CPU under contention.',
  remediation: 'Set `resources.requests.cpu` on every container and init container to its typical usage.',
  severity: 'low',
  category: 'resources',
  kinds: POD_KINDS,
  equivalents: {
    polaris: ['cpuRequestsMissing'],
    kubeScore: ['container-resources'],
    checkov: ['CKV_K8S_10'],
    kubeLinter: ['unset-cpu-requirements'],
    trivy: ['KSV015'],
  },
  appliesTo: ({ pod }) => presenceApplies(pod, 'requests', 'cpu'),
  evaluate: ({ pod }) => missingResource(pod!, 'requests', 'cpu').results,
} satisfies Check;
