import { describeContainer, setField, show, type Check, type CheckResult } from '../check.js';
import { POD_KINDS } from '../pod-view.js';
import { effectiveField, hasContainers, int, originLabel } from './lib/pod-security.js';

export const rootUserAllowed = {
  id: 'PAL-025',
  slug: 'root-user-allowed',
  title: 'Container may run as root',
  description:
    'A container that sets neither runAsNonRoot: true nor a non-zero runAsUser runs as whatever user the image ' +
    'chose, which for most images is root; root in a container keeps file ownership of the image, most of the ' +
    'kernel\'s trust, and is the starting point of most container escapes.',
  remediation:
    'Set `securityContext.runAsNonRoot: true` (and a non-zero `runAsUser` if the image has no non-root USER) on the ' +
    'pod or the container; never set `runAsUser: 0`.',
  severity: 'medium',
  category: 'pod-security',
  kinds: POD_KINDS,
  equivalents: {
    polaris: ['runAsRootAllowed'],
    checkov: ['CKV_K8S_23'],
    defender: ['Running containers as root user should be avoided'],
  },
  appliesTo: hasContainers,
  evaluate({ pod }) {
    const out: CheckResult[] = [];
    for (const c of pod!.allContainers) {
      // Each field resolves on its own: the container's value, else the pod's.
      const user = effectiveField(pod!, c, 'runAsUser');
      const nonRoot = effectiveField(pod!, c, 'runAsNonRoot');
      const uid = int(user.value);
      if (uid === 0) {
        out.push({ path: user.path, container: c.name, message: `${describeContainer(c)} runs as runAsUser: 0 (set by ${originLabel(user)})` });
        continue;
      }
      if (nonRoot.value === true || (uid !== undefined && uid > 0)) continue;
      const detail = nonRoot.from === 'unset'
        ? 'sets neither runAsNonRoot: true nor a non-zero runAsUser'
        : `runs with runAsNonRoot: ${show(nonRoot.value)} (set by ${originLabel(nonRoot)}) and no non-zero runAsUser`;
      out.push({
        path: nonRoot.path,
        container: c.name,
        message: `${describeContainer(c)} ${detail}`,
        fix: setField([...c.path, 'securityContext', 'runAsNonRoot'], true, 'set runAsNonRoot: true'),
      });
    }
    return out;
  },
} satisfies Check;
