import { describeContainer, type Check, type CheckResult } from '../check.js';
import { POD_KINDS } from '../pod-view.js';
import { effectiveField, hasContainers, originLabel } from './lib/pod-security.js';

export const runAsRootUser = {
  id: 'PAL-024',
  slug: 'run-as-root-user',
  title: 'Container is set to run as UID 0',
  description:
    'runAsUser: 0 explicitly runs the container as root, overriding a non-root USER in the image; root in a ' +
    'container is one kernel bug or one misconfiguration away from root on the node. Pod Security Standards ' +
    '(restricted) forbid runAsUser: 0; a container value overrides the pod\'s.',
  remediation: 'Set `runAsUser` to a non-zero UID (or remove it so the image\'s non-root USER applies) on the pod and containers.',
  severity: 'high',
  category: 'pod-security',
  kinds: POD_KINDS,
  equivalents: {
    trivy: ['KSV105'],
  },
  appliesTo: hasContainers,
  evaluate({ pod }) {
    const out: CheckResult[] = [];
    for (const c of pod!.allContainers) {
      const eff = effectiveField(pod!, c, 'runAsUser');
      if (eff.value !== 0) continue;
      out.push({ path: eff.path, container: c.name, message: `${describeContainer(c)} runs as runAsUser: 0 (set by ${originLabel(eff)})` });
    }
    return out;
  },
} satisfies Check;
