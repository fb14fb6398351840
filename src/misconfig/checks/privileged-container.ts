import { describeContainer, inContainer, setField, type Check } from '../check.js';
import { POD_KINDS } from '../pod-view.js';

export const privilegedContainer = {
  id: 'PAL-001',
  slug: 'privileged-container',
  title: 'Privileged container',
  description:
    'A privileged container has every capability and access to all host devices: escaping to the node is trivial. ' +
    'Pod Security Standards (baseline) forbid it.',
  remediation: 'Remove `securityContext.privileged: true`; grant only the specific capabilities the process needs.',
  severity: 'critical',
  category: 'pod-security',
  kinds: POD_KINDS,
  equivalents: {
    polaris: ['runAsPrivileged'],
    kubeScore: ['container-security-context-privileged'],
    checkov: ['CKV_K8S_16'],
    kubescape: ['C-0057'],
    kubeLinter: ['privileged-container'],
    defender: ['Privileged containers should be avoided'],
    trivy: ['KSV017'],
  },
  evaluate({ pod }) {
    return pod!.allContainers
      .filter((c) => c.container.securityContext?.privileged === true)
      .map((c) =>
        inContainer(c, ['securityContext', 'privileged'], `${describeContainer(c)} sets securityContext.privileged: true`,
          setField([...c.path, 'securityContext', 'privileged'], false, 'set privileged to false')),
      );
  },
} satisfies Check;
