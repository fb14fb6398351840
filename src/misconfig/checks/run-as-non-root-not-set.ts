import type { SuggestedFix } from '../../model/finding.js';
import { describeContainer, setField, show, type Check, type CheckResult } from '../check.js';
import { POD_KINDS } from '../pod-view.js';
import { effectiveField, hasContainers } from './lib/pod-security.js';

export const runAsNonRootNotSet = {
  id: 'PAL-023',
  slug: 'run-as-non-root-not-set',
  title: 'runAsNonRoot is not true',
  description:
    'With runAsNonRoot: true the kubelet refuses to start a container whose user would be root, whatever the image ' +
    'says; without it, an image that defaults to root (most do) runs as root. Pod Security Standards (restricted) ' +
    'require it on the pod or on every container, and a container value overrides the pod\'s.',
  remediation:
    'Set `securityContext.runAsNonRoot: true` on the pod (and do not set it to false on a container), and make sure ' +
    'the image or `runAsUser` selects a non-zero UID.',
  severity: 'medium',
  category: 'pod-security',
  kinds: POD_KINDS,
  equivalents: {
    trivy: ['KSV012'],
  },
  appliesTo: hasContainers,
  evaluate({ pod }) {
    const out: CheckResult[] = [];
    for (const c of pod!.allContainers) {
      const eff = effectiveField(pod!, c, 'runAsNonRoot');
      if (eff.value === true) continue;
      let message: string;
      let fix: SuggestedFix;
      if (eff.from === 'unset') {
        message = `${describeContainer(c)} does not set runAsNonRoot: true (neither the container nor the pod sets it)`;
        fix = setField([...pod!.specPath, 'securityContext', 'runAsNonRoot'], true, 'set runAsNonRoot: true for the whole pod');
      } else {
        const where = eff.from === 'container' ? 'its own securityContext' : 'the pod securityContext';
        message = `${describeContainer(c)} runs with runAsNonRoot: ${show(eff.value)} (set by ${where})`;
        fix = setField(eff.path, true, 'set runAsNonRoot to true');
      }
      out.push({ path: eff.path, container: c.name, message, fix });
    }
    return out;
  },
} satisfies Check;
