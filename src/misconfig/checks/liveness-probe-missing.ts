import { describeContainer, inContainer, type Check } from '../check.js';
import { POD_KINDS } from '../pod-view.js';
import { isLongRunning } from './lib/workloads.js';

export const livenessProbeMissing = {
  id: 'PAL-040',
  slug: 'liveness-probe-missing',
  title: 'Container has no liveness probe',
  description:
    'A liveness probe lets the kubelet restart a container that is running but stuck (deadlock, exhausted ' +
    'pool); without one it stays broken until someone notices. Only long-running pods are checked, not Jobs ' +
    'and CronJobs.',
  remediation:
    'Add a `livenessProbe` that fails only when a restart would help (a local health endpoint, never a check of ' +
    'downstream services), and make it differ from the readiness probe.',
  severity: 'low',
  category: 'reliability',
  kinds: POD_KINDS,
  equivalents: {
    polaris: ['livenessProbeMissing'],
    checkov: ['CKV_K8S_8'],
    kubescape: ['C-0056'],
    kubeLinter: ['no-liveness-probe'],
  },
  appliesTo: (ctx) => isLongRunning(ctx) && ctx.pod!.containers.length > 0,
  evaluate({ pod }) {
    return pod!.containers
      .filter((c) => {
        const p = c.container.livenessProbe as unknown;
        return p === null || typeof p !== 'object' || Array.isArray(p);
      })
      .map((c) => inContainer(c, ['livenessProbe'], `${describeContainer(c)} has no livenessProbe`));
  },
} satisfies Check;
