import { removeField, type Check } from '../check.js';
import { POD_KINDS } from '../pod-view.js';

export const hostPid = {
  id: 'PAL-002',
  slug: 'host-pid',
  title: 'Pod shares the host PID namespace',
  description:
    'With hostPID the pod sees every process on the node, can read their environment and signal them; combined with ' +
    'ptrace it is a node takeover. Pod Security Standards (baseline) forbid it.',
  remediation: 'Remove `hostPID: true` from the pod spec.',
  severity: 'high',
  category: 'pod-security',
  kinds: POD_KINDS,
  equivalents: {
    polaris: ['hostPIDSet'],
    checkov: ['CKV_K8S_17'],
    kubescape: ['C-0038'],
    kubeLinter: ['host-pid'],
    defender: ['Containers sharing sensitive host namespaces should be avoided'],
    trivy: ['KSV010'],
  },
  evaluate({ pod }) {
    if (pod!.spec.hostPID !== true) return [];
    return [{ path: [...pod!.specPath, 'hostPID'], message: 'pod sets hostPID: true', fix: removeField([...pod!.specPath, 'hostPID'], 'remove hostPID') }];
  },
} satisfies Check;
