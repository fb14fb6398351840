import { describeContainer, type Check, type CheckResult } from '../check.js';
import { POD_KINDS } from '../pod-view.js';
import { describeServices, isLongRunning, targetingOf } from './lib/workloads.js';

export const readinessProbeMissing = {
  id: 'PAL-039',
  slug: 'readiness-probe-missing',
  title: 'Serving pod has no readiness probe',
  description:
    'Without a readiness probe a pod counts as ready the moment its containers start: Services send it traffic ' +
    'before the application listens and while it shuts down, and rolling updates move on before new pods work. ' +
    'A pod is ready only when all its containers are, so one probe on the serving container is enough. ' +
    'Run-to-completion pods are skipped; when the input holds Services, pods that no Service selects are skipped too.',
  remediation:
    'Add a `readinessProbe` to the container that serves traffic, checking that the application can answer ' +
    '(not its downstream dependencies).',
  severity: 'medium',
  category: 'reliability',
  kinds: POD_KINDS,
  crossResource: true,
  equivalents: {
    polaris: ['readinessProbeMissing'],
    kubeScore: ['pod-probes'],
    checkov: ['CKV_K8S_9'],
    kubescape: ['C-0018'],
    kubeLinter: ['no-readiness-probe'],
  },
  appliesTo(ctx) {
    if (!isLongRunning(ctx) || ctx.pod!.containers.length === 0) return false;
    const t = targetingOf(ctx);
    return !t.known || t.services.length > 0;
  },
  evaluate(ctx) {
    const pod = ctx.pod!;
    if (pod.containers.some((c) => isProbe(c.container.readinessProbe))) return [];
    const t = targetingOf(ctx);
    const why = t.services.length > 0 ? `; ${describeServices(t.services)} will route traffic to it before it is ready` : '';
    if (pod.containers.length === 1) {
      const c = pod.containers[0]!;
      return [{ path: [...c.path, 'readinessProbe'], container: c.name, message: `${describeContainer(c)} has no readinessProbe${why}` } satisfies CheckResult];
    }
    const names = pod.containers.map((c) => JSON.stringify(c.name)).join(', ');
    return [{ path: [...pod.specPath, 'containers'], message: `none of the containers (${names}) has a readinessProbe${why}` }];
  },
} satisfies Check;

function isProbe(p: unknown): boolean {
  return p !== null && typeof p === 'object' && !Array.isArray(p);
}
