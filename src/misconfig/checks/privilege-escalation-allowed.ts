import { describeContainer, inContainer, setField, type Check, type CheckResult } from '../check.js';
import { POD_KINDS } from '../pod-view.js';
import { containerSecurityContext, hasLinuxContainers } from './lib/pod-security.js';

export const privilegeEscalationAllowed = {
  id: 'PAL-022',
  slug: 'privilege-escalation-allowed',
  title: 'Container allows privilege escalation',
  description:
    'Unless allowPrivilegeEscalation is false, a process in the container can gain more privileges than its parent ' +
    '(setuid binaries such as sudo or su, file capabilities), which turns a foothold as an unprivileged user into ' +
    'root in the container. Pod Security Standards (restricted) require it to be false.',
  remediation: 'Set `securityContext.allowPrivilegeEscalation: false` on every container.',
  severity: 'medium',
  category: 'pod-security',
  kinds: POD_KINDS,
  equivalents: {
    polaris: ['privilegeEscalationAllowed'],
    checkov: ['CKV_K8S_20'],
    kubescape: ['C-0016'],
    kubeLinter: ['privilege-escalation-container'],
    defender: ['Container with privilege escalation should be avoided'],
    trivy: ['KSV001'],
  },
  // no_new_privs is a Linux control: the restricted profile exempts pods declared `os.name: windows`.
  appliesTo: hasLinuxContainers,
  evaluate({ pod }) {
    const out: CheckResult[] = [];
    for (const c of pod!.allContainers) {
      // allowPrivilegeEscalation exists only on containers; the default (unset) allows escalation.
      const v = containerSecurityContext(c).allowPrivilegeEscalation;
      if (v === false) continue;
      const sub = ['securityContext', 'allowPrivilegeEscalation'];
      const message = v === true ? `${describeContainer(c)} sets allowPrivilegeEscalation: true` : `${describeContainer(c)} does not set allowPrivilegeEscalation: false`;
      out.push(inContainer(c, sub, message, setField([...c.path, ...sub], false, 'set allowPrivilegeEscalation to false')));
    }
    return out;
  },
} satisfies Check;
