import { describeContainer, inContainer, setField, type Check, type CheckResult } from '../check.js';
import { POD_KINDS } from '../pod-view.js';
import { containerSecurityContext, hasLinuxContainers } from './lib/pod-security.js';

export const writableRootFilesystem = {
  id: 'PAL-027',
  slug: 'writable-root-filesystem',
  title: 'Container root filesystem is writable',
  description:
    'A writable root filesystem lets an attacker who gains code execution drop tools, modify binaries and libraries, ' +
    'and persist across process restarts. An immutable (read-only) root filesystem also makes drift from the image ' +
    'impossible.',
  remediation:
    'Set `securityContext.readOnlyRootFilesystem: true` on every container and mount an emptyDir for the paths the ' +
    'process must write (/tmp, caches).',
  severity: 'medium',
  category: 'workload-hardening',
  kinds: POD_KINDS,
  equivalents: {
    polaris: ['notReadOnlyRootFilesystem'],
    kubeScore: ['container-security-context-readonlyrootfilesystem'],
    checkov: ['CKV_K8S_22'],
    kubescape: ['C-0017'],
    kubeLinter: ['no-read-only-root-fs'],
    defender: ['Immutable (read-only) root filesystem should be enforced for containers'],
    trivy: ['KSV014'],
  },
  // Windows containers do not support a read-only root filesystem.
  appliesTo: hasLinuxContainers,
  evaluate({ pod }) {
    const out: CheckResult[] = [];
    for (const c of pod!.allContainers) {
      // readOnlyRootFilesystem exists only on containers; there is no pod-level value to inherit.
      const v = containerSecurityContext(c).readOnlyRootFilesystem;
      if (v === true) continue;
      const sub = ['securityContext', 'readOnlyRootFilesystem'];
      const message = v === false ? `${describeContainer(c)} sets readOnlyRootFilesystem: false` : `${describeContainer(c)} does not set readOnlyRootFilesystem: true`;
      out.push(inContainer(c, sub, message, setField([...c.path, ...sub], true, 'make the root filesystem read-only')));
    }
    return out;
  },
} satisfies Check;
